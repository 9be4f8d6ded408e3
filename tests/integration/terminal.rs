//! npm runs on the caller's own terminal and descriptors.
//!
//! npm shows colours, progress and its OTP and web-login prompts only when it
//! sees a terminal, and sizes its output to the window, so it must see exactly
//! what it would have seen without npmx: the same descriptors, the same
//! terminal, the same window, in the terminal's foreground process group.

use crate::harness::{Io, Test, wait_state};

/// Runs the fake npm's `report` under npmx and directly, with the same
/// descriptors, and checks both against what the caller set up.
fn mirrors(stdin: Io, stdout: Io, stderr: Io) {
  let t = Test::new()
    .stdin(stdin)
    .stdout(stdout)
    .stderr(stderr)
    .window(123, 45)
    .args(["report"]);
  t.run().assert_code(0);
  let via_npmx = t.report();
  t.run_direct().assert_code(0);
  let direct = t.report();

  let expected = [stdin, stdout, stderr].map(|io| io == Io::Tty);
  let size = |io| (io == Io::Tty).then_some((123, 45));
  let case = format!("stdin {stdin:?}, stdout {stdout:?}, stderr {stderr:?}");
  assert_eq!(via_npmx.isatty, expected, "{case}");
  assert_eq!(via_npmx.size.stdout, size(stdout), "{case}");
  assert_eq!(via_npmx.size.stderr, size(stderr), "{case}");
  assert_eq!(via_npmx.isatty, direct.isatty, "{case}");
  assert_eq!(via_npmx.size, direct.size, "{case}");
  assert!(via_npmx.parent_is_npmx(), "{case}: {via_npmx:?}");

  // npm is in npmx's process group and session, not a leader of either, so
  // the terminal's Ctrl-C, Ctrl-Z and resizes reach it as they reach npmx.
  assert_eq!(via_npmx.pgid, via_npmx.parent.pgid.unwrap(), "{case}");
  assert_ne!(via_npmx.pgid, via_npmx.pid, "{case}");
  assert_ne!(via_npmx.sid, via_npmx.pid, "{case}");
  if expected.contains(&true) {
    // ...and that group is the terminal's foreground group.
    assert_eq!(via_npmx.tpgid, via_npmx.pgid, "{case}");
  }
}

#[test]
fn all_three_on_the_terminal() {
  mirrors(Io::Tty, Io::Tty, Io::Tty);
}

#[test]
fn stdout_piped() {
  mirrors(Io::Tty, Io::Pipe, Io::Tty);
}

#[test]
fn stderr_to_a_file() {
  mirrors(Io::Tty, Io::Tty, Io::File);
}

#[test]
fn stdin_from_dev_null() {
  mirrors(Io::Null, Io::Tty, Io::Tty);
}

#[test]
fn no_terminal_at_all() {
  mirrors(Io::Null, Io::Pipe, Io::File);
}

#[test]
fn a_window_resize_reaches_npm() {
  let run = Test::new()
    .tty()
    .window(123, 45)
    .args(["resize", "ready", "wait"])
    .spawn();
  run.expect_tty("ready");
  run.resize(80, 24);
  run.expect_tty("resized 80x24");
}

#[test]
fn a_prompt_without_newline_shows_and_the_typed_answer_reaches_npm() {
  // npm's OTP prompt: the question is on screen while npm waits, and what the
  // person types goes to npm.
  let mut run = Test::new().tty().args(["prompt=Enter OTP: "]).spawn();
  run.expect_tty("Enter OTP: ");
  run.send("123456\r");
  run.expect_tty("answer=[123456]");
  run.wait().assert_code(0);
}

#[test]
fn a_prompt_on_pipes_is_not_held_back_either() {
  let mut run = Test::new()
    .stdin(Io::Pipe)
    .args(["prompt=Enter OTP: "])
    .spawn();
  // Read before answering: the prompt must arrive while npm waits.
  assert_eq!(run.expect_stdout("Enter OTP: "), "Enter OTP: ");
  run.send("654321\n");
  let done = run.wait();
  done.assert_code(0);
  assert_eq!(done.stdout(), "Enter OTP: answer=[654321]\n");
}

#[test]
fn ctrl_z_stops_npmx_and_npm_together_and_fg_resumes_both() {
  // In an interactive shell with job control: Ctrl-Z stops the whole job,
  // npmx and npm, `fg` continues both, and the job then ends as npm does.
  let t = Test::new()
    .tty()
    .env("PS1", "$ ")
    .env("INPUTRC", "/dev/null")
    .bash_interactive();
  let mut run = t.spawn();
  run.expect_tty("$ ");
  run.send("npmx report ready wait\r");
  run.expect_tty("ready pid=");
  let report = t.report();
  let (npm, npmx) = (report.pid, report.ppid);

  run.send("\x1a");
  run.expect_tty("Stopped");
  assert!(wait_state(npm, &['T']), "npm did not stop");
  assert!(wait_state(npmx, &['T']), "npmx did not stop");

  run.send("fg\r");
  assert!(wait_state(npm, &['S', 'R']), "npm did not continue");
  assert!(wait_state(npmx, &['S', 'R']), "npmx did not continue");

  // bash reads the next line only once the job has ended.
  run.send("\x03");
  run.send("echo status=$?; exit\r");
  run.expect_tty("status=130");
  run.wait().assert_code(0);
}
