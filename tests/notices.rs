//! Notices while npm is still trying: a fake npm (`tests/support/script-npm`)
//! writes its debug log over time as npm does, and npmx must speak while it
//! runs — once, and never when npm fails at once or succeeds at once.

use std::{
  fs,
  path::Path,
  process::{Command, Output, Stdio},
  thread,
  time::Duration,
};

struct Scripted {
  dir: tempfile::TempDir,
  env: Vec<(String, String)>,
}

impl Scripted {
  fn new(steps: &[&str]) -> Scripted {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("steps"), steps.join("\n") + "\n").unwrap();
    fs::create_dir_all(dir.path().join("home")).unwrap();
    Scripted {
      dir,
      env: Vec::new(),
    }
  }

  fn env(mut self, name: &str, value: &str) -> Scripted {
    self.env.push((name.into(), value.into()));
    self
  }

  fn command(&self) -> Command {
    let root = self.dir.path();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/script-npm");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_npmx"));
    cmd
      .args([
        "install",
        "e2e-dep",
        &format!("--cache={}", root.join("cache").display()),
      ])
      .current_dir(root)
      .env_clear()
      .env("PATH", "/usr/bin:/bin")
      .env("HOME", root.join("home"))
      .env("NPMX_NPM", &script)
      .env("SCRIPT_NPM", root.join("steps"))
      .env("SCRIPT_LOGS", root.join("cache/_logs"))
      .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
      .stdin(Stdio::null())
      .stdout(Stdio::piped())
      .stderr(Stdio::piped());
    cmd
  }

  fn run(&self) -> Output {
    self.command().output().unwrap()
  }
}

fn stderr(out: &Output) -> String {
  String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_retried_request_is_told_while_npm_still_runs() {
  let out = Scripted::new(&[
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
  let out = Scripted::new(&[
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
  let out = Scripted::new(&[
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
  let off = Scripted::new(&steps).env("NPMX_LIVE", "0").run();
  assert!(!stderr(&off).contains("npmx"), "{}", stderr(&off));
  let silent = Scripted::new(&steps)
    .env("npm_config_loglevel", "silent")
    .run();
  assert!(!stderr(&silent).contains("npmx"), "{}", stderr(&silent));
}

#[test]
fn a_run_stopped_while_waiting_says_what_it_waited_for() {
  let scripted = Scripted::new(&[
    "log silly packumentCache full:http://127.0.0.1:9/e2e-dep cache-miss",
    "wait",
  ]);
  let child = scripted.command().spawn().unwrap();
  thread::sleep(Duration::from_millis(1500));
  // SAFETY: signalling our own child.
  unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
  let out = child.wait_with_output().unwrap();
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
    let mut s = Scripted::new(steps).env("SCRIPT_DELAY", delay);
    // One cache (and so one logs directory) for both.
    s.env.push((
      "SCRIPT_LOGS".into(),
      cache.join("_logs").display().to_string(),
    ));
    let mut cmd = s.command();
    cmd.arg(format!("--cache={}", cache.display()));
    let child = cmd.spawn().unwrap();
    (name.to_owned(), s, child)
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
  for ((name, _keep, child), want) in [
    (late, "[package-not-found]"),
    (early, "[registry-forbidden]"),
  ] {
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(err.contains(want), "{name}: wants {want}:\n{err}");
  }
}
