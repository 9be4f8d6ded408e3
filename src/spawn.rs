//! Starting npm: on Linux one `clone(CLONE_VM | CLONE_VFORK)` and an exec.
//!
//! npmx pays its start-up on every npm and npx call, so the spawn is the
//! cheapest one that keeps every guarantee (docs/design.md, "Start-up"):
//!
//! - **No copy of npmx.** A `fork` copies npmx's page tables and then makes
//!   every page npmx writes afterwards fault (copy-on-write); std's
//!   `Command` forks as soon as it needs a `pre_exec` hook, and npmx needs
//!   one for `PR_SET_PDEATHSIG`. `CLONE_VM | CLONE_VFORK` runs the child in
//!   npmx's own memory, on a small stack of its own, while npmx waits for the
//!   exec — what `posix_spawn` does inside glibc, plus the orphan guard
//!   `posix_spawn` cannot set.
//! - **Nothing of npmx's reaches npm.** The child blocks every signal before
//!   it exists (so none of npmx's handlers runs in it), puts npmx's handled
//!   signals back to their defaults, asks for SIGTERM when npmx dies, and
//!   restores the caller's signal mask just before exec. SIGPIPE is left as
//!   npmx's caller left it (std's `Command` would force it to the default):
//!   npmx ignores SIGPIPE only after npm has started.
//! - **Only async-signal-safe calls in the child**: it shares npmx's memory,
//!   so it takes no lock, allocates nothing and leaves npmx's state alone;
//!   everything it needs (argv, the environment, the mask) is prepared first.
//!
//! Elsewhere (macOS) std's `Command` starts npm; there is no parent-death
//! signal to ask for there.

use std::{
  ffi::{CString, OsStr, OsString},
  io,
  os::unix::ffi::OsStrExt,
  path::Path,
};

/// What npm starts with: the program, its arguments, and npmx's own
/// environment with these variables set or removed.
pub(crate) struct Launch<'a> {
  pub(crate) program: &'a Path,
  pub(crate) args: &'a [OsString],
  pub(crate) set: &'a [(&'a str, &'a OsStr)],
  pub(crate) remove: &'a [&'a str],
}

/// The C strings an exec needs, built before any process is started.
struct Prepared {
  program: CString,
  // Owners of the pointers below.
  _strings: Vec<CString>,
  argv: Vec<*const libc::c_char>,
  envp: Vec<*const libc::c_char>,
}

impl Launch<'_> {
  fn prepare(&self) -> io::Result<Prepared> {
    let c = |bytes: &[u8]| {
      CString::new(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte"))
    };
    let program = c(self.program.as_os_str().as_bytes())?;
    let mut strings = Vec::with_capacity(self.args.len() + 64);
    strings.push(program.clone());
    for arg in self.args {
      strings.push(c(arg.as_bytes())?);
    }
    let argc = strings.len();
    for (name, value) in std::env::vars_os() {
      let name = name.as_bytes();
      let overridden = |n: &&str| n.as_bytes() == name;
      if self.remove.iter().any(overridden) || self.set.iter().any(|(n, _)| overridden(n)) {
        continue;
      }
      strings.push(c(&[name, b"=", value.as_bytes()].concat())?);
    }
    for (name, value) in self.set {
      strings.push(c(&[name.as_bytes(), b"=", value.as_bytes()].concat())?);
    }
    let pointers = |s: &[CString]| {
      let mut v: Vec<_> = s.iter().map(|s| s.as_ptr()).collect();
      v.push(std::ptr::null());
      v
    };
    let (argv, envp) = (pointers(&strings[..argc]), pointers(&strings[argc..]));
    Ok(Prepared {
      program,
      _strings: strings,
      argv,
      envp,
    })
  }
}

/// Why npm did not start.
#[derive(Debug)]
pub(crate) enum Failure {
  /// No new process could be made (the process limit, memory): npm itself
  /// may be fine, and can still run in npmx's place.
  NoProcess,
  /// npm could not be run at all (not found, not executable, …).
  Exec(io::Error),
}

/// Starts npm; returns its pid once it has exec'd (or the reason it could
/// not). The caller waits for it and reaps it.
#[cfg(target_os = "linux")]
pub(crate) fn spawn(launch: &Launch) -> Result<libc::pid_t, Failure> {
  use std::mem::MaybeUninit;

  let prepared = launch.prepare().map_err(Failure::Exec)?;
  // The child's stack: it calls a handful of system-call wrappers. Not
  // zeroed, so only the page or two it touches is ever faulted in.
  const STACK: usize = 32 * 1024;
  let mut stack: Vec<MaybeUninit<u8>> = Vec::with_capacity(STACK);
  // The stack grows down from its 16-byte-aligned top.
  let top = (stack.as_mut_ptr() as usize + STACK) & !15;

  let mut shared = Shared {
    program: prepared.program.as_ptr(),
    argv: prepared.argv.as_ptr(),
    envp: prepared.envp.as_ptr(),
    // SAFETY: getpid has no preconditions.
    parent: unsafe { libc::getpid() },
    // SAFETY: sigset_t is plain data; filled in below.
    mask: unsafe { std::mem::zeroed() },
    errno: 0,
  };
  // SAFETY: sigset operations on local values; the mask is restored on
  // every path below.
  let pid = unsafe {
    let mut all: libc::sigset_t = std::mem::zeroed();
    libc::sigfillset(&mut all);
    libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut shared.mask);
    let pid = libc::clone(
      child,
      top as *mut libc::c_void,
      libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
      (&raw mut shared).cast(),
    );
    libc::pthread_sigmask(libc::SIG_SETMASK, &shared.mask, std::ptr::null_mut());
    if pid < 0 {
      return Err(Failure::NoProcess);
    }
    pid
  };
  // SAFETY: the child has exec'd or exited (CLONE_VFORK); it wrote `errno`
  // in this memory only if the exec failed.
  let errno = unsafe { std::ptr::read_volatile(&shared.errno) };
  if errno != 0 {
    let mut status = 0;
    // SAFETY: reaping our own child, which has exited.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    return Err(Failure::Exec(io::Error::from_raw_os_error(errno)));
  }
  drop(stack);
  Ok(pid)
}

/// What the child reads from (and, on a failed exec, writes to) npmx's memory.
#[cfg(target_os = "linux")]
#[repr(C)]
struct Shared {
  program: *const libc::c_char,
  argv: *const *const libc::c_char,
  envp: *const *const libc::c_char,
  parent: libc::pid_t,
  /// npmx's signal mask before it blocked everything: npm's mask.
  mask: libc::sigset_t,
  errno: libc::c_int,
}

/// The child, in npmx's memory with every signal blocked. Only
/// async-signal-safe calls; nothing allocated, nothing locked.
#[cfg(target_os = "linux")]
extern "C" fn child(shared: *mut libc::c_void) -> libc::c_int {
  // SAFETY: `shared` points at the parent's `Shared`, alive and untouched
  // while the parent waits for this exec (CLONE_VFORK).
  unsafe {
    let shared = &mut *shared.cast::<Shared>();
    crate::signals::reset_in_child();
    // npm gets SIGTERM if npmx dies without being able to forward
    // anything (SIGKILL), so killing npmx never leaves npm running orphaned.
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
    if libc::getppid() != shared.parent {
      // npmx died before the prctl took effect: the SIGTERM it would have
      // sent, delivered when the mask is lifted below.
      libc::kill(libc::getpid(), libc::SIGTERM);
    }
    libc::pthread_sigmask(libc::SIG_SETMASK, &shared.mask, std::ptr::null_mut());
    libc::execve(shared.program, shared.argv, shared.envp);
    std::ptr::write_volatile(&mut shared.errno, *libc::__errno_location());
    libc::_exit(127)
  }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn spawn(launch: &Launch) -> Result<libc::pid_t, Failure> {
  let mut command = std::process::Command::new(launch.program);
  command.args(launch.args);
  for name in launch.remove {
    command.env_remove(name);
  }
  for (name, value) in launch.set {
    command.env(name, value);
  }
  {
    use std::os::unix::process::CommandExt;
    // SAFETY: only signal(2) in the child, which is async-signal-safe.
    unsafe {
      command.pre_exec(|| {
        crate::signals::reset_in_child();
        Ok(())
      });
    }
  }
  let child = command.spawn().map_err(|e| match e.raw_os_error() {
    Some(libc::EAGAIN | libc::ENOMEM) => Failure::NoProcess,
    _ => Failure::Exec(e),
  })?;
  Ok(child.id() as libc::pid_t)
}

/// Replaces npmx with npm. Returns only on failure.
pub(crate) fn exec(launch: &Launch) -> io::Error {
  let prepared = match launch.prepare() {
    Ok(prepared) => prepared,
    Err(error) => return error,
  };
  // SAFETY: the pointers are valid, NUL-terminated and null-terminated
  // arrays owned by `prepared`.
  unsafe {
    libc::execve(
      prepared.program.as_ptr(),
      prepared.argv.as_ptr(),
      prepared.envp.as_ptr(),
    )
  };
  io::Error::last_os_error()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn prepares_argv_and_an_environment_with_changes() {
    let args = [OsString::from("install"), OsString::from("a b")];
    let launch = Launch {
      program: Path::new("/bin/npm"),
      args: &args,
      set: &[("NPMX_TEST_SET", OsStr::new("2"))],
      remove: &["PATH"],
    };
    let prepared = launch.prepare().unwrap();
    let read = |v: &[*const libc::c_char]| -> Vec<String> {
      assert!(v.last().unwrap().is_null());
      v[..v.len() - 1]
        .iter()
        // SAFETY: pointers into `prepared`, alive here.
        .map(|p| {
          unsafe { std::ffi::CStr::from_ptr(*p) }
            .to_string_lossy()
            .into_owned()
        })
        .collect()
    };
    assert_eq!(read(&prepared.argv), ["/bin/npm", "install", "a b"]);
    let envp = read(&prepared.envp);
    assert!(envp.contains(&"NPMX_TEST_SET=2".to_owned()));
    assert!(!envp.iter().any(|e| e.starts_with("PATH=")));
  }

  #[test]
  fn a_missing_program_is_an_error_and_no_process_is_left() {
    let launch = Launch {
      program: Path::new("/nonexistent/npm"),
      args: &[],
      set: &[],
      remove: &[],
    };
    match spawn(&launch) {
      Err(Failure::Exec(error)) => assert_eq!(error.kind(), io::ErrorKind::NotFound),
      other => panic!("{other:?}"),
    }
  }
}
