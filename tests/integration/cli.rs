//! npmx's own options: the offline modes' output and exit codes, colour rules.

use crate::harness::{Done, Test};

/// npmx with these arguments, this text on stdin and these variables.
fn npmx(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Done {
  let mut t = Test::new().args(args).input(stdin.unwrap_or(""));
  for (name, value) in env {
    t = t.env(name, value);
  }
  t.run()
}

fn text(bytes: &[u8]) -> String {
  String::from_utf8_lossy(bytes).into_owned()
}

const E402: &str = "npm error code E402\nnpm error 402 Payment Required - PUT https://registry.npmjs.org/@acme%2fui - You must sign up for private packages\n";

#[test]
fn diagnose_reads_stdin_and_exits_0_when_it_finds_a_cause() {
  let out = npmx(&["--npmx-diagnose"], Some(E402), &[]);
  assert_eq!(out.status.code(), Some(0));
  let stdout = text(&out.stdout);
  assert!(
    stdout.starts_with("npmx: A scoped package is private by default [scoped-access]"),
    "{stdout}"
  );
  assert!(stdout.contains("npm publish --access=public"), "{stdout}");
  assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn diagnose_exits_1_when_it_finds_nothing_and_2_when_it_cannot_read() {
  let out = npmx(
    &["--npmx-diagnose", "-"],
    Some("added 3 packages in 2s\n"),
    &[],
  );
  assert_eq!(out.status.code(), Some(1));
  assert_eq!(text(&out.stdout), "npmx: no npm error found in the input\n");
  let out = npmx(&["--npmx-diagnose", "/nonexistent/ci.log"], None, &[]);
  assert_eq!(out.status.code(), Some(2));
  assert!(
    text(&out.stderr).starts_with("npmx: cannot read /nonexistent/ci.log"),
    "{}",
    text(&out.stderr)
  );
}

#[test]
fn an_unknown_code_gets_nothing_rather_than_a_guess() {
  let out = npmx(
    &["--npmx-diagnose"],
    Some("npm error code EWHATEVER\nnpm error something new\n"),
    &[],
  );
  assert_eq!(out.status.code(), Some(1));
  assert_eq!(
    text(&out.stdout),
    "npmx: npm failed, but npmx knows no cause for this error\n"
  );
}

#[test]
fn explain_a_code_lists_every_cause_and_how_to_tell_them_apart() {
  let out = npmx(&["--npmx-explain", "E403"], None, &[]);
  assert_eq!(out.status.code(), Some(0));
  let stdout = text(&out.stdout);
  assert!(stdout.starts_with("npm's E403 can mean any of"), "{stdout}");
  for id in [
    "[publish-forbidden]",
    "[version-exists]",
    "[registry-forbidden]",
    "[proxy-forbidden]",
    "[policy-blocked]",
    "[email-unverified]",
  ] {
    assert!(stdout.contains(id), "{id} missing:\n{stdout}");
  }
  assert!(stdout.contains("Tell: 403 on GET while proxy"), "{stdout}");
}

#[test]
fn explain_an_id_gives_the_whole_explanation() {
  let out = npmx(&["--npmx-explain", "tls-untrusted"], None, &[]);
  assert_eq!(out.status.code(), Some(0));
  let stdout = text(&out.stdout);
  assert!(stdout.contains("NODE_EXTRA_CA_CERTS"), "{stdout}");
  assert!(stdout.contains("Never strict-ssl=false"), "{stdout}");
  let out = npmx(&["--npmx-explain", "no-such-thing"], None, &[]);
  assert_eq!(out.status.code(), Some(1));
  assert!(
    text(&out.stderr).starts_with("npmx: no cause or npm code named"),
    "{}",
    text(&out.stderr)
  );
}

#[test]
fn a_mistyped_topic_gets_the_closest_ids_not_all_of_them() {
  let out = npmx(&["--npmx-explain", "otp-requird"], None, &[]);
  assert_eq!(out.status.code(), Some(1));
  let err = text(&out.stderr);
  assert!(err.contains("the closest: otp-required, "), "{err}");
  // Three names, not the whole list.
  assert!(!err.contains("disk-full"), "{err}");
  assert_eq!(err.matches(", ").count(), 2, "{err}");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal_and_the_text_is_the_same() {
  let plain = text(&npmx(&["--npmx-diagnose"], Some(E402), &[]).stdout);
  assert!(!plain.contains('\u{1b}'), "{plain}");
  let forced = text(&npmx(&["--npmx-diagnose"], Some(E402), &[("FORCE_COLOR", "1")]).stdout);
  assert!(forced.contains('\u{1b}'), "{forced}");
  let stripped = regex::Regex::new("\u{1b}\\[[0-9;]*m")
    .unwrap()
    .replace_all(&forced, "");
  assert_eq!(stripped, plain);
  let off = text(&npmx(&["--npmx-diagnose"], Some(E402), &[("FORCE_COLOR", "0")]).stdout);
  assert_eq!(off, plain);
}

#[test]
fn help_and_version() {
  let out = npmx(&["--npmx-help"], None, &[]);
  assert!(text(&out.stdout).contains("--npmx-diagnose"));
  let out = npmx(&["--npmx-version"], None, &[]);
  assert_eq!(
    text(&out.stdout),
    format!("npmx {}\n", env!("CARGO_PKG_VERSION"))
  );
  let out = npmx(&["--npmx-bogus"], None, &[]);
  assert_eq!(out.status.code(), Some(2));
}

/// A pasted log holds this machine's secrets: the token from the environment
/// (raw and percent-encoded) and the password inside the user .npmrc's
/// base64 `_auth`. None of them, nor 8 characters of them, reaches stdout or
/// the report.
#[test]
fn a_pasted_log_never_shows_this_machine_s_secrets() {
  let dir = tempfile::tempdir().unwrap();
  let home = dir.path().join("home");
  std::fs::create_dir_all(&home).unwrap();
  let token = "Zq8vX2mLp4Rt7Wn1Ks9Dh3Fg6Jc0Bv5Ny";
  let password = "Pa$$w0rd:with@chars";
  let auth = "YWxpY2U6UGEkJHcwcmQ6d2l0aEBjaGFycw=="; // alice:Pa$$w0rd:with@chars
  std::fs::write(
    home.join(".npmrc"),
    format!("//npm.acme.com/:_auth={auth}\n"),
  )
  .unwrap();
  let report = dir.path().join("report.json");
  let log = format!(
    "npm error code E401\nnpm error 401 Unauthorized - GET https://npm.acme.com/x?t={token} - bad token {token} for alice:{password}, also Pa%24%24w0rd%3Awith%40chars\n"
  );
  let out = npmx(
    &["--npmx-diagnose"],
    Some(&log),
    &[
      ("HOME", home.to_str().unwrap()),
      ("CI_DEPLOY_TOKEN", token),
      ("NPMX_REPORT", report.to_str().unwrap()),
      ("NPMX_VERBOSE", "1"),
    ],
  );
  let stdout = text(&out.stdout);
  let json = std::fs::read_to_string(&report).unwrap();
  assert!(stdout.contains("[auth-rejected]"), "{stdout}");
  for secret in [token, "w0rd:with@chars", "Pa%24%24w0rd", auth] {
    for piece in (0..=secret.len() - 8).map(|i| &secret[i..i + 8]) {
      assert!(!stdout.contains(piece), "{piece:?} in:\n{stdout}");
      assert!(!json.contains(piece), "{piece:?} in:\n{json}");
    }
  }
}

/// Wrapped to the width it is given (COLUMNS when not a terminal): no line
/// wider, and no word split.
#[test]
fn text_wraps_to_columns() {
  let out = npmx(&["--npmx-diagnose"], Some(E402), &[("COLUMNS", "60")]);
  let stdout = text(&out.stdout);
  for line in stdout.lines() {
    // A command or a URL is never split, so it may be longer.
    if line.trim_start().starts_with("npm ") || line.contains("://") {
      continue;
    }
    assert!(line.chars().count() <= 60, "{line:?} in:\n{stdout}");
  }
}
