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
