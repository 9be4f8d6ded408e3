//! Running npm.
//!
//! npm inherits npmx's three standard descriptors as they are: a terminal
//! stays a terminal (so npm keeps its colours, its spinner and its OTP and
//! web-login prompts, which it offers only when stdin and stdout are
//! terminals), a pipe stays the same pipe (so `npmx ls | head -1` breaks npm's
//! pipe exactly as it would break it directly), and every byte goes where npm
//! sent it, in order, without passing through npmx. npm also stays in npmx's
//! process group, so the terminal's Ctrl-C, Ctrl-Z and resizes reach it
//! directly. See docs/design.md for the alternatives and why not.

use std::{
  ffi::{OsStr, OsString},
  os::{
    fd::{AsRawFd, FromRawFd, OwnedFd},
    unix::process::ExitStatusExt,
  },
  path::Path,
  process::ExitStatus,
  time::{Duration, Instant, SystemTime},
};

use crate::{
  Error, Observer,
  debug_log::Spec,
  depth::{self, Depth},
  follow, mode,
  signals::{self, Forwarder, Target},
  spawn::{self, Failure, Launch},
};

/// Starts npm, follows its debug log into `observer` (`log_dirs` computed on
/// the log thread, after npm has started), waits, and returns how npm ended.
pub(crate) fn run(
  npm: &Path,
  args: &[OsString],
  depth: Depth,
  log_dirs: impl FnOnce() -> Vec<std::path::PathBuf> + Send + 'static,
  observer: Box<dyn Observer>,
) -> Result<ExitStatus, Error> {
  let target = Target::default();
  // Without handlers a signal would kill npmx alone and orphan npm; npm still
  // runs either way, so a failure here is not a reason to stop.
  let forwarder = signals::install(target.clone()).ok();

  let depth = depth.child_value();
  let launch = Launch {
    program: npm,
    args,
    set: &[(depth::VAR, OsStr::new(&depth))],
    remove: &REMOVED,
  };
  let started = SystemTime::now();
  let pid = match spawn::spawn(&launch) {
    Ok(pid) => pid,
    Err(failure) => {
      target.exited();
      let source = match failure {
        // Fail open: no process to spare for npm beside npmx (a process
        // limit, no memory), so npm runs in npmx's place, undiagnosed. exec
        // puts the handled signals back to their defaults.
        Failure::NoProcess => spawn::exec(&launch),
        Failure::Exec(source) => source,
      };
      return Err(Error::Spawn {
        path: npm.into(),
        source,
      });
    }
  };
  // From here npmx writes (notices, the diagnosis) to descriptors npm may
  // close first: a broken pipe is an error to ignore, not a death. Set only
  // now so that npm inherits SIGPIPE as npmx's caller left it.
  ignore_sigpipe();
  target.started(pid);

  let mut follow = follow::follow(
    args.to_vec(),
    move |argv| Spec::new(log_dirs(), started, argv).with_pid(pid),
    observer,
  );
  let status = match (pidfd(pid), forwarder) {
    // npmx's own thread waits for npm and forwards signals; the log gets a
    // thread only if npm is still running after `FIRST_LOOK`.
    (Some(npm), forwarder) => {
      let forwarder = forwarder.as_ref();
      if !wait_forwarding(pid, &npm, forwarder, Some(follow::FIRST_LOOK)) {
        follow.start(Duration::ZERO);
        wait_forwarding(pid, &npm, forwarder, None);
      }
      // From here npm can no longer receive signals, and its pid must not
      // be signalled again: once reaped it may belong to someone else.
      target.exited();
      let status = reap(pid);
      finish(follow, &status);
      // Signals that came while npmx was finishing.
      if let Some(forwarder) = forwarder {
        forwarder.forward_arrived(false);
      }
      status
    }
    // No pidfd (Linux before 5.3, other systems): a thread forwards.
    (None, forwarder) => {
      if let Some(forwarder) = forwarder {
        let _ = forwarder.start();
      }
      follow.start(follow::FIRST_LOOK);
      wait_without_reaping(pid);
      target.exited();
      let status = reap(pid);
      finish(follow, &status);
      status
    }
  }
  .map_err(|source| Error::Spawn {
    path: npm.into(),
    source,
  })?;
  // A signal that came while npmx was finishing is npmx's to die of.
  if let Some(signal) = target.late_signal() {
    return Ok(ExitStatus::from_raw(signal));
  }
  Ok(status)
}

/// Hands npm's exit to the log follower. Its work may run right here (a
/// short run is read on this thread): a panic in it loses the diagnosis,
/// never npm's exit status.
fn finish(follow: follow::Follow, status: &std::io::Result<ExitStatus>) {
  if let Ok(status) = status {
    let status = *status;
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| follow.finish(status)));
  }
}

/// Variables npm must not see: the shim's name for npmx, and the report
/// path (it belongs to this run; a nested npmx in npm's scripts must not
/// overwrite it).
const REMOVED: [&str; 2] = [mode::ARG0_VAR, "NPMX_REPORT"];

/// Replaces npmx with npm (`NPMX_DISABLE=1`). Returns only on failure.
pub(crate) fn exec(npm: &Path, args: &[OsString]) -> Error {
  let launch = Launch {
    program: npm,
    args,
    set: &[],
    remove: &[mode::ARG0_VAR],
  };
  Error::Spawn {
    path: npm.into(),
    source: spawn::exec(&launch),
  }
}

/// npmx's own writes after npm has started get EPIPE instead of killing it.
pub(crate) fn ignore_sigpipe() {
  // SAFETY: setting a signal's disposition to SIG_IGN.
  unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// A descriptor that becomes readable when npm exits (Linux 5.3 and later).
#[cfg(target_os = "linux")]
fn pidfd(pid: i32) -> Option<OwnedFd> {
  // SAFETY: pidfd_open(2) on our own child; it returns a new descriptor,
  // close-on-exec, or -1.
  let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
  // SAFETY: a fresh descriptor we own.
  (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(not(target_os = "linux"))]
fn pidfd(_: i32) -> Option<OwnedFd> {
  None
}

/// Waits until npm has exited (true) or `timeout` has passed (false),
/// forwarding signals as they arrive. npm is left a zombie, so its pid
/// stays ours until [`reap`].
fn wait_forwarding(
  pid: i32,
  npm: &OwnedFd,
  forwarder: Option<&Forwarder>,
  timeout: Option<Duration>,
) -> bool {
  let deadline = timeout.map(|t| Instant::now() + t);
  loop {
    let ms = match deadline {
      None => -1,
      Some(deadline) => {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
          return false;
        }
        // Rounded up: a poll that wakes early would spin.
        left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
      }
    };
    let mut fds = [
      libc::pollfd {
        fd: npm.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
      },
      libc::pollfd {
        // A negative descriptor is skipped.
        fd: forwarder.map_or(-1, Forwarder::fd),
        events: libc::POLLIN,
        revents: 0,
      },
    ];
    // SAFETY: poll on a valid array of two pollfds.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
    if n < 0 {
      if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
        continue;
      }
      // Cannot poll: wait the plain way (signals then wait in the pipe).
      wait_without_reaping(pid);
      return true;
    }
    if fds[1].revents != 0 {
      if let Some(forwarder) = forwarder {
        forwarder.forward_arrived(true);
      }
    }
    if fds[0].revents != 0 {
      return true;
    }
    if n == 0 {
      return false;
    }
  }
}

/// Collects npm's exit status.
fn reap(pid: i32) -> std::io::Result<ExitStatus> {
  loop {
    let mut status = 0;
    // SAFETY: waitpid on our own child.
    if unsafe { libc::waitpid(pid, &mut status, 0) } == pid {
      return Ok(ExitStatus::from_raw(status));
    }
    let error = std::io::Error::last_os_error();
    if error.kind() != std::io::ErrorKind::Interrupted {
      return Err(error);
    }
  }
}

/// Blocks until npm has exited, leaving it a zombie so its pid stays ours.
fn wait_without_reaping(pid: i32) {
  loop {
    // SAFETY: waitid on our own child with a zeroed siginfo_t to fill.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let rc = unsafe {
      libc::waitid(
        libc::P_PID,
        pid as libc::id_t,
        &mut info,
        libc::WEXITED | libc::WNOWAIT,
      )
    };
    if rc == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
      return;
    }
  }
}
