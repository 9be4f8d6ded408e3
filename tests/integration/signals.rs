//! Signals, handled as a shell handles them for its foreground command.
//!
//! The terminal's own signals (Ctrl-C) reach npm directly, since npm is in
//! npmx's process group; npmx must not send them a second time. Signals sent
//! to npmx alone (`kill PID`, a supervisor) are passed on to npm. And npm
//! never outlives npmx.

use libc::{SIGINT, SIGKILL, SIGTERM};

use crate::harness::{Io, Running, Test, exited, wait_exited};

/// The pid in the fake npm's `ready pid=N` line.
fn ready_pid(text: &str) -> i32 {
  let rest = &text[text.find("ready pid=").unwrap() + "ready pid=".len()..];
  rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap()]
    .parse()
    .unwrap()
}

#[test]
fn sigterm_to_npmx_alone_reaches_npm_which_cleans_up_and_decides_the_exit() {
  let run = Test::new().args(["trap=TERM:21", "ready", "wait"]).spawn();
  let npm = ready_pid(&run.expect_stdout("ready"));
  run.kill(SIGTERM);
  let done = run.wait();
  done.assert_code(21);
  assert_eq!(
    done.stdout(),
    format!("ready pid={npm}\ngot SIGTERM #1\ncleanup after SIGTERM\nSIGTERM x 1\n")
  );
  assert!(exited(npm), "npm outlived npmx");
}

#[test]
fn sigterm_to_npmx_alone_kills_an_npm_that_does_not_handle_it() {
  let run = Test::new().args(["ready", "wait"]).spawn();
  let npm = ready_pid(&run.expect_stdout("ready"));
  run.kill(SIGTERM);
  let done = run.wait();
  assert_eq!(done.signal(), Some(SIGTERM), "{done:?}");
  assert!(exited(npm), "npm outlived npmx");
}

#[test]
fn sigint_to_npmx_alone_is_passed_on_once() {
  let run = Test::new().args(["trap=INT:5", "ready", "wait"]).spawn();
  run.expect_stdout("ready");
  run.kill(SIGINT);
  let done = run.wait();
  done.assert_code(5);
  assert!(
    done
      .stdout()
      .ends_with("cleanup after SIGINT\nSIGINT x 1\n"),
    "{done:?}"
  );
}

#[test]
fn sigkill_to_npmx_leaves_no_orphan_npm_gets_sigterm() {
  // npmx cannot forward anything when it is killed outright; the kernel
  // sends npm SIGTERM for it (PR_SET_PDEATHSIG).
  let run = Test::new().args(["trap=TERM:0", "ready", "wait"]).spawn();
  let npm = ready_pid(&run.expect_stdout("ready"));
  run.kill(SIGKILL);
  // npm still holds the stdout pipe: its cleanup text arrives after npmx died.
  run.expect_stdout("cleanup after SIGTERM");
  let done = run.wait();
  assert_eq!(done.signal(), Some(SIGKILL));
  // Not necessarily once: the kernel sends the "parent died" signal each time
  // npm is handed on from an exiting thread of npmx to another, and npmx has
  // more than one thread.
  assert!(done.stdout().contains("SIGTERM x "), "{done:?}");
  assert!(
    wait_exited(npm),
    "npm {npm} still runs after npmx was killed"
  );
}

#[test]
fn ctrl_c_reaches_npm_once_and_npmx_exits_as_npm_does() {
  // The terminal sends SIGINT to the whole foreground group, npm included; a
  // second copy from npmx would make npm (and its scripts) see two. A copy
  // that arrives before npm has taken the first merges with it, which
  // happens more often than not, so a few Ctrl-Cs may all hide it; the
  // witness test below sees every copy.
  let mut run = Test::new()
    .tty()
    .args(["trap=INT:5:5", "ready", "wait"])
    .spawn();
  run.expect_tty("ready");
  for n in 1..=5 {
    run.send("\x03");
    run.expect_tty(&format!("got SIGINT #{n}"));
  }
  let done = run.wait();
  done.assert_code(5);
  assert!(done.tty().contains("cleanup after SIGINT"), "{done:?}");
  assert!(done.tty().contains("SIGINT x 5\r\n"), "{done:?}");
}

/// An npm that takes each SIGINT the moment it is sent (it spins on
/// sigtimedwait with SIGINT blocked) and tells who sent it: a copy from npmx
/// cannot merge with the terminal's unseen, as it mostly does with a
/// Node.js npm, which takes signals only when it is next scheduled.
const SIGINT_WITNESS: &str = r#"#!/usr/bin/env python3
import os, signal, sys, time
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
want = int(sys.argv[1])
print("ready", flush=True)
seen, until = 0, None
while until is None or time.monotonic() < until:
    info = signal.sigtimedwait({signal.SIGINT}, 0)
    if info:
        seen += 1
        print(f"got SIGINT #{seen} code={info.si_code} from={info.si_pid}", flush=True)
        if seen == want:
            until = time.monotonic() + 0.3
sys.exit(5)
"#;

#[test]
fn every_sigint_npm_gets_on_ctrl_c_comes_from_the_terminal() {
  let t = Test::new().tty();
  let npm = t.executable("witness/npm", SIGINT_WITNESS);
  let mut run = t.env("NPMX_NPM", npm).args(["5"]).spawn();
  run.expect_tty("ready");
  for n in 1..=5 {
    run.send("\x03");
    run.expect_tty(&format!("got SIGINT #{n} "));
  }
  let done = run.wait();
  done.assert_code(5);
  // Each line may begin with the terminal's echo of the Ctrl-C, `^C`.
  let got: Vec<_> = done
    .tty()
    .lines()
    .filter_map(|l| l.find("got SIGINT").map(|at| l[at..].to_owned()))
    .collect();
  assert_eq!(got.len(), 5, "{got:#?}");
  // SI_KERNEL: sent by the terminal to the whole group, not by npmx.
  assert!(got.iter().all(|l| l.contains(" code=128 ")), "{got:#?}");
}

#[test]
fn ctrl_c_stops_a_calling_bash_script() {
  // Bash goes on with a script after Ctrl-C unless the command it waited for
  // *died of* SIGINT ("wait and cooperative exit"), so npmx must die of it
  // rather than exit 130.
  let mut run = Test::new().tty().bash("npmx ready wait; echo NEXT").spawn();
  run.expect_tty("ready");
  run.send("\x03");
  let done = run.wait();
  assert_eq!(done.signal(), Some(SIGINT), "{done:?}");
  assert!(!done.tty().contains("NEXT"), "{done:?}");
}

#[test]
fn ctrl_c_on_a_command_that_exits_130_lets_bash_go_on() {
  // The control for the test above: it can tell the two apart.
  let mut run = Test::new()
    .tty()
    .bash("npmx trap=INT:130 ready wait; echo NEXT")
    .spawn();
  run.expect_tty("ready");
  run.send("\x03");
  let done = run.wait();
  done.assert_code(0);
  assert!(done.tty().contains("NEXT"), "{done:?}");
}

#[test]
fn a_signal_that_arrives_while_npm_is_starting_is_not_lost() {
  // `kill` lands at some point of npmx's start: before its handlers (npmx
  // dies of it, npm never starts), between them and npm's start, or after.
  // In every case the run must end by SIGTERM, never by npm running to its
  // end as if nothing had been sent. npm here is a sleep of 30 s.
  let t = Test::new();
  let npm = t.executable("slow/npm", "#!/bin/sh\nexec sleep 30\n");
  let t = t.env("NPMX_NPM", npm);
  for i in 0..60u64 {
    let run = t.spawn();
    // Spread the kill over the first ~3 ms of npmx's life.
    std::thread::sleep(std::time::Duration::from_micros(i * 50));
    run.kill(SIGTERM);
    let done = run.wait();
    assert_eq!(done.signal(), Some(SIGTERM), "try {i}: {done:?}");
  }
}

#[test]
fn a_hang_up_reaches_npm_when_npmx_leads_the_session() {
  // `ssh -t host npm install`, a terminal window running npm: the program is
  // the session leader, and when the terminal goes away the kernel sends
  // SIGHUP to the session leader alone. Through npmx, npmx leads the session
  // and npm is not told by the kernel; npmx must tell it.
  //
  // npm here is a shell script: Node.js, exiting on a hung-up terminal, may
  // abort or crash restoring the terminal's settings, at random.
  let t = Test::new().stdin(Io::Tty).stderr(Io::Tty);
  let npm = t.executable(
    "sh/npm",
    "#!/bin/sh\n\
     sleep 100 </dev/null >/dev/null 2>&1 & pid=$!\n\
     trap 'echo got SIGHUP; kill $pid; exit 3' HUP\n\
     echo ready\n\
     wait $pid\n",
  );
  let t = t.env("NPMX_NPM", npm);
  let hang_up = |mut run: Running| {
    // stdout is a pipe, which outlives the terminal.
    run.expect_stdout("ready\n");
    run.hang_up();
    run.wait()
  };
  let (via_npmx, direct) = (hang_up(t.spawn()), hang_up(t.spawn_direct()));
  direct.assert_code(3);
  assert_eq!(direct.stdout(), "ready\ngot SIGHUP\n");
  via_npmx.assert_code(3);
  assert_eq!(via_npmx.stdout(), "ready\ngot SIGHUP\n");
}

#[test]
fn an_alarm_set_before_npmx_started_reaches_npm() {
  // `perl -e 'alarm 600; exec @ARGV' npm test`, a time limit that survives
  // exec: the kernel sends SIGALRM to npmx alone, as it would have to npm.
  let run = Test::new()
    .program("/usr/bin/perl")
    .args([
      "-e",
      "alarm 1; exec @ARGV or die",
      "npmx",
      "trap=ALRM:0",
      "wait",
    ])
    .run();
  run.assert_code(0);
  assert!(run.stdout().ends_with("SIGALRM x 1\n"), "{run:?}");
}
