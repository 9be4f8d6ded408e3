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
  ffi::OsString,
  os::unix::process::CommandExt,
  path::Path,
  process::{Command, ExitStatus},
  time::SystemTime,
};

use crate::{
  Error, Observer,
  debug_log::{self, Spec},
  depth::{self, Depth},
  mode,
  signals::{self, Target},
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

  let mut command = Command::new(npm);
  command
    .args(args)
    .env(depth::VAR, depth.child_value())
    .env_remove(mode::ARG0_VAR);
  die_with_parent(&mut command);

  let started = SystemTime::now();
  let mut child = command.spawn().map_err(|source| {
    target.exited();
    Error::Spawn {
      path: npm.into(),
      source,
    }
  })?;
  let pid = child.id() as i32;
  target.started(pid);
  if let Some(forwarder) = forwarder {
    let _ = forwarder.start();
  }

  let follow = debug_log::follow(
    args.to_vec(),
    move |argv| Spec::new(log_dirs(), started, argv).with_pid(pid),
    observer,
  );

  wait_without_reaping(pid);
  // From here npm can no longer receive signals, and its pid must not be
  // signalled again: once reaped it may belong to someone else.
  target.exited();
  let status = child.wait().map_err(|source| Error::Spawn {
    path: npm.into(),
    source,
  })?;
  follow.finish(status);
  // A signal that came while npmx was finishing is npmx's to die of.
  if let Some(signal) = target.late_signal() {
    use std::os::unix::process::ExitStatusExt;
    return Ok(ExitStatus::from_raw(signal));
  }
  Ok(status)
}

/// Replaces npmx with npm (`NPMX_DISABLE=1`). Returns only on failure.
pub(crate) fn exec(npm: &Path, args: &[OsString]) -> Error {
  let source = Command::new(npm)
    .args(args)
    .env_remove(mode::ARG0_VAR)
    .exec();
  Error::Spawn {
    path: npm.into(),
    source,
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

/// On Linux, npm gets SIGTERM if npmx dies without being able to forward
/// anything (SIGKILL), so killing npmx never leaves npm running orphaned.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn die_with_parent(command: &mut Command) {
  // SAFETY: getpid before fork; in the child only async-signal-safe calls.
  let parent = unsafe { libc::getpid() };
  unsafe {
    command.pre_exec(move || {
      signals::reset_in_child();
      libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
      // npmx may have died before the prctl took effect.
      if libc::getppid() != parent {
        libc::raise(libc::SIGTERM);
      }
      Ok(())
    });
  }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn die_with_parent(_: &mut Command) {}
