//! npmx reads npm's command line as the npm installed here does: its flag
//! table against npm's own definitions, and its parser against nopt itself
//! (through `tests/support/npm-flags.js`), on a few thousand generated
//! command lines. Needs node and npm; fails when they are missing.

use std::{
  collections::BTreeSet,
  io::Write,
  path::Path,
  process::{Command, Stdio},
};

use serde_json::Value;

#[path = "support/npm.rs"]
mod npm;
use npm::npm_dir;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/npm-flags.js");

/// Runs the support script; `None` when it exits 3 (nopt too old to ask).
fn script(args: &[&str], dir: &Path, input: Option<&Value>) -> Option<Value> {
  let mut child = Command::new("node")
    .arg(SCRIPT)
    .args(args)
    .arg(dir)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit())
    .spawn()
    .expect("node on PATH: these tests need node and npm");
  let mut stdin = child.stdin.take().unwrap();
  if let Some(input) = input {
    // A script that stops early (exit 3) leaves a broken pipe: its status says why.
    let _ = stdin.write_all(input.to_string().as_bytes());
  }
  drop(stdin);
  let out = child.wait_with_output().unwrap();
  if out.status.code() == Some(3) {
    return None;
  }
  assert!(out.status.success(), "npm-flags.js {args:?} failed");
  Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn the_table_has_every_flag_and_shorthand_of_this_npm() {
  let npm = script(&["--json"], &npm_dir(), None).unwrap();
  let ours = npmx::testing::npm_flags_table();
  let mut problems = Vec::new();
  for (key, theirs) in npm["flags"].as_object().unwrap() {
    let Some(mine) = ours["flags"].get(key) else {
      problems.push(format!("--{key} is missing"));
      continue;
    };
    // Words are the union over npm versions, so ours may have more.
    let words = |v: &Value| -> BTreeSet<String> {
      v["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect()
    };
    let strip = |v: &Value| {
      let mut v = v.clone();
      v.as_object_mut().unwrap().remove("words");
      v
    };
    if strip(mine) != strip(theirs) || !words(mine).is_superset(&words(theirs)) {
      problems.push(format!("--{key}: npm {theirs}, npmx {mine}"));
    }
  }
  for (name, theirs) in npm["shorthands"].as_object().unwrap() {
    if ours["shorthands"].get(name) != Some(theirs) {
      problems.push(format!(
        "-{name}: npm {theirs}, npmx {:?}",
        ours["shorthands"].get(name)
      ));
    }
  }
  assert!(
    problems.is_empty(),
    "npm {} (regenerate src/npm_flags/table.rs with tests/support/npm-flags.js):\n{}",
    npm["version"],
    problems.join("\n")
  );
}

#[test]
fn npmx_reads_command_lines_as_nopt_does_with_npm_s_definitions() {
  let dir = npm_dir();
  let npm = script(&["--json"], &dir, None).unwrap();
  let flags: Vec<String> = npm["flags"].as_object().unwrap().keys().cloned().collect();
  let shorthands: Vec<String> = npm["shorthands"]
    .as_object()
    .unwrap()
    .keys()
    .cloned()
    .collect();
  // Whole names only: abbreviations depend on which flags a version has
  // (npmx's are over npm 8 to 12), and are checked below with npmx's table.
  let argvs = generate(&flags, &shorthands, false, 0x5eed);
  compare(&dir, &argvs, None);
}

#[test]
fn npmx_reads_command_lines_as_nopt_does_with_npmx_s_table() {
  let ours = npmx::testing::npm_flags_table();
  let flags: Vec<String> = ours["flags"].as_object().unwrap().keys().cloned().collect();
  let shorthands: Vec<String> = ours["shorthands"]
    .as_object()
    .unwrap()
    .keys()
    .cloned()
    .collect();
  let argvs = generate(&flags, &shorthands, true, 0xab12);
  compare(&npm_dir(), &argvs, Some(ours));
}

#[test]
fn the_cases_that_once_went_wrong() {
  let cases: Vec<Vec<String>> = [
    &["--noproxy", "x", "publish"][..],
    &["--ca", "x", "install"],
    &["-w", "pkg", "publish"],
    &["--registry", "https://r/", "clean-install"],
    &["--no-foo", "--foo=bar", "x"],
    &["run", "x", "--", "--tag", "y"],
    &["-dd", "-s", "--silent", "-g", "--reg", "r"],
    &["--@a:registry", "https://x/", "install"],
    &["--global=yes", "install"],
    &["--browser", "--foo", "x"],
    &["--no-workspace", "foo"],
    &["--=x", "-=y", "---", "z"],
  ]
  .iter()
  .map(|a| a.iter().map(|s| s.to_string()).collect())
  .collect();
  compare(&npm_dir(), &cases, None);
}

/// Asks nopt (with npm's definitions, or `table`) what it makes of each argv
/// and compares that with npmx.
fn compare(dir: &Path, argvs: &[Vec<String>], table: Option<Value>) {
  let mut input = serde_json::json!({ "argvs": argvs });
  if let Some(table) = table {
    input["table"] = table;
  }
  let Some(answers) = script(&["--parse"], dir, Some(&input)) else {
    eprintln!("this npm's nopt has no parse() of its own (npm 8): parser not compared");
    return;
  };
  let mut problems = Vec::new();
  for (argv, answer) in argvs.iter().zip(answers.as_array().unwrap()) {
    let (options, positionals) = npmx::testing::npm_flags_parse(argv);
    if let Err(why) = same(answer, &options, &positionals) {
      problems.push(format!(
        "{argv:?}: {why}\n  nopt: {answer}\n  npmx: {options:?} {positionals:?}"
      ));
    }
  }
  assert!(
    problems.is_empty(),
    "{} of {} command lines read differently, e.g.:\n{}",
    problems.len(),
    argvs.len(),
    problems[..problems.len().min(15)].join("\n")
  );
}

/// nopt's `data` holds a list for list types and for an unknown flag given
/// twice, else the last value; npmx keeps every (key, value) in order.
fn same(
  answer: &Value,
  options: &[(String, String)],
  positionals: &[String],
) -> Result<(), String> {
  let remain: Vec<&str> = answer["remain"]
    .as_array()
    .unwrap()
    .iter()
    .map(|v| v.as_str().unwrap())
    .collect();
  if remain != positionals {
    return Err("positionals differ".into());
  }
  let data = answer["data"].as_object().unwrap();
  let ours: BTreeSet<&str> = options.iter().map(|(k, _)| k.as_str()).collect();
  let theirs: BTreeSet<&str> = data.keys().map(String::as_str).collect();
  if ours != theirs {
    return Err("keys differ".into());
  }
  for (key, value) in data {
    let mine: Vec<&str> = options
      .iter()
      .filter(|(k, _)| k == key)
      .map(|(_, v)| v.as_str())
      .collect();
    let expected: Vec<&Value> = match value {
      Value::Array(all) => all.iter().collect(),
      one => vec![one],
    };
    let mine = if value.is_array() {
      &mine[..]
    } else {
      &mine[mine.len() - 1..]
    };
    if mine.len() != expected.len() || !mine.iter().zip(&expected).all(|(m, e)| text_is(m, e)) {
      return Err(format!("--{key} differs"));
    }
  }
  Ok(())
}

/// npmx keeps values as text; nopt has booleans, null, and numbers (sent as
/// `{"number": "31"}`), which npmx keeps as written (`0x1f`): what matters
/// there is that both took the argument.
fn text_is(mine: &str, theirs: &Value) -> bool {
  match theirs {
    Value::String(s) => mine == s,
    Value::Bool(b) => mine == b.to_string(),
    Value::Null => mine == "null",
    Value::Object(number) => number.contains_key("number"),
    _ => false,
  }
}

/// A few thousand command lines from `flags` and `shorthands` in all the
/// forms nopt treats differently; with `prefixes`, also abbreviations.
fn generate(
  flags: &[String],
  shorthands: &[String],
  prefixes: bool,
  seed: u64,
) -> Vec<Vec<String>> {
  let mut rng = Rng(seed);
  // No version-specific literal words here (`private` is npm 11's).
  let values = [
    "true",
    "false",
    "null",
    "x",
    "-x",
    "--x",
    "--",
    "---",
    "",
    "-",
    "3",
    " 3 ",
    "0x1f",
    "1e3",
    "Infinity",
    "always",
    "silent",
    "public",
    "dev",
    "https://r/",
    "a=b",
    "é",
    "install",
  ];
  let unknown = ["foo", "@a:registry", "//r.example/:_authToken", "FOO"];
  let mut argvs = Vec::new();
  for _ in 0..3000 {
    let mut argv = Vec::new();
    for _ in 0..rng.below(6) + 1 {
      let name = match rng.below(10) {
        0..=5 => rng.pick(flags).clone(),
        6 | 7 => rng.pick(shorthands).clone(),
        8 => rng.pick(&unknown).to_string(),
        _ if prefixes => {
          let whole = if rng.below(2) == 0 {
            rng.pick(flags)
          } else {
            rng.pick(shorthands)
          };
          whole.chars().take(rng.below(whole.len()) + 1).collect()
        }
        _ => rng.pick(&values).to_string(),
      };
      let dashes = ["--", "-", "--no-", "--NO-no-"][rng.below(4)];
      match rng.below(8) {
        0 => argv.push(format!("{dashes}{name}={}", rng.pick(&values))),
        1 => argv.push(rng.pick(&values).to_string()),
        2 => {
          // Runs of one-letter shorthands (`-gS`, `-gx`).
          let letters: String = (0..rng.below(3) + 2)
            .map(|_| ["g", "S", "d", "x", "E", "?"][rng.below(6)])
            .collect();
          argv.push(format!("-{letters}"));
        }
        3 | 4 => {
          argv.push(format!("{dashes}{name}"));
          argv.push(rng.pick(&values).to_string());
        }
        _ => argv.push(format!("{dashes}{name}")),
      }
    }
    argvs.push(argv);
  }
  argvs
}

/// xorshift64: the same command lines on every run.
struct Rng(u64);

impl Rng {
  fn below(&mut self, n: usize) -> usize {
    self.0 ^= self.0 << 13;
    self.0 ^= self.0 >> 7;
    self.0 ^= self.0 << 17;
    (self.0 % n as u64) as usize
  }

  fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
    &list[self.below(list.len())]
  }
}
