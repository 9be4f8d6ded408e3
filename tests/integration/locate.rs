//! Which npm runs: the real one, however npmx was reached (alias, shim
//! script, symlink, hard link), never npmx itself, and never in a loop.

use std::{fs, path::PathBuf};

use crate::harness::{NPMX, Test, records};

fn shim(name: &str) -> PathBuf {
  PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    .join("shims")
    .join(name)
}

#[test]
fn npmx_npm_names_the_npm_to_run() {
  // Nothing called npm on PATH at all: only the override can find it.
  let t = Test::new();
  let npm = t.fake_npm_at("elsewhere/the-real-npm");
  fs::remove_file(t.path("bin/npm")).unwrap();
  let t = t.path_is(["bin"]).env("NPMX_NPM", &npm).args(["report"]);
  t.run().assert_code(0);
  assert!(t.report().parent_is_npmx());
}

#[test]
fn the_shim_script_first_on_path_finds_the_npm_behind_it() {
  let t = Test::new();
  fs::create_dir(t.path("shims")).unwrap();
  fs::copy(shim("npm"), t.path("shims/npm")).unwrap();
  let t = t
    .path_is(["shims", "bin"])
    .env("NPMX_BIN", NPMX)
    .program("shims/npm")
    .args(["report"]);
  t.run().assert_code(0);
  let report = t.report();
  assert!(report.parent_is_npmx(), "{report:?}");
  // The shim's note to npmx stays with npmx.
  assert_eq!(report.env.NPMX_ARG0, None);
  assert_eq!(report.env.NPMX_DEPTH.as_deref(), Some("1"));
}

#[test]
fn the_shim_without_npmx_still_runs_npm() {
  // npmx uninstalled, the shim left on PATH: npm must still work.
  let t = Test::new();
  fs::create_dir(t.path("shims")).unwrap();
  fs::copy(shim("npm"), t.path("shims/npm")).unwrap();
  let uninstalled = t.path("uninstalled/npmx");
  let t = t
    .path_is(["shims", "bin"])
    .env("NPMX_BIN", uninstalled)
    .program("shims/npm")
    .args(["report", "exit=4"]);
  t.run().assert_code(4);
  let report = t.report();
  assert!(!report.parent_is_npmx(), "{report:?}");
  assert_eq!(report.env.NPMX_ARG0, None);
  assert_eq!(report.env.NPMX_DEPTH, None);
}

#[test]
fn the_shim_without_npmx_or_npm_says_so() {
  let t = Test::new();
  fs::create_dir(t.path("shims")).unwrap();
  fs::copy(shim("npm"), t.path("shims/npm")).unwrap();
  let t = t.path_is(["shims"]).program("shims/npm");
  let run = t.run();
  run.assert_code(127);
  let stderr = run.stderr();
  assert_eq!(stderr.lines().count(), 1, "{stderr}");
  assert!(stderr.starts_with("npm: not found on PATH"), "{stderr}");
}

#[test]
fn the_npx_shim_runs_npx() {
  let t = Test::new();
  fs::create_dir(t.path("shims")).unwrap();
  fs::copy(shim("npx"), t.path("shims/npx")).unwrap();
  t.fake_npm_at("bin/npx");
  let t = t
    .path_is(["shims", "bin"])
    .env("NPMX_BIN", NPMX)
    .program("shims/npx")
    .args(["report"]);
  t.run().assert_code(0);
  let report = t.report();
  assert!(report.parent_is_npmx(), "{report:?}");
  assert_eq!(report.env.NPMX_ARG0, None);
}

#[test]
fn a_symlink_named_npm_finds_the_npm_behind_it() {
  let t = Test::new();
  fs::create_dir(t.path("links")).unwrap();
  std::os::unix::fs::symlink(NPMX, t.path("links/npm")).unwrap();
  let t = t
    .path_is(["links", "bin"])
    .program("links/npm")
    .args(["report"]);
  t.run().assert_code(0);
  assert!(t.report().parent_is_npmx());
}

#[test]
fn a_hard_link_named_npm_finds_the_npm_behind_it() {
  // Same inode, another name and directory: only identity can tell.
  let t = Test::new();
  fs::create_dir(t.path("links")).unwrap();
  fs::hard_link(NPMX, t.path("links/npm")).unwrap();
  let t = t
    .path_is(["links", "bin"])
    .program("links/npm")
    .args(["report"]);
  t.run().assert_code(0);
  let report = t.report();
  assert_eq!(
    report.parent.exe.as_deref(),
    Some(t.path("links/npm").as_path())
  );
  assert_eq!(report.env.NPMX_DEPTH.as_deref(), Some("1"));
}

#[test]
fn a_wrapper_that_leads_back_to_npmx_ends_in_an_error_not_a_fork_bomb() {
  // A user's own `npm` script calling npmx: nothing marks it as npmx's, so
  // only the depth counter can stop it.
  let t = Test::new();
  t.executable("wrap/npm", "#!/bin/sh\nexec npmx \"$@\"\n");
  let t = t.path_is(["wrap", "npmx", "bin"]).args(["report"]);
  let run = t.run();
  run.assert_code(126);
  let stderr = run.stderr();
  assert_eq!(stderr.lines().count(), 1, "{stderr}");
  assert!(
    stderr.starts_with("npmx: npm leads back to npmx"),
    "{stderr}"
  );
  assert!(stderr.contains("NPMX_NPM"), "{stderr}");
  assert!(
    !t.path("report.json").exists(),
    "the real npm was never reached"
  );
}

#[test]
fn no_npm_anywhere_is_127_with_one_line_naming_path_and_the_fix() {
  let t = Test::new();
  fs::remove_file(t.path("bin/npm")).unwrap();
  let t = t.path_is(["bin", "npmx"]);
  let run = t.run();
  run.assert_code(127);
  let stderr = run.stderr();
  assert_eq!(stderr.lines().count(), 1, "{stderr}");
  assert!(
    stderr.starts_with("npmx: cannot find the real npm"),
    "{stderr}"
  );
  assert!(stderr.contains(&format!(
    "{}:{}",
    t.path("bin").display(),
    t.path("npmx").display()
  )));
  assert!(
    stderr.contains("install Node.js") && stderr.contains("NPMX_NPM"),
    "{stderr}"
  );
}

#[test]
fn npmx_arg0_never_reaches_npm() {
  let t = Test::new().env("NPMX_ARG0", "npm").args(["report"]);
  t.run().assert_code(0);
  assert_eq!(t.report().env.NPMX_ARG0, None);
}

#[test]
fn npmx_disable_replaces_npmx_with_npm() {
  // exec, not a child: npm has npmx's pid.
  let t = Test::new()
    .env("NPMX_DISABLE", "1")
    .env("NPMX_ARG0", "npm")
    .args(["report"]);
  let run = t.spawn();
  let pid = run.pid();
  run.wait().assert_code(0);
  let report = t.report();
  assert_eq!(report.pid, pid);
  assert_eq!(report.env.NPMX_ARG0, None);
  assert_eq!(report.env.NPMX_DEPTH, None);
}

#[test]
fn nested_npm_goes_through_the_shim_once_per_level() {
  // A lifecycle script running `npm …` reaches npmx again through PATH: one
  // npmx per level, each counting one deeper, and the inner npm's output
  // unchanged.
  let t = Test::new();
  fs::create_dir(t.path("shims")).unwrap();
  fs::copy(shim("npm"), t.path("shims/npm")).unwrap();
  let record = t.path("record.jsonl");
  let t = t
    .path_is(["shims", "bin"])
    .env("NPMX_BIN", NPMX)
    .env("FAKE_NPM_RECORD", &record)
    .program("shims/npm")
    .args(["nested"]);
  let run = t.run();
  run.assert_code(0);
  assert_eq!(run.stdout(), "0.0.0-fake\n");
  assert_eq!(run.stderr(), "");
  let runs = records(&record);
  assert_eq!(runs.len(), 2, "{runs:?}");
  let (outer, inner) = (&runs[0], &runs[1]);
  let npmx = fs::canonicalize(NPMX).unwrap();
  assert_eq!(outer.argv, ["nested"]);
  assert_eq!(inner.argv, ["--version"]);
  assert_eq!(outer.NPMX_DEPTH.as_deref(), Some("1"));
  assert_eq!(inner.NPMX_DEPTH.as_deref(), Some("2"));
  for run in &runs {
    assert_eq!(run.parent.exe.as_ref(), Some(&npmx), "{run:?}");
    assert_eq!(run.NPMX_ARG0, None, "{run:?}");
  }
  // The inner npmx is the outer npm's child: nothing in between.
  assert_eq!(inner.parent.ppid, Some(outer.pid));
}
