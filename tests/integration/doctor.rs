//! `npmx --npmx-doctor` shows where settings come from and the problems
//! visible before npm runs, and never shows a secret.

use crate::harness::Test;

/// `npmx --npmx-doctor` in a project `app/` with these `.npmrc` files (an
/// empty global one) and variables: its exit code and stdout.
fn doctor(project_npmrc: &str, user_npmrc: &str, env: &[(&str, &str)]) -> (i32, String) {
  let mut t = Test::new().cwd("app").args(["--npmx-doctor"]);
  t.write(
    "app/package.json",
    r#"{"name":"@acme/ui","version":"1.0.0"}"#,
  );
  t.write("app/.npmrc", project_npmrc);
  t.write("home/.npmrc", user_npmrc);
  let global = t.write("global-npmrc", "");
  t = t.env("npm_config_globalconfig", global);
  for (name, value) in env {
    t = t.env(name, value);
  }
  let out = t.run();
  (out.code().unwrap(), out.stdout())
}

const SECRET: &str = "npm_abcdefghijklmnopqrstuvwxyz0123456789";

#[test]
fn problems_are_named_with_their_file_and_line() {
  let (code, out) = doctor(
    "@acme:registry=https://npm.acme.com/\n//npm.acme.com/:_authToken=${ACME_TOKEN}\nhttps-proxy=http://127.0.0.1:9\ncafile=/nonexistent/ca.pem\n",
    &format!("//registry.npmjs.org/:_authToken={SECRET}\nstrict-ssl=false\n"),
    &[("NODE_AUTH_TOKEN", "")],
  );
  assert_eq!(code, 1, "{out}");
  assert!(
    out.contains("@acme:registry = https://npm.acme.com/"),
    "{out}"
  );
  assert!(
    out.contains(".npmrc:2 reads ${ACME_TOKEN}, which is not set here"),
    "{out}"
  );
  assert!(
    out.contains("nothing answers at the proxy http://127.0.0.1:9"),
    "{out}"
  );
  assert!(out.contains("cafile = /nonexistent/ca.pem"), "{out}");
  assert!(out.contains("does not exist"), "{out}");
  assert!(out.contains("strict-ssl=false"), "{out}");
  assert!(out.contains("NODE_AUTH_TOKEN: empty"), "{out}");
  assert!(!out.contains(SECRET), "the token leaked:\n{out}");
}

#[test]
fn a_clean_setup_has_no_problems() {
  let (code, out) = doctor("", "", &[("NPM_TOKEN", SECRET)]);
  assert_eq!(code, 0, "{out}");
  assert!(out.contains("No problems found."), "{out}");
  assert!(
    out.contains("registry = https://registry.npmjs.org/  (npm's default)"),
    "{out}"
  );
  assert!(out.contains("NPM_TOKEN: set"), "{out}");
  assert!(!out.contains(SECRET), "{out}");
}

#[test]
fn an_http_npmjs_registry_and_a_proxy_password_are_flagged_and_hidden() {
  let (code, out) = doctor(
    "registry=http://registry.npmjs.org/\n",
    "",
    &[("HTTPS_PROXY", "http://alice:hunter2secret@127.0.0.1:9")],
  );
  assert_eq!(code, 1, "{out}");
  assert!(out.contains("https only"), "{out}");
  assert!(!out.contains("hunter2secret"), "{out}");
}

#[test]
fn an_inline_comment_is_not_part_of_the_value() {
  // `npm config get registry` says https://r.example/ for this line.
  let (_, out) = doctor("registry=https://r.example/ ; mirror\n", "", &[]);
  assert!(
    out.contains("registry = https://r.example/  (project .npmrc"),
    "{out}"
  );
  assert!(!out.contains("mirror"), "{out}");
}

#[test]
fn a_cloned_repository_s_npmrc_cannot_write_to_the_terminal() {
  // OSC 52 (clipboard), OSC 8 (link), OSC 0 (title), clear screen, in a key
  // and in values.
  let (_, out) = doctor(
    "proxy=http://x\u{1b}]52;c;aGk=\u{7}:1\n\u{1b}]0;pwned\u{7}cafile=/x\u{1b}[2J\n@a:registry=https://r.example/\u{1b}]8;;https://evil\u{1b}\\\\\n",
    "",
    &[],
  );
  assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
}

#[test]
fn an_inline_comment_is_no_part_of_the_registry() {
  // What `npm config get` prints for these lines (issue 9, item 5). After
  // a comment, the quotes no longer end the value, so npm keeps them.
  let (_, out) = doctor(
    "registry=https://r.example/ ; mirror\n@acme:registry = \"https://npm.acme.com/\" # scoped\n",
    "",
    &[],
  );
  assert!(out.contains("  registry = https://r.example/  ("), "{out}");
  assert!(
    out.contains("@acme:registry = \"https://npm.acme.com/\"  ("),
    "{out}"
  );
  assert!(!out.contains("mirror") && !out.contains("scoped"), "{out}");
}

/// `npmx --npmx-doctor` with this PATH (relative to the test directory, or
/// absolute), npmx's shims in `shims/`: its exit code and stdout.
fn doctor_with_path(path: &[&str]) -> (i32, String) {
  let t = Test::new();
  std::fs::create_dir_all(t.path("shims")).unwrap();
  std::os::unix::fs::symlink(crate::harness::NPMX, t.path("shims/npm")).unwrap();
  let global = t.write("global-npmrc", "");
  let out = t
    .path_is(path)
    .env("npm_config_globalconfig", global)
    .args(["--npmx-doctor"])
    .run();
  (out.code().unwrap(), out.stdout())
}

#[test]
fn a_real_npm_before_the_shims_is_a_problem() {
  // What a version manager activated after npmx's block does.
  let (code, out) = doctor_with_path(&["bin", "shims", "/usr/bin", "/bin"]);
  assert_eq!(code, 1, "{out}");
  assert!(!out.contains("No problems found"), "{out}");
  assert!(out.contains("which comes before npmx's shim"), "{out}");
  assert!(out.contains("/bin/npm"), "{out}");

  let (code, out) = doctor_with_path(&["shims", "bin", "/usr/bin", "/bin"]);
  assert_eq!(code, 0, "{out}");
  assert!(
    out.contains("(npmx's shim: npm runs through npmx)"),
    "{out}"
  );
  assert!(out.contains("No problems found"), "{out}");
}

#[test]
fn shims_made_by_setup_but_off_path_are_a_problem() {
  let t = Test::new().path_is(["bin", "/usr/bin", "/bin"]);
  std::fs::create_dir_all(t.path("home/.local/bin")).unwrap();
  std::os::unix::fs::symlink(crate::harness::NPMX, t.path("home/.local/bin/npmx")).unwrap();
  let global = t.write("global-npmrc", "");
  let t = t.env("npm_config_globalconfig", global);
  let npmx = |args: &[&str]| t.clone().program("home/.local/bin/npmx").args(args).run();
  let before = npmx(&["--npmx-doctor"]);
  assert_eq!(before.code(), Some(0), "{}", before.stdout());
  assert!(
    before
      .stdout()
      .contains("`npmx --npmx-setup` puts npmx in front"),
    "{}",
    before.stdout()
  );
  assert_eq!(npmx(&["--npmx-setup", "--shell=none"]).code(), Some(0));
  let after = npmx(&["--npmx-doctor"]);
  assert_eq!(after.code(), Some(1), "{}", after.stdout());
  assert!(
    after.stdout().contains("lib/npmx/shims) are not on PATH"),
    "{}",
    after.stdout()
  );
  assert!(
    after.stdout().contains("open a new shell"),
    "{}",
    after.stdout()
  );
}
