//! Nothing secret gets out and nothing a stranger wrote acts, end to end:
//! the binary with secrets in the environment and in every `.npmrc` layer,
//! logs that repeat them (raw, decoded, percent-encoded, cut at the line
//! limit), and registry reasons full of workflow commands, escapes and
//! Markdown — through stdout, stderr, the report, annotations, the step
//! summary and `--npmx-doctor`.

use std::{
  fs,
  path::{Path, PathBuf},
};

use crate::harness::Test;

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
  let mut out = String::new();
  for chunk in bytes.chunks(3) {
    let n = chunk
      .iter()
      .enumerate()
      .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
    for i in 0..4 {
      out.push(if i <= chunk.len() {
        B64[(n >> (18 - 6 * i) & 63) as usize] as char
      } else {
        '='
      });
    }
  }
  out
}

fn percent(text: &str) -> String {
  text
    .bytes()
    .map(|b| {
      if b.is_ascii_alphanumeric() {
        (b as char).to_string()
      } else {
        format!("%{b:02x}")
      }
    })
    .collect()
}

/// No 8-character piece of any secret in `out`.
fn assert_no_piece(what: &str, out: &str, secrets: &[&str]) {
  for secret in secrets {
    for i in 0..=secret.len().saturating_sub(8) {
      let piece = &secret[i..(i + 8).min(secret.len())];
      assert!(
        !out.contains(piece),
        "{what} leaks {piece:?} of {secret:?}:\n{out}"
      );
    }
  }
}

/// No raw control character; no line that a runner reads as a command.
fn assert_harmless(what: &str, out: &str) {
  let bad = out
    .chars()
    .find(|&c| c.is_control() && c != '\n' && c != '\t');
  assert!(bad.is_none(), "{what} has {bad:?}:\n{out:?}");
  for line in out.lines() {
    let t = line.trim_start();
    assert!(
      !t.starts_with("::") || line.starts_with("::error title=npmx%3A "),
      "{what} has a workflow command: {line}"
    );
  }
  assert!(!out.contains("##["), "{what}:\n{out}");
}

/// A machine with secrets in its `.npmrc` layers: a home, a project, an
/// empty global config, a cache.
struct Machine {
  test: Test,
}

impl Machine {
  fn new(user_npmrc: &str, project_npmrc: &str) -> Machine {
    let test = Test::new();
    for d in ["home", "project", "global", "cache"] {
      fs::create_dir_all(test.path(d)).unwrap();
    }
    test.write("home/.npmrc", user_npmrc);
    test.write("project/.npmrc", project_npmrc);
    test.write("global/npmrc", "");
    test.write(
      "project/package.json",
      r#"{"name": "e2e-project", "version": "1.0.0"}"#,
    );
    Machine { test }
  }

  fn path(&self, p: &str) -> PathBuf {
    self.test.path(p)
  }

  /// npmx in the project, every piece of evidence shown, a report written.
  fn npmx(&self) -> Test {
    let global = self.path("global/npmrc");
    self
      .test
      .clone()
      .cwd("project")
      .env("npm_config_globalconfig", global)
      .env("NPMX_VERBOSE", "1")
      .with_report()
  }

  fn report(&self) -> String {
    fs::read_to_string(self.path("npmx-report.json")).unwrap()
  }

  fn diagnose(&self, input: &str, env: &[(&str, &str)]) -> (String, String) {
    let mut t = self.npmx().args(["--npmx-diagnose"]).input(input);
    for (name, value) in env {
      t = t.env(name, value);
    }
    let out = t.run();
    (out.stdout() + &out.stderr(), self.report())
  }
}

const NPM_TOKEN: &str = "npm_EnvToken0123456789abcdefghijKLMNOPQRST";
const NODE_AUTH_TOKEN: &str = "opaque-Node-Auth-7f3a9c2e81d4";
const GITHUB_TOKEN: &str = "ghs_GithubToken0123456789abcdefghijKLMNOP";
const USER_TOKEN: &str = "user-npmrc-T0ken/with+slash=";
const PROJECT_TOKEN: &str = "proj-npmrc-T0ken-9d8c7b6a5f";
const PASSWORD: &str = "Pa55:w0rd/with@chars!";
const PROXY_PASSWORD: &str = "pr0xy-Secret-42";

#[test]
fn diagnose_masks_every_secret_this_machine_knows_in_every_form() {
  let auth = base64(format!("alice:{PASSWORD}").as_bytes());
  let password = base64(PASSWORD.as_bytes());
  let machine = Machine::new(
    &format!("//registry.npmjs.org/:_authToken={USER_TOKEN}\n//npm.acme.com/:_auth={auth}\n"),
    &format!(
      "//npm.corp.example/:_authToken='{PROJECT_TOKEN}'\n//npm.other.example/:username=bob\n//npm.other.example/:_password=\"{password}\"\n"
    ),
  );
  let basic = base64(format!("bob:{PASSWORD}").as_bytes());
  let secrets = [
    NPM_TOKEN,
    NODE_AUTH_TOKEN,
    GITHUB_TOKEN,
    USER_TOKEN,
    PROJECT_TOKEN,
    PASSWORD,
    &auth,
    &password,
    &basic,
    PROXY_PASSWORD,
  ];
  let mut reason = String::from("MARKER-START");
  for s in secrets {
    reason.push_str(&format!(" {s} {} q={s}&", percent(s)));
  }
  reason.push_str(&format!(" alice:{PASSWORD} Basic {basic} MARKER-END"));
  let input = format!(
    "npm error code E403\nnpm error 403 403 Forbidden - GET https://npm.corp.example/x - {reason}\n"
  );
  let (out, report) = machine.diagnose(
    &input,
    &[
      ("NPM_TOKEN", NPM_TOKEN),
      ("NODE_AUTH_TOKEN", NODE_AUTH_TOKEN),
      ("GITHUB_TOKEN", GITHUB_TOKEN),
      (
        "HTTPS_PROXY",
        &format!("http://u:{PROXY_PASSWORD}@127.0.0.1:9"),
      ),
    ],
  );
  assert!(
    out.contains("MARKER-START") && out.contains("MARKER-END"),
    "{out}"
  );
  assert_no_piece("stdout", &out, &secrets);
  assert_no_piece("report", &report, &secrets);
}

#[test]
fn a_token_cut_by_the_line_limit_leaks_nothing() {
  let machine = Machine::new("", "");
  let shaped = "npm_CutShape0123456789abcdefghijKLMNOPQRSTuv";
  for (token, env) in [(NPM_TOKEN, true), (shaped, false)] {
    for offset in [1, 8, 18, 30] {
      let head = "npm error 403 403 Forbidden - GET https://r.example/x - MARKER ";
      let filler = "word ".repeat((64 * 1024 - head.len() - offset) / 5 + 1);
      let line = format!("{head}{filler}");
      let line = &line[..64 * 1024 - offset];
      let input = format!("npm error code E403\n{line}{token} tail\n");
      let vars: &[(&str, &str)] = if env { &[("NPM_TOKEN", token)] } else { &[] };
      let (out, report) = machine.diagnose(&input, vars);
      assert!(out.contains("MARKER"), "{out}");
      assert_no_piece("stdout", &out, &[token]);
      assert_no_piece("report", &report, &[token]);
    }
  }
}

/// A fake npm run (tests/support/replay-npm) whose registry answers 403 with `reason`.
fn live(machine: &Machine, reason: &str, env: &[(&str, &str)]) -> (String, String, String) {
  let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npm11/hostile-reason");
  let replay = machine.path("fixture");
  fs::create_dir_all(&replay).unwrap();
  let swap = |text: String| {
    text
      .lines()
      .map(|l| match l.find("e2e-hostile - Forbidden") {
        Some(i) => format!("{}e2e-hostile - {reason}", &l[..i]),
        None if l.contains("npm notice") => String::new(),
        None => l.to_owned(),
      })
      .collect::<Vec<_>>()
      .join("\n")
      + "\n"
  };
  for name in ["debug.log", "stderr"] {
    fs::write(
      replay.join(name),
      swap(fs::read_to_string(fixture.join(name)).unwrap()),
    )
    .unwrap();
  }
  fs::write(replay.join("stdout"), "").unwrap();
  fs::write(replay.join("meta.json"), "{\n  \"exit_code\": 1\n}\n").unwrap();
  let root = machine.test.dir().to_str().unwrap();
  let summary = machine.path("summary.md");
  let mut t = machine
    .npmx()
    .args([
      "install",
      "e2e-hostile",
      "--registry=http://127.0.0.1:5007/",
      &format!("--userconfig={root}/home/.npmrc"),
      &format!("--globalconfig={root}/global/npmrc"),
      &format!("--cache={root}/cache"),
    ])
    .replay_npm(&replay)
    .env("GITHUB_ACTIONS", "true")
    .env("GITHUB_STEP_SUMMARY", &summary);
  for (name, value) in env {
    t = t.env(name, value);
  }
  let out = t.run();
  // npm's own bytes are npm's; npmx's text starts after them.
  let stderr = String::from_utf8(out.stderr).unwrap();
  let ours = stderr[stderr.find("\nnpmx: ").expect(&stderr)..].to_owned();
  (
    ours,
    fs::read_to_string(summary).unwrap_or_default(),
    machine.report(),
  )
}

#[test]
fn a_hostile_reason_neither_acts_nor_leaks_in_github_actions() {
  let machine = Machine::new(&format!("//127.0.0.1:5007/:_authToken={USER_TOKEN}\n"), "");
  let reason = format!(
    "Forbidden MARKER ::error title=pwned::gotcha ##[error]boom ##[add-mask]x ##[stop-commands]y \
     ::add-mask::z [click](https://evil.example) ![img](https://evil.example/x.png) <img src=x> \
     `code` | a | b | \u{1b}]52;c;aGk=\u{7} \u{1b}]8;;https://evil.example\u{1b}\\ {NPM_TOKEN} \
     Bearer {NODE_AUTH_TOKEN}) token=\"{GITHUB_TOKEN}\" {USER_TOKEN} {}",
    percent(USER_TOKEN)
  );
  let words = " word".repeat(30);
  let (stderr, summary, report) = live(
    &machine,
    &format!("{reason}{words} ::error::wrapped{words} ##[error]wrapped"),
    &[("NPM_TOKEN", NPM_TOKEN), ("COLUMNS", "40")],
  );
  assert!(stderr.contains("MARKER"), "{stderr}");
  assert!(summary.contains("MARKER"), "{summary}");
  let secrets = [NPM_TOKEN, NODE_AUTH_TOKEN, GITHUB_TOKEN, USER_TOKEN];
  for (what, text) in [
    ("stderr", &stderr),
    ("summary", &summary),
    ("report", &report),
  ] {
    assert_no_piece(what, text, &secrets);
    assert_harmless(what, text);
  }
  assert_eq!(
    stderr.lines().filter(|l| l.starts_with("::error ")).count(),
    1,
    "{stderr}"
  );
  for active in ["](", "![", "<img", "`code`", "| a |"] {
    assert!(
      !summary.contains(active),
      "{active} in the summary:\n{summary}"
    );
  }
}

#[test]
fn doctor_shows_no_escape_sequence_or_line_break_from_a_cloned_npmrc() {
  let machine = Machine::new(
    "",
    "@evil\u{1b}]52;c;cGF5bG9hZA\u{7}:registry=https://e.example/\u{1b}]0;title\u{7}\u{1b}[2J\u{1b}c\u{9b}2J\n\
     registry=\"https://r.example/\\n::error title=x::pwned\\n##[error]boom\"\n\
     @acme:registry=\"https://acme.example/\\u001b]8;;https://evil.example\\u0007link\"\n\
     //npm.acme.com/:_authToken=\"line1\\nsecret-on-line-2-ABCDEFGH\"\n",
  );
  let text = machine.npmx().args(["--npmx-doctor"]).run().stdout();
  assert_harmless("doctor", &text);
  // (Whether the first line is a setting at all is npm's ini reading's
  // business, tested against npm in tests/npmrc_differential.rs.)
  assert!(!text.contains("secret-on-line-2"), "{text}");
  assert!(
    text.contains("https://r.example/\\u{a}::error title=x::pwned\\u{a}#\\#[error]boom"),
    "{text}"
  );
}
