//! npmx leaves exactly as npm left: the same exit code, or death by the same
//! signal, because that is what a calling shell or CI runner acts on.

use std::os::unix::process::ExitStatusExt;

use libc::{SIGALRM, SIGHUP, SIGINT, SIGKILL, SIGPIPE, SIGQUIT, SIGSEGV, SIGTERM, SIGUSR1};

use crate::harness::Test;

#[test]
fn exit_codes_pass_through() {
  for code in [0, 1, 3, 243, 255] {
    Test::new()
      .args([format!("exit={code}")])
      .run()
      .assert_code(code);
  }
}

#[test]
fn death_by_a_signal_is_reproduced_as_death_by_that_signal() {
  for (name, signal) in [("TERM", SIGTERM), ("INT", SIGINT)] {
    let run = Test::new().args([format!("kill={name}")]).run();
    assert_eq!(run.signal(), Some(signal), "{run:?}");
  }
  // What a calling shell makes of it: 128 + n, as after npm itself.
  let run = Test::new()
    .sh("npmx kill=TERM; echo $?; npmx kill=INT; echo $?")
    .run();
  assert_eq!(run.stdout(), "143\n130\n");
}

#[test]
fn any_fatal_signal_is_reproduced() {
  // npm is Node.js, which ignores SIGPIPE and handles few signals; a shell
  // script as npm can die of any. SIGPIPE is one npmx itself ignores (Rust
  // does) and SIGSEGV one it handles (Rust's stack-overflow guard), and the
  // handled ones are those npmx forwards: each must still kill npmx.
  for signal in [SIGPIPE, SIGSEGV, SIGQUIT, SIGKILL, SIGHUP, SIGUSR1, SIGALRM] {
    let t = Test::new().core_dumps();
    let npm = t.executable("sh/npm", "#!/bin/sh\nkill -$1 $$\nexit 99\n");
    let t = t.env("NPMX_NPM", npm).args([signal.to_string()]);
    let run = t.run();
    assert_eq!(run.signal(), Some(signal), "{run:?}");
    // npm may leave a core; npmx, dying of the same signal on purpose, must
    // not leave a second one (of itself) in its place.
    let direct = t.run_direct();
    assert_eq!(direct.signal(), Some(signal));
    if direct.status.core_dumped() {
      assert!(!run.status.core_dumped(), "{run:?}");
    }
  }
}

/// Fail open: with no process to spare (the user's process limit reached),
/// npm still runs, in npmx's place, and its exit code stands.
#[test]
fn npm_runs_in_npmx_s_place_when_no_process_can_be_started() {
  // SAFETY: geteuid has no preconditions.
  if unsafe { libc::geteuid() } != 0 {
    eprintln!("skipped: needs root to run npmx as another user with a process limit");
    return;
  }
  let t = Test::new();
  // A shell npm: it starts no process or thread of its own.
  t.executable("bin/npm", "#!/bin/sh\necho \"npm ran\"\nexit 3\n");
  let npmx = t.path("npmx/npmx");
  let npm = t.path("bin/npm");
  // The test's folder must be readable by the unprivileged user.
  std::fs::set_permissions(t.dir(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
  // As nobody, allowed one process: npmx itself.
  let run = t
    .program("/usr/bin/setpriv")
    .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
    .args(["/usr/bin/prlimit", "--nproc=1"])
    .args([npmx.as_os_str()])
    .env("NPMX_NPM", &npm)
    .run();
  assert_eq!(run.code(), Some(3), "{run:?}");
  assert_eq!(run.stdout(), "npm ran\n");
  assert_eq!(run.stderr(), "");
}
