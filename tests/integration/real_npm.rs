//! With the npm installed on this machine, in an environment of its own (see
//! `Test::real_npm`): what npm prints through npmx is what it prints alone,
//! and npmx's evidence stage sees npm's debug log.

use std::{ffi::OsString, net::TcpListener, os::unix::process::ExitStatusExt, path::PathBuf};

use crate::harness::{Done, Test};

/// A port on this machine where nothing listens: npm fails at once with
/// ECONNREFUSED, no network involved.
fn closed_port() -> u16 {
  TcpListener::bind("127.0.0.1:0")
    .unwrap()
    .local_addr()
    .unwrap()
    .port()
}

/// Two different closed ports (both bound at once, so never the same).
fn two_closed_ports() -> (u16, u16) {
  let bind = || TcpListener::bind("127.0.0.1:0").unwrap();
  let (a, b) = (bind(), bind());
  (
    a.local_addr().unwrap().port(),
    b.local_addr().unwrap().port(),
  )
}

fn view_args(port: u16) -> Vec<String> {
  vec![
    "view".into(),
    "is-number".into(),
    format!("--registry=http://127.0.0.1:{port}/"),
    "--fetch-retries=0".into(),
  ]
}

/// Output with the debug log's timestamp (which names the file npm tells
/// about) made the same in every run.
fn unstamped(bytes: &[u8]) -> String {
  let stamp = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d_\d\d_\d\d_\d{3}Z").unwrap();
  stamp
    .replace_all(&String::from_utf8_lossy(bytes), "<stamp>")
    .into_owned()
}

#[track_caller]
fn assert_same(via_npmx: &Done, direct: &Done) {
  assert_eq!(via_npmx.status.into_raw(), direct.status.into_raw());
  assert_eq!(unstamped(&via_npmx.stdout), unstamped(&direct.stdout));
  assert_eq!(unstamped(&via_npmx.stderr), unstamped(&direct.stderr));
}

fn os_args(args: &[String]) -> Vec<OsString> {
  args.iter().map(OsString::from).collect()
}

#[test]
fn npm_version_is_the_same_through_npmx() {
  let t = Test::real_npm().args(["--version"]);
  let (via_npmx, direct) = (t.run(), t.run_direct());
  direct.assert_code(0);
  assert!(!direct.stdout.is_empty());
  assert_same(&via_npmx, &direct);
}

#[test]
fn npm_config_get_is_the_same_through_npmx() {
  let t = Test::real_npm().args(["config", "get", "registry"]);
  let (via_npmx, direct) = (t.run(), t.run_direct());
  direct.assert_code(0);
  assert_eq!(direct.stdout(), "https://registry.npmjs.org/\n");
  assert_same(&via_npmx, &direct);
}

/// npm's own output unchanged, and npmx's diagnosis only after all of it.
fn assert_same_then_diagnosis(via_npmx: &Done, direct: &Done, id: &str) {
  assert_eq!(via_npmx.status.into_raw(), direct.status.into_raw());
  assert_eq!(unstamped(&via_npmx.stdout), unstamped(&direct.stdout));
  let (ours, npms) = (unstamped(&via_npmx.stderr), unstamped(&direct.stderr));
  let added = ours
    .strip_prefix(npms.as_str())
    .unwrap_or_else(|| panic!("npm's stderr must come first, unchanged:\n{ours}"));
  assert!(
    added.starts_with("\nnpmx: ") && added.contains(&format!("[{id}]")),
    "{added}"
  );
}

#[test]
fn a_failing_npm_looks_the_same_through_npmx() {
  let t = Test::real_npm().args(view_args(closed_port()));
  let (via_npmx, direct) = (t.run(), t.run_direct());
  direct.assert_code(1);
  assert!(
    direct.stderr().contains("npm error code ECONNREFUSED"),
    "{direct:?}"
  );
  assert!(
    direct.stderr().contains("A complete log of this run"),
    "{direct:?}"
  );
  assert_same_then_diagnosis(&via_npmx, &direct, "connection-refused");
}

#[test]
fn npm_without_a_debug_log_does_not_trouble_npmx() {
  // `--logs-max=0`: npm writes no log, so the log thread finds nothing to
  // follow; npmx must neither wait for one nor change anything.
  let mut args = view_args(closed_port());
  args.push("--logs-max=0".into());
  let t = Test::real_npm().args(&args);
  let (via_npmx, direct) = (t.run(), t.run_direct());
  direct.assert_code(1);
  assert_same(&via_npmx, &direct);

  let npm = t.direct_script("npm-direct");
  let (status, lines) = npmx::testing::follow_for_test(&npm, &os_args(&args), logs(&t)).unwrap();
  assert_eq!(status.code(), Some(1));
  assert!(lines.is_empty(), "{lines:#?}");
  let no_logs = t
    .path("cache/_logs")
    .read_dir()
    .map_or(true, |mut d| d.next().is_none());
  assert!(no_logs, "npm wrote a log after all");
}

fn logs(t: &Test) -> Vec<PathBuf> {
  vec![t.path("cache/_logs")]
}

#[test]
fn the_evidence_stage_gets_npms_debug_log_lines() {
  let t = Test::real_npm();
  let npm = t.direct_script("npm-direct");
  let args = view_args(closed_port());
  let (status, lines) = npmx::testing::follow_for_test(&npm, &os_args(&args), logs(&t)).unwrap();
  assert_eq!(status.code(), Some(1));
  assert!(
    lines
      .iter()
      .any(|l| l.ends_with(" error code ECONNREFUSED")),
    "{lines:#?}"
  );
  // The last line, written without a newline, arrives too.
  assert!(
    lines
      .last()
      .unwrap()
      .contains("A complete log of this run can be found in"),
    "{lines:#?}"
  );
}

#[test]
fn the_debug_log_is_found_when_npm_logs_its_arguments_expanded() {
  // npm logs its arguments as its option parser "cooked" them: `-g` as
  // `--global`, the abbreviation `--reg` as `--registry`, `-d` as
  // `--loglevel info`. `npm i -D x` is the everyday case.
  let t = Test::real_npm();
  let npm = t.direct_script("npm-direct");
  let port = closed_port();
  let args = [
    "view".to_owned(),
    "is-number".into(),
    "-g".into(),
    "-d".into(),
    format!("--reg=http://127.0.0.1:{port}/"),
    "--fetch-retries=0".into(),
  ];
  let (status, lines) = npmx::testing::follow_for_test(&npm, &os_args(&args), logs(&t)).unwrap();
  assert_eq!(status.code(), Some(1));
  assert!(
    lines
      .iter()
      .any(|l| l.contains("verbose argv") && l.contains("\"--global\"")),
    "{lines:#?}"
  );
  assert!(
    lines
      .iter()
      .any(|l| l.ends_with(" error code ECONNREFUSED")),
    "{lines:#?}"
  );
}

#[test]
fn a_run_right_after_the_same_command_follows_its_own_log() {
  // `npm view x || npm view x` in a script: the first run's log has the same
  // arguments and was written moments before; it is not this run's.
  let t = Test::real_npm();
  let npm = t.direct_script("npm-direct");
  let (first, second) = two_closed_ports();
  let (_, lines) =
    npmx::testing::follow_for_test(&npm, &os_args(&view_args(first)), logs(&t)).unwrap();
  assert!(
    lines.iter().any(|l| l.contains(&format!(":{first}/"))),
    "{lines:#?}"
  );
  let (_, lines) =
    npmx::testing::follow_for_test(&npm, &os_args(&view_args(second)), logs(&t)).unwrap();
  assert!(
    lines.iter().any(|l| l.contains(&format!(":{second}/"))),
    "{lines:#?}"
  );
  assert!(
    !lines.iter().any(|l| l.contains(&format!(":{first}/"))),
    "{lines:#?}"
  );
}

#[test]
fn of_two_logs_from_a_nested_run_the_outer_one_is_followed() {
  // A lifecycle script runs npm again with the same command: two logs in the
  // same directory, both new, both with our arguments. Ours is the earlier.
  let t = Test::real_npm();
  t.write(
    "package.json",
    r#"{"name": "nest", "version": "1.0.0", "scripts": {"x": "node nested.js"}}"#,
  );
  t.write(
    "nested.js",
    r#"const { spawnSync } = require('child_process')
if (process.argv[2] === 'OUTER') {
  const inner = spawnSync('npm', ['run', 'x', '--', 'INNER'], { stdio: 'inherit' })
  process.exit(inner.status)
}
"#,
  );
  let npm = t.direct_script("npm-direct");
  let args = ["run", "x", "--", "OUTER"].map(String::from);
  let (status, lines) = npmx::testing::follow_for_test(&npm, &os_args(&args), logs(&t)).unwrap();
  assert_eq!(status.code(), Some(0));
  let logs: Vec<_> = t.path("cache/_logs").read_dir().unwrap().collect();
  assert_eq!(logs.len(), 2, "the inner npm wrote its own log");
  let argv: Vec<_> = lines
    .iter()
    .filter(|l| l.contains(" verbose argv "))
    .collect();
  assert_eq!(argv.len(), 1, "{lines:#?}");
  assert!(
    argv[0].ends_with(r#"verbose argv "run" "x" "--" "OUTER""#),
    "{lines:#?}"
  );
}
