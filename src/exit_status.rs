//! Leaving exactly as npm left.
//!
//! An exit code is passed on as it is. A death by signal is reproduced by dying
//! of the same signal, because that is what a calling shell acts on: after a
//! Ctrl-C, bash aborts a script only if its child *died of* SIGINT ("wait and
//! cooperative exit"); `exit(130)` would let the script carry on. Core dumps
//! are switched off first so a re-raised SIGQUIT or SIGSEGV does not leave a
//! second core beside npm's. This is what coreutils `timeout` does.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

pub(crate) fn exit_like(status: ExitStatus) -> ! {
  if let Some(code) = status.code() {
    std::process::exit(code);
  }
  if let Some(signal) = status.signal() {
    die_of(signal);
  }
  std::process::exit(1)
}

fn die_of(signal: libc::c_int) -> ! {
  // SAFETY: process-wide settings changed on the way out; no other thread of
  // npmx does anything that depends on them.
  unsafe {
    let no_core = libc::rlimit {
      rlim_cur: 0,
      rlim_max: 0,
    };
    libc::setrlimit(libc::RLIMIT_CORE, &no_core);
    libc::signal(signal, libc::SIG_DFL);
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    libc::sigaddset(&mut set, signal);
    libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    libc::raise(signal);
  }
  // Still here: the signal does not terminate (SIGCHLD, SIGWINCH...) or could
  // not be raised. Fall back on the shell's convention.
  std::process::exit(128 + signal)
}
