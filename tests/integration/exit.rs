//! npmx leaves exactly as npm left: the same exit code, or death by the same
//! signal, because that is what a calling shell or CI runner acts on.

use libc::{SIGINT, SIGTERM};

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
