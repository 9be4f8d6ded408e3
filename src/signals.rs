//! Signals while npm runs.
//!
//! npm runs in npmx's own process group on npmx's own terminal, so whatever
//! the terminal sends (Ctrl-C, Ctrl-\, a hang-up) reaches npm and its scripts
//! directly, exactly as without npmx. npmx must then only survive it and wait
//! for npm to finish: sending it again would give npm a second SIGINT.
//! Signals sent to npmx alone (`kill <pid>`, a supervisor, `timeout`) are
//! forwarded to npm, which decides what they mean; npmx then leaves as npm left.
//!
//! Telling the two apart needs `siginfo_t`: on Linux a signal the kernel
//! generated has `si_code == SI_KERNEL`, one sent with kill(2) `SI_USER`. So
//! the handler is a plain `SA_SIGINFO` sigaction that writes the signal and
//! its origin to a pipe (`ctrlc`'s callback gets neither the signal number
//! nor its origin, and a registry crate's bookkeeping, which once lost a
//! signal that arrived half-way through registering, is not needed for one
//! handler that only calls write(2)). Elsewhere, a SIGINT or SIGQUIT is
//! taken to come from the terminal when npmx is in the terminal's
//! foreground process group (uv's heuristic).
//!
//! Not everything the kernel sends goes to the whole group, though. The
//! terminal's SIGINT and SIGQUIT do. A hang-up's SIGHUP goes to the session
//! leader alone, which is npmx when npmx was started as the session's program
//! (`ssh -t host npm …`, a terminal window running npm), and a SIGALRM from
//! an alarm that survived exec (`perl -e 'alarm 600; exec @ARGV' npm test`)
//! to npmx alone: those are passed on like any signal sent to npmx alone.
//!
//! The handlers are installed before npm starts (a Ctrl-C in between must not
//! kill npmx alone) and they are handlers, never `SIG_IGN`: exec resets handled
//! signals to their defaults but keeps ignored ones ignored, and a `sh -c`
//! lifecycle script cannot un-ignore a signal. A signal the caller already
//! ignores is the exception: it stays ignored, for npmx and for npm, as it
//! would have been for npm alone. The handler is complete before it is
//! installed (the pipe exists first), so nothing needs blocking meanwhile,
//! and npm starts with the signal mask its caller gave npmx. Ctrl-Z is left
//! alone: npmx and npm stop and continue together as one job.

use std::{
  fs::File,
  io::Read,
  os::fd::{FromRawFd, OwnedFd},
  sync::{
    Arc, Mutex,
    atomic::{AtomicI32, AtomicU64, Ordering},
  },
};

use libc::c_int;

/// What npmx forwards. Everything with a default action of "terminate" that a
/// person or a supervisor plausibly sends.
const HANDLED: [c_int; 7] = [
  libc::SIGINT,
  libc::SIGQUIT,
  libc::SIGTERM,
  libc::SIGHUP,
  libc::SIGUSR1,
  libc::SIGUSR2,
  libc::SIGALRM,
];

/// Whom to forward to. Before npm has started, signals sent to npmx alone
/// are kept and delivered as soon as npm runs: a `kill` that lands while npmx
/// is still starting npm must not be lost (npm would run to its end as if
/// nothing had been sent). Once npm has exited, nothing is sent: its pid may
/// already belong to someone else.
#[derive(Clone, Default)]
pub(crate) struct Target(Arc<Mutex<State>>);

#[derive(Default)]
enum State {
  #[default]
  Starting,
  Pending(Vec<c_int>),
  Running(i32),
  /// npm has exited; a signal that arrived since, while npmx finishes
  /// (reading the log, writing the report), is npmx's own to die of.
  Exited(Option<c_int>),
}

impl Target {
  /// npm runs as `pid`: deliver what arrived while it was starting.
  pub(crate) fn started(&self, pid: i32) {
    let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
    if let State::Pending(signals) = &*state {
      for &signal in signals {
        kill(pid, signal);
      }
    }
    *state = State::Running(pid);
  }

  /// npm has exited (or never started): forward nothing from now on.
  pub(crate) fn exited(&self) {
    let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
    if !matches!(*state, State::Exited(_)) {
      *state = State::Exited(None);
    }
  }

  /// A signal that arrived after npm exited: npmx should die of it, as the
  /// shell that sent it expects, whatever npm's own status was.
  pub(crate) fn late_signal(&self) -> Option<c_int> {
    match *self.0.lock().unwrap_or_else(|e| e.into_inner()) {
      State::Exited(signal) => signal,
      _ => None,
    }
  }

  fn send(&self, signal: c_int) {
    let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
    match &mut *state {
      State::Starting => *state = State::Pending(vec![signal]),
      State::Pending(signals) => {
        if !signals.contains(&signal) {
          signals.push(signal);
        }
      }
      State::Running(pid) => kill(*pid, signal),
      State::Exited(late) => {
        late.get_or_insert(signal);
      }
    }
  }
}

fn kill(pid: i32, signal: c_int) {
  // SAFETY: kill(2) with a pid we spawned and have not reaped yet.
  unsafe { libc::kill(pid, signal) };
}

/// The write end of the signal pipe, for the handler; -1 until installed.
static PIPE: AtomicI32 = AtomicI32::new(-1);
/// The signals npmx installed its handler for (bit `1 << signal`).
static INSTALLED: AtomicU64 = AtomicU64::new(0);

/// In npm's process, between spawn and exec: the signals npmx handles back
/// to their defaults. exec would reset them anyway, but a signal that
/// arrives before it (the parent-death SIGTERM above all) must act on npm,
/// not run npmx's handler. Signals the caller ignored were left alone and
/// stay ignored. Only `signal(2)` and an atomic load: async-signal-safe.
pub(crate) fn reset_in_child() {
  let installed = INSTALLED.load(Ordering::Relaxed);
  for signal in HANDLED {
    if installed & (1 << signal) != 0 {
      // SAFETY: signal(2) with SIG_DFL is async-signal-safe.
      unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
  }
}

/// The signals that arrived, waiting in a pipe (see [`install`]) for the
/// one who forwards them: npmx's main thread as it waits for npm
/// (`child::run`), or a thread of its own where npm's exit cannot be polled.
pub(crate) struct Forwarder {
  read: OwnedFd,
  target: Target,
}

impl Forwarder {
  /// The pipe to poll: readable when a signal has arrived.
  pub(crate) fn fd(&self) -> c_int {
    use std::os::fd::AsRawFd;
    self.read.as_raw_fd()
  }

  /// Forwards what has arrived. With `wait`, blocks for at least one
  /// signal (call when `fd` polled readable); without, takes only what is
  /// there.
  pub(crate) fn forward_arrived(&self, wait: bool) {
    let fd = self.fd();
    if !wait {
      // SAFETY: fcntl on our own descriptor.
      unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
    }
    // Two-byte messages written whole: an even-sized read gets whole ones.
    let mut buffer = [0u8; 64];
    loop {
      // SAFETY: reading into a local buffer of the given size.
      let n = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
      if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
        continue;
      }
      let Ok(n) = usize::try_from(n) else {
        return;
      };
      for message in buffer[..n].chunks_exact(2) {
        deliver(&self.target, [message[0], message[1]]);
      }
      if wait || n < buffer.len() {
        return;
      }
    }
  }

  /// Starts forwarding. Called once npm runs: a thread spawned before the
  /// child would make the spawn happen in a multi-threaded process (and set
  /// up a thread arena) for nothing, on every npm call.
  pub(crate) fn start(self) -> std::io::Result<()> {
    let Forwarder { read, target } = self;
    std::thread::Builder::new()
      .name("npmx-signals".into())
      .spawn(move || forward(read, target))?;
    Ok(())
  }
}

/// Installs the handlers; call before starting npm, then start the
/// returned forwarder. A signal in between is written to the pipe by the
/// handler and forwarded when the thread starts: nothing is lost.
///
/// A signal the caller ignores (`nohup` ignores SIGHUP; a script's
/// background job, SIGINT and SIGQUIT) is left ignored: npm inherits the
/// ignore across exec exactly as it would have without npmx, and npmx, in
/// the same job, ignores it too.
pub(crate) fn install(target: Target) -> std::io::Result<Forwarder> {
  let (read, write) = pipe()?;
  {
    use std::os::fd::IntoRawFd;
    // Lives as long as the process: the handler writes to it.
    PIPE.store(write.into_raw_fd(), Ordering::SeqCst);
  }
  let mut installed = 0u64;
  for signal in HANDLED {
    // SAFETY: sigaction(2) with valid pointers to local values; the
    // handler only calls write(2), which is async-signal-safe, and touches
    // no locks or allocations. The pipe is in place before any handler.
    unsafe {
      let mut old: libc::sigaction = std::mem::zeroed();
      if libc::sigaction(signal, std::ptr::null(), &mut old) != 0
        || old.sa_sigaction == libc::SIG_IGN
      {
        continue;
      }
      let mut action: libc::sigaction = std::mem::zeroed();
      action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
      action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
      libc::sigemptyset(&mut action.sa_mask);
      if libc::sigaction(signal, &action, std::ptr::null_mut()) == 0 {
        installed |= 1 << signal;
      }
    }
  }
  INSTALLED.store(installed, Ordering::SeqCst);
  Ok(Forwarder { read, target })
}

/// The handler: the signal and where it came from, two bytes into the pipe.
/// `errno` is put back for the code it interrupted.
extern "C" fn on_signal(signal: c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
  // SAFETY: the kernel passes a valid siginfo_t with SA_SIGINFO; write(2)
  // on a non-blocking pipe is async-signal-safe.
  unsafe {
    let errno = errno_location();
    let saved = *errno;
    let message = [signal as u8, origin(&*info)];
    libc::write(
      PIPE.load(Ordering::Relaxed),
      message.as_ptr().cast(),
      message.len(),
    );
    *errno = saved;
  }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
unsafe fn errno_location() -> *mut c_int {
  // SAFETY: always valid for the calling thread.
  unsafe { libc::__errno_location() }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
unsafe fn errno_location() -> *mut c_int {
  // SAFETY: always valid for the calling thread.
  unsafe { libc::__error() }
}

fn forward(read: OwnedFd, target: Target) {
  let mut read = File::from(read);
  let mut message = [0u8; 2];
  while read.read_exact(&mut message).is_ok() {
    deliver(&target, message);
  }
}

/// One message from the handler: pass the signal on unless npm has it too.
fn deliver(target: &Target, [signal, origin]: [u8; 2]) {
  let signal = c_int::from(signal);
  let npm_has_it = match (origin, signal) {
    (KERNEL, libc::SIGINT | libc::SIGQUIT) => true,
    // Sent to the foreground group when the session leader exits; to the
    // session leader alone when the terminal hangs up.
    (KERNEL, libc::SIGHUP) => !session_leader(),
    (UNKNOWN, libc::SIGINT | libc::SIGQUIT) => in_terminal_foreground(),
    _ => false,
  };
  if !npm_has_it {
    target.send(signal);
  }
}

/// The kernel sent it: the terminal, to the whole foreground group (npm has
/// it too), or something meant for npmx alone; `forward` decides by signal.
const KERNEL: u8 = 1;
/// Cannot tell from `siginfo_t` on this system; `forward` decides.
const UNKNOWN: u8 = 2;

#[cfg(any(target_os = "linux", target_os = "android"))]
fn origin(info: &libc::siginfo_t) -> u8 {
  if info.si_code == libc::SI_KERNEL {
    KERNEL
  } else {
    0
  }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn origin(_: &libc::siginfo_t) -> u8 {
  UNKNOWN
}

fn session_leader() -> bool {
  // SAFETY: plain queries about this process.
  unsafe { libc::getsid(0) == libc::getpid() }
}

/// npmx belongs to the foreground process group of the terminal on one of its
/// standard descriptors, so the terminal's own SIGINT reached npm as well.
fn in_terminal_foreground() -> bool {
  // SAFETY: plain queries on the standard descriptors.
  let group = unsafe { libc::getpgrp() };
  (0..3).any(|fd| unsafe { libc::tcgetpgrp(fd) } == group)
}

fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
  let mut fds = [0 as c_int; 2];
  // SAFETY: fds is a valid two-element array.
  if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
    return Err(std::io::Error::last_os_error());
  }
  // SAFETY: pipe(2) just returned these two fresh descriptors; we own them.
  let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
  // SAFETY: fcntl on descriptors we own. CLOEXEC keeps them out of npm; a
  // full pipe must not block a handler.
  unsafe {
    libc::fcntl(fds[0], libc::F_SETFD, libc::FD_CLOEXEC);
    libc::fcntl(fds[1], libc::F_SETFD, libc::FD_CLOEXEC);
    libc::fcntl(fds[1], libc::F_SETFL, libc::O_NONBLOCK);
  }
  Ok((read, write))
}
