//! Every byte, both ways: npm's output reaches the caller as npm wrote it,
//! and the caller's arguments reach npm as they were typed.

use crate::harness::{Io, Test, os};

/// Bytes no text-minded layer would leave alone: NUL, invalid UTF-8, a lone
/// `\r`, ANSI colour and cursor codes, a partial UTF-8 sequence at the very
/// end, and no final newline. Deterministic, so a failure can be replayed.
fn awkward_bytes(seed: u64, len: usize) -> Vec<u8> {
  let mut state = seed;
  let mut bytes: Vec<u8> = (0..len)
    .map(|_| {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      state as u8
    })
    .collect();
  for (at, piece) in [
    (0, &b"\x1b[31merror\x1b[0m\r\n"[..]),
    (1000, b"\0\0\0"),
    (5000, b"\xff\xfe\xc3("),
    (9000, b"progress 10%\rprogress 20%\r"),
    (20000, b"\x1b[2K\x1b[1G"),
  ] {
    bytes[at..at + piece.len()].copy_from_slice(piece);
  }
  bytes.extend_from_slice(b"no newline \xe2\x82");
  bytes
}

#[test]
fn stdout_and_stderr_are_byte_exact() {
  let t = Test::new();
  let (out, err) = (awkward_bytes(1, 300_000), awkward_bytes(2, 100_003));
  let (out_file, err_file) = (t.write("out.bin", &out), t.write("err.bin", &err));
  let run = t
    .args([
      format!("out={}", out_file.display()),
      format!("err={}", err_file.display()),
    ])
    .run();
  run.assert_code(0);
  assert!(
    run.stdout == out,
    "stdout differs ({} bytes, wanted {})",
    run.stdout.len(),
    out.len()
  );
  assert!(
    run.stderr == err,
    "stderr differs ({} bytes, wanted {})",
    run.stderr.len(),
    err.len()
  );
}

#[test]
fn arguments_reach_npm_verbatim() {
  let args: Vec<&[u8]> = vec![
    b"report",
    b"two words",
    b"",
    b"\"double\" 'single' `back`",
    b"$HOME * ? ~ ;|&",
    b"--",
    b"--npmx-help",
    b"-",
    b"caf\xc3\xa9",
    b"not utf-8: \xff\xfe\x80",
    b"line\nbreak\ttab",
    b"\\",
    b"",
  ];
  let t = Test::new().args(args.iter().map(|a| os(a)));
  t.run().assert_code(0);
  let report = t.report();
  assert_eq!(report.argv(), args);
  assert!(report.parent_is_npmx());
}

#[test]
fn npmx_options_are_taken_only_before_npm_arguments() {
  // After npm's first argument, `--npmx-*` is npm's business.
  let t = Test::new().args(["report", "--npmx-version", "--npmx-help"]);
  t.run().assert_code(0);
  let argv = t.report().argv();
  assert_eq!(argv, [&b"report"[..], b"--npmx-version", b"--npmx-help"]);

  // Before it, they are npmx's: npm does not run at all.
  let t = Test::new().args(["--npmx-version", "report"]);
  let run = t.run();
  run.assert_code(0);
  assert_eq!(
    run.stdout(),
    format!("npmx {}\n", env!("CARGO_PKG_VERSION"))
  );
  assert!(!t.path("report.json").exists(), "npm ran");

  let t = Test::new().args(["--npmx-no-such-option", "report"]);
  let run = t.run();
  run.assert_code(2);
  assert!(
    run
      .stderr()
      .starts_with("npmx: unknown option --npmx-no-such-option"),
    "{run:?}"
  );
  assert!(!t.path("report.json").exists(), "npm ran");
}

#[test]
fn a_closed_pipe_is_met_by_npm_itself() {
  // `npm ls | head -1`: head exits, npm gets EPIPE on its next write (Node
  // ignores SIGPIPE) and decides what to do; npmx must neither hold the pipe
  // open nor keep npm running.
  let run = Test::new()
    .bash(r#"npmx forever | head -1; echo "npm: ${PIPESTATUS[0]}" >&2"#)
    .run();
  run.assert_code(0);
  assert_eq!(run.stdout(), "line\n");
  assert_eq!(run.stderr(), "fake npm: EPIPE\nnpm: 7\n");
}

#[test]
fn other_open_descriptors_reach_npm_too() {
  // `make`'s jobserver, `npm ... 3>trace`: descriptors beyond the standard
  // three that the caller left open are npm's as well.
  let t = Test::new()
    .sh("npmx fd3=through 3>fd3.txt")
    .stdout(Io::Pipe);
  t.run().assert_code(0);
  assert_eq!(t.read("fd3.txt"), b"through\n");
}

#[test]
fn npm_gets_the_same_environment_and_directory_plus_only_the_depth() {
  let t = Test::new()
    .env("NOT_UTF8", os(b"\xff\xfe"))
    .env("EMPTY", "")
    .env("npm_config_loglevel", "silly")
    .env("WITH=EQUALS", "a=b")
    .args(["report"]);
  t.run().assert_code(0);
  let via_npmx = t.report();
  t.run_direct().assert_code(0);
  let direct = t.report();
  let mut expected = direct.environ();
  expected.push(b"NPMX_DEPTH=1".to_vec());
  expected.sort();
  assert_eq!(via_npmx.environ(), expected);
  assert_eq!(via_npmx.cwd, direct.cwd);
}

#[test]
fn npm_inherits_ignored_signals_and_closed_descriptors_as_they_were() {
  // A caller that ignores signals (`nohup`, a background job of a script,
  // some CI runners ignore SIGPIPE) and closes standard descriptors: npm
  // must see both exactly as it would directly. std's runtime would have
  // reset SIGPIPE to its default in npm and opened /dev/null over the closed
  // descriptors; a handler npmx installed over an ignored signal would have
  // been reset to the default in npm too.
  let t = Test::new();
  t.executable(
    "bin/npm",
    // `exec grep`: the masks of npm's own process. A grep forked by the
    // shell would read the shell's while it waits, with signals blocked.
    "#!/bin/sh\n\
     for fd in 0 1 2; do [ -e /proc/$$/fd/$fd ] && echo \"fd $fd open\" || echo \"fd $fd closed\"; done > \"$OUT\"\n\
     exec grep -E '^Sig(Ign|Blk)' /proc/self/status >> \"$OUT\"\n",
  );
  let run = |out: &str, npm: &str| format!("trap '' PIPE HUP USR2; OUT={out} {npm} 2>&- <&-");
  let script = format!(
    "{}; {}",
    run("via-npmx.txt", "npmx"),
    run("direct.txt", "npm")
  );
  let t = t.sh(&script);
  t.run().assert_code(0);
  let (via, direct) = (t.read("via-npmx.txt"), t.read("direct.txt"));
  let via = String::from_utf8(via).unwrap();
  assert!(via.contains("fd 2 closed"), "{via}");
  assert_eq!(via, String::from_utf8(direct).unwrap());
}
