//! Notices while npm is still trying: a fake npm (`tests/support/script-npm`)
//! writes its debug log over time as npm does, and npmx must speak while it
//! runs — once, and never when npm fails at once or succeeds at once.

use std::{thread, time::Duration};

use crate::harness::{Done, Test};

/// `npm install e2e-dep` where npm is the scripted one (`steps`), its cache
/// (and so its logs) in the test directory.
fn scripted(steps: &[&str]) -> Test {
  let t = Test::new().scripted_npm(steps);
  let cache = format!("--cache={}", t.path("cache").display());
  t.args(["install", "e2e-dep", &cache])
}

fn stderr(out: &Done) -> String {
  out.stderr()
}

#[test]
fn a_retried_request_is_told_while_npm_still_runs() {
  let out = scripted(&[
    "log silly packumentCache full:http://127.0.0.1:9/e2e-dep cache-miss",
    "log http fetch GET http://127.0.0.1:9/e2e-dep attempt 1 failed with ECONNRESET",
    "sleep 3",
    "err (npm still running)",
    "log http fetch GET http://127.0.0.1:9/e2e-dep attempt 2 failed with ECONNRESET",
    "sleep 2",
    "exit 0",
  ])
  .run();
  let err = stderr(&out);
  assert_eq!(out.status.code(), Some(0));
  let notice = err
    .find("npmx: npm is retrying: GET 127.0.0.1:9 failed with ECONNRESET (attempt 1)")
    .unwrap_or_else(|| panic!("{err}"));
  assert!(
    notice < err.find("(npm still running)").unwrap(),
    "the notice came while npm ran: {err}"
  );
  assert_eq!(err.matches("npm is retrying").count(), 1, "{err}");
}

#[test]
fn npm_failing_at_once_gets_the_diagnosis_alone() {
  let out = scripted(&[
    "log http fetch GET http://127.0.0.1:9/e2e-dep attempt 1 failed with ECONNREFUSED",
    "log error code ECONNREFUSED",
    "log error request to http://127.0.0.1:9/e2e-dep failed, reason: connect ECONNREFUSED 127.0.0.1:9",
    "log error A complete log of this run can be found in: /x/_logs/2026-01-01T00_00_00_000Z-debug-0.log",
    "exit 1",
  ])
  .run();
  let err = stderr(&out);
  assert!(!err.contains("retrying"), "{err}");
  assert!(err.contains("[connection-refused]"), "{err}");
}

#[test]
fn a_hung_request_is_told_once_and_a_github_job_gets_a_warning() {
  let out = scripted(&[
    "log silly packumentCache full:http://127.0.0.1:9/e2e-dep cache-miss",
    "sleep 4",
    "exit 0",
  ])
  .env("NPMX_STALL_SECS", "1")
  .env("GITHUB_ACTIONS", "true")
  .run();
  let err = stderr(&out);
  assert_eq!(
    err
      .matches("::warning title=npmx::npm has been waiting")
      .count(),
    1,
    "{err}"
  );
  assert!(
    err.contains("for 127.0.0.1:9 (http://127.0.0.1:9/e2e-dep)"),
    "{err}"
  );
}

#[test]
fn notices_can_be_turned_off_and_a_silent_npm_gets_none() {
  let steps = [
    "log http fetch GET http://127.0.0.1:9/e2e-dep attempt 1 failed with ECONNRESET",
    "sleep 2.5",
    "exit 0",
  ];
  let off = scripted(&steps).env("NPMX_LIVE", "0").run();
  assert!(!stderr(&off).contains("npmx"), "{}", stderr(&off));
  let silent = scripted(&steps).env("npm_config_loglevel", "silent").run();
  assert!(!stderr(&silent).contains("npmx"), "{}", stderr(&silent));
}

#[test]
fn a_run_stopped_while_waiting_says_what_it_waited_for() {
  let running = scripted(&[
    "log silly packumentCache full:http://127.0.0.1:9/e2e-dep cache-miss",
    "wait",
  ])
  .spawn();
  thread::sleep(Duration::from_millis(1500));
  running.kill(libc::SIGTERM);
  let out = running.wait();
  let err = stderr(&out);
  assert!(
    err.contains("npmx: npm was stopped (SIGTERM) after waiting ")
      && err.contains("s for 127.0.0.1:9"),
    "{err}"
  );
}

/// Two npms with the same arguments in one directory: the one that stamps
/// its log later must still get its own diagnosis, not the other's, though
/// both logs are new and both name the same arguments. npm holds its log
/// open, and the OS says which file that is.
#[test]
fn two_runs_together_each_get_their_own_diagnosis() {
  let dir = tempfile::tempdir().unwrap();
  let cache = dir.path().join("cache");
  let run = |name: &str, steps: &[&str], delay: &str| {
    // One cache (and so one logs directory) for both.
    let running = scripted(steps)
      .env("SCRIPT_DELAY", delay)
      .env("SCRIPT_LOGS", cache.join("_logs"))
      .args([format!("--cache={}", cache.display())])
      .spawn();
    (name.to_owned(), running)
  };
  let late = run(
    "late",
    &[
      "log error code E404",
      "log error 404 Not Found - GET http://127.0.0.1:9/e2e-dep - Not found",
      "sleep 1",
      "exit 1",
    ],
    "0.5",
  );
  std::thread::sleep(Duration::from_millis(100));
  let early = run(
    "early",
    &[
      "log error code E403",
      "log error 403 Forbidden - GET http://127.0.0.1:9/e2e-dep - Forbidden",
      "sleep 1",
      "exit 1",
    ],
    "0",
  );
  for ((name, running), want) in [
    (late, "[package-not-found]"),
    (early, "[registry-forbidden]"),
  ] {
    let out = running.wait();
    let err = stderr(&out);
    assert!(err.contains(want), "{name}: wants {want}:\n{err}");
  }
}

/// The same, when one npm holds no log for longer than npmx waits for the
/// OS to name it (a loaded machine): the stamp-and-arguments fallback must
/// not take the other npm's log, which that npm holds open.
#[test]
fn the_fallback_never_takes_a_log_another_npm_holds() {
  let dir = tempfile::tempdir().unwrap();
  let cache = dir.path().join("cache");
  let start = |steps: &[&str], delay: &str| {
    scripted(steps)
      .env("SCRIPT_DELAY", delay)
      .env("SCRIPT_LOGS", cache.join("_logs"))
      .args([format!("--cache={}", cache.display())])
      .spawn()
  };
  // Opens its log only after 1.5 s: past npmx's 1 s wait for the OS.
  let slow = start(
    &[
      "log error code E404",
      "log error 404 Not Found - GET http://127.0.0.1:9/e2e-dep - Not found",
      "exit 1",
    ],
    "1.5",
  );
  thread::sleep(Duration::from_millis(100));
  // Starts later, logs at once, and holds its log until it fails at 3 s.
  let other = start(
    &[
      "log error code E403",
      "log error 403 Forbidden - GET http://127.0.0.1:9/e2e-dep - Forbidden",
      "sleep 3",
      "exit 1",
    ],
    "0",
  );
  let (slow, other) = (slow.wait(), other.wait());
  assert!(
    slow.stderr().contains("[package-not-found]"),
    "{}",
    slow.stderr()
  );
  assert!(
    !slow.stderr().contains("[registry-forbidden]"),
    "{}",
    slow.stderr()
  );
  assert!(
    other.stderr().contains("[registry-forbidden]"),
    "{}",
    other.stderr()
  );
}
