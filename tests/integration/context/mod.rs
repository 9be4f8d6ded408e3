//! Context-aware advice, asserted on real npm 11 runs replayed in different
//! situations.
//!
//! Each scenario takes a recorded run of the real npm against a real server
//! (`tests/fixtures/npm11/<name>/`: stderr, stdout, debug log, and the files
//! and environment it ran with), and replays it through npmx with a fake npm
//! (`tests/support/replay-npm`) that writes what the real npm wrote, in a
//! temporary project whose config and environment the test changes: CI or
//! not, a proxy or not, a token variable set or not, a scoped package or not.
//! The assertions are on npmx's report and on what the person sees.

use std::{
  collections::BTreeMap,
  fs,
  path::{Path, PathBuf},
};

use serde_json::Value;

use crate::harness::Test;

mod credentials;
mod publishing;
mod situations;

const SECRET: &str = "npm_Xot4xa41BkhQZ4uxmlV9kOyg4BsyHR1m6v2h";

struct Replay {
  fixture: PathBuf,
  meta: Value,
  test: Test,
  env: BTreeMap<String, String>,
  files: BTreeMap<String, String>,
  verbose: bool,
}

struct Outcome {
  /// Kept so files the run wrote can still be read.
  test: Test,
  code: i32,
  stderr: String,
  report: Value,
  report_text: String,
}

impl Replay {
  fn of(name: &str) -> Replay {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
      .join("tests/fixtures/npm11")
      .join(name);
    let meta: Value =
      serde_json::from_str(&fs::read_to_string(fixture.join("meta.json")).unwrap()).unwrap();
    let test = Test::new();
    let root = test.dir().to_owned();
    let rewrite = |s: &str| s.replace("/tmp/npmx-e2e", root.to_str().unwrap());
    let env = meta["env"]
      .as_object()
      .unwrap()
      .iter()
      .map(|(k, v)| (k.clone(), rewrite(v.as_str().unwrap())))
      .collect();
    let files = meta["files"]
      .as_object()
      .unwrap()
      .iter()
      .map(|(k, v)| (k.clone(), rewrite(v.as_str().unwrap())))
      .collect();
    Replay {
      fixture,
      meta,
      test,
      env,
      files,
      verbose: true,
    }
  }

  fn env(mut self, name: &str, value: &str) -> Self {
    self.env.insert(name.into(), value.into());
    self
  }

  /// As a person sees it by default: the first piece of evidence only.
  fn terse(mut self) -> Self {
    self.verbose = false;
    self
  }

  fn unset(mut self, name: &str) -> Self {
    self.env.remove(name);
    self
  }

  fn ci(self) -> Self {
    self.env("CI", "true").env("GITHUB_ACTIONS", "true")
  }

  fn user_npmrc(mut self, text: &str) -> Self {
    self.files.insert("userconfig".into(), text.into());
    self
  }

  fn project_npmrc(mut self, text: &str) -> Self {
    self.files.insert("project/.npmrc".into(), text.into());
    self
  }

  fn package_json(mut self, text: &str) -> Self {
    self
      .files
      .insert("project/package.json".into(), text.into());
    self
  }

  /// npm's arguments instead of the recorded ones (`/tmp/npmx-e2e` is the test's root).
  fn args(mut self, args: &[&str]) -> Self {
    self.meta["argv"] = args.iter().map(|a| Value::from(*a)).collect();
    self
  }

  fn file(mut self, name: &str, text: &str) -> Self {
    self.files.insert(name.into(), text.into());
    self
  }

  fn path(&self, relative: &str) -> PathBuf {
    self.test.path(relative)
  }

  fn run(self) -> Outcome {
    let root = self.test.dir().to_str().unwrap().to_owned();
    for dir in ["home", "project", "global", "cache"] {
      fs::create_dir_all(self.path(dir)).unwrap();
    }
    fs::write(self.path("global/npmrc"), "").unwrap();
    for (name, text) in &self.files {
      let path = if name == "userconfig" {
        self.path("home/.npmrc")
      } else {
        self.path(name)
      };
      fs::create_dir_all(path.parent().unwrap()).unwrap();
      fs::write(path, text).unwrap();
    }
    let args: Vec<String> = self.meta["argv"]
      .as_array()
      .unwrap()
      .iter()
      .map(|a| a.as_str().unwrap().replace("/tmp/npmx-e2e", &root))
      .collect();
    let home = self.path("home");
    let mut test = self.test.cwd("project").args(args);
    for (name, value) in &self.env {
      test = test.env(name, value);
    }
    let test = test
      .env("HOME", home)
      .replay_npm(&self.fixture)
      .with_report()
      .env("NPMX_VERBOSE", if self.verbose { "1" } else { "0" });
    let out = test.run();
    let report_text = fs::read_to_string(test.path("npmx-report.json"))
      .unwrap_or_else(|_| panic!("no report; stderr:\n{}", out.stderr()));
    Outcome {
      code: out.code().unwrap(),
      stderr: String::from_utf8(out.stderr).unwrap(),
      report: serde_json::from_str(&report_text).unwrap(),
      report_text,
      test,
    }
  }
}

impl Outcome {
  /// The test's directory (`/tmp/npmx-e2e` in the recorded run).
  fn root(&self) -> String {
    self.test.dir().to_str().unwrap().to_owned()
  }

  fn ids(&self) -> Vec<&str> {
    self.report["diagnoses"]
      .as_array()
      .unwrap()
      .iter()
      .map(|d| d["id"].as_str().unwrap())
      .collect()
  }

  fn first(&self, id: &str) -> &Self {
    assert_eq!(
      self.ids().first().copied(),
      Some(id),
      "causes {:?}\n{}",
      self.ids(),
      self.stderr
    );
    self
  }

  fn only(&self, id: &str) -> &Self {
    assert_eq!(self.ids(), [id], "\n{}", self.stderr);
    self
  }

  /// Commands of the first diagnosis.
  fn commands(&self) -> Vec<&str> {
    self.report["diagnoses"][0]["steps"]
      .as_array()
      .unwrap()
      .iter()
      .filter_map(|s| s["command"].as_str())
      .collect()
  }

  fn command(&self, exact: &str) -> &Self {
    assert!(
      self.commands().contains(&exact),
      "no command {exact:?} in {:#?}\n{}",
      self.commands(),
      self.stderr
    );
    self
  }

  /// What the person sees contains `text` (line wrapping ignored).
  fn says(&self, text: &str) -> &Self {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
      flat(&self.stderr).contains(&flat(text)),
      "stderr lacks {text:?}:\n{}",
      self.stderr
    );
    self
  }

  fn never_says(&self, text: &str) -> &Self {
    assert!(
      !self.stderr.contains(text),
      "stderr has {text:?}:\n{}",
      self.stderr
    );
    assert!(
      !self.report_text.contains(text),
      "report has {text:?}:\n{}",
      self.report_text
    );
    self
  }
}
