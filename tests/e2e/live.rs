//! The real npm live under npmx where a replay cannot show it: a terminal's
//! OTP prompt, notices while npm waits.

use super::*;

/// A publish that needs a one-time password, in a terminal, under npmx: npm's
/// own prompt appears, the typed code goes through, and the registry sees it
/// in the `npm-otp` header of the retried PUT.
#[test]
fn otp_publish_in_a_terminal() {
  let name = "otp-publish-tty";
  let meta = fixture_meta(name);
  let p = prepare(name, &meta);
  let code = servers().state["otp_code"]
    .as_str()
    .expect("otp_code")
    .to_string();
  let log_path = PathBuf::from(servers().state["otp_log"].as_str().expect("otp_log"));
  let package = "e2e-otp-tty";
  let seen_before = otp_requests(&log_path, package).len();

  let session = rexpect::session::spawn_command(command(&p, &meta), Some(60_000));
  let mut session = session.unwrap_or_else(|e| panic!("cannot start npmx in a terminal: {e}"));
  let before = session
    .exp_string("Enter OTP:")
    .unwrap_or_else(|e| panic!("npm's OTP prompt did not appear under npmx: {e}"));
  assert!(
    before.contains("This operation requires a one-time password."),
    "npm's prompt text:\n{before}"
  );
  session.send_line(&code).expect("type the code");
  let after = session
    .exp_eof()
    .unwrap_or_else(|e| panic!("npm did not finish: {e}"));
  let status = session.process().wait().expect("wait");
  let transcript = p.map.normalise(&format!("{before}Enter OTP:{after}"));
  assert!(
    matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
    "npmx exited with {status:?}\n{transcript}"
  );
  assert!(
    transcript.contains(&format!("+ {package}@1.0.0")),
    "no publish line:\n{transcript}"
  );

  let requests = otp_requests(&log_path, package);
  let puts: Vec<&Value> = requests[seen_before..]
    .iter()
    .filter(|r| r["method"] == "PUT")
    .collect();
  assert_eq!(
    puts.len(),
    2,
    "expected a PUT without and one with the OTP: {puts:?}"
  );
  assert_eq!(puts[0]["npm_otp"], Value::Null);
  assert_eq!(puts[0]["status"], 401);
  assert_eq!(puts[1]["npm_otp"], Value::String(code));
  assert_eq!(puts[1]["status"], 201);
}

fn otp_requests(log: &Path, package: &str) -> Vec<Value> {
  fs::read_to_string(log)
    .unwrap_or_default()
    .lines()
    .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    .filter(|r| r["path"].as_str() == Some(&format!("/{package}")))
    .collect()
}

/// The real npm retrying a request the server resets: npmx says so while npm
/// waits between attempts, before npm's own error block and the diagnosis.
#[test]
fn a_retried_reset_is_told_while_the_real_npm_waits() {
  let mut meta = fixture_meta("net-reset");
  let mut argv: Vec<Value> = meta["argv"]
    .as_array()
    .unwrap()
    .iter()
    .filter(|a| a.as_str() != Some("--fetch-retries=0"))
    .cloned()
    .collect();
  for flag in [
    "--fetch-retries=1",
    "--fetch-retry-mintimeout=3000",
    "--fetch-retry-maxtimeout=3000",
  ] {
    argv.push(Value::from(flag));
  }
  meta["argv"] = Value::from(argv);
  let prepared = prepare("net-reset", &meta);
  let ran = run(command(&prepared, &meta));
  assert_eq!(ran.code, Some(1), "{}", ran.stderr);
  let notice = ran
    .stderr
    .find("failed with ECONNRESET (attempt 1)")
    .unwrap_or_else(|| panic!("no retry notice:\n{}", ran.stderr));
  let block = ran.stderr.find("npm error code ECONNRESET").unwrap();
  assert!(notice < block, "{}", ran.stderr);
  assert!(ran.stderr.contains("[connection-reset]"), "{}", ran.stderr);
}

/// The real npm waiting on a registry that accepts connections and never
/// answers: npmx says so while npm waits, and when the run is stopped
/// (SIGTERM, as a CI job's time limit sends) says what it waited for.
#[test]
fn a_hung_request_and_a_stopped_run_are_told_with_the_real_npm() {
  use std::os::unix::process::ExitStatusExt;
  let mut meta = fixture_meta("net-timeout");
  let argv: Vec<Value> = meta["argv"]
    .as_array()
    .unwrap()
    .iter()
    .map(|a| match a.as_str() {
      Some("--fetch-timeout=2000") => Value::from("--fetch-timeout=120000"),
      _ => a.clone(),
    })
    .collect();
  meta["argv"] = Value::from(argv);
  let (stderr, status) = stalled_then_stopped(&meta);
  assert!(
    stderr.contains("npmx: npm has been waiting") && stderr.contains("with no progress"),
    "no stall notice:\n{stderr}"
  );
  assert!(
    stderr.contains("npmx: npm was stopped (SIGTERM) after waiting"),
    "no word on the stop:\n{stderr}"
  );
  assert!(
    status.signal() == Some(libc::SIGTERM) || status.code() == Some(143),
    "{status:?}"
  );
}

/// A registry that answers 503 once and then recovers: the real npm rides it
/// out by retrying, npmx says it is retrying while it does, and says nothing
/// more, because npm succeeded.
#[test]
fn a_registry_outage_npm_rides_out_gets_the_retry_notice_and_nothing_more() {
  let mut meta = fixture_meta("http-503");
  meta["argv"] = Value::from(
    [
      "install",
      "e2e-tls-ok",
      "--registry=http://127.0.0.1:5009/",
      "--fetch-retries=2",
      "--fetch-retry-mintimeout=2500",
      "--fetch-retry-maxtimeout=2500",
      "--userconfig=/tmp/npmx-e2e/home/.npmrc",
      "--globalconfig=/tmp/npmx-e2e/global/npmrc",
      "--cache=/tmp/npmx-e2e/cache",
      "--update-notifier=false",
    ]
    .map(Value::from)
    .to_vec(),
  );
  let prepared = prepare("http-503", &meta);
  let ran = run(command(&prepared, &meta));
  assert_eq!(ran.code, Some(0), "{}", ran.stderr);
  assert!(
    ran.stderr.contains("failed with 503 (attempt 1)"),
    "no retry notice:\n{}",
    ran.stderr
  );
  assert_eq!(ran.stderr.matches("npmx:").count(), 1, "{}", ran.stderr);
}

/// Runs npmx live with a 2 s stall threshold, stops it with SIGTERM after
/// 6 s, and returns its stderr and how it ended.
fn stalled_then_stopped(meta: &Value) -> (String, std::process::ExitStatus) {
  let prepared = prepare("net-timeout", meta);
  let mut cmd = command(&prepared, meta);
  let mut child = cmd
    .env("NPMX_STALL_SECS", "2")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
  let mut err = child.stderr.take().unwrap();
  let reader = std::thread::spawn(move || {
    let mut text = String::new();
    let _ = err.read_to_string(&mut text);
    text
  });
  std::thread::sleep(Duration::from_secs(6));
  // SAFETY: signalling our own child.
  unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
  let status = child.wait().unwrap();
  let stderr = reader.join().unwrap();
  (stderr, status)
}

/// A proxy that black-holes (accepts, never answers a CONNECT): the same
/// stall notice, naming the registry npm waits on.
#[test]
fn a_black_holing_proxy_is_told_as_a_stall_with_the_real_npm() {
  let mut meta = fixture_meta("net-timeout");
  meta["argv"] = Value::from(
    [
      "install",
      "e2e-tls-ok",
      "--registry=https://127.0.0.1:8447/",
      "--https-proxy=http://127.0.0.1:5001/",
      "--fetch-retries=0",
      "--fetch-timeout=120000",
      "--userconfig=/tmp/npmx-e2e/home/.npmrc",
      "--globalconfig=/tmp/npmx-e2e/global/npmrc",
      "--cache=/tmp/npmx-e2e/cache",
      "--update-notifier=false",
    ]
    .map(Value::from)
    .to_vec(),
  );
  let (stderr, _) = stalled_then_stopped(&meta);
  assert!(
    stderr.contains("npmx: npm has been waiting")
      && stderr.contains("/e2e-tls-ok) with no progress"),
    "no stall notice:\n{stderr}"
  );
}
