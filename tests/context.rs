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
  process::Command,
};

use serde_json::Value;

const SECRET: &str = "npm_Xot4xa41BkhQZ4uxmlV9kOyg4BsyHR1m6v2h";

struct Replay {
  fixture: PathBuf,
  meta: Value,
  root: tempfile::TempDir,
  env: BTreeMap<String, String>,
  files: BTreeMap<String, String>,
  verbose: bool,
}

struct Outcome {
  /// Kept so files the run wrote can still be read.
  _root: tempfile::TempDir,
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
    let root = tempfile::tempdir().unwrap();
    let rewrite = |s: &str| s.replace("/tmp/npmx-e2e", root.path().to_str().unwrap());
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
      root,
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
    self.root.path().join(relative)
  }

  fn run(self) -> Outcome {
    let root = self.root.path().to_str().unwrap().to_owned();
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
    let report = self.path("report.json");
    let replay = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/replay-npm");
    let out = Command::new(env!("CARGO_BIN_EXE_npmx"))
      .args(&args)
      .current_dir(self.path("project"))
      .env_clear()
      .envs(&self.env)
      .env("PATH", "/usr/bin:/bin")
      .env("HOME", self.path("home"))
      .env("NPMX_NPM", &replay)
      .env("REPLAY", &self.fixture)
      .env("REPLAY_ROOT", &root)
      .env("REPLAY_LOGS", self.path("cache/_logs"))
      .env("NPMX_REPORT", &report)
      .env("NPMX_VERBOSE", if self.verbose { "1" } else { "0" })
      .output()
      .unwrap();
    let report_text = fs::read_to_string(&report).unwrap_or_else(|_| {
      panic!(
        "no report; stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
      )
    });
    Outcome {
      _root: self.root,
      code: out.status.code().unwrap(),
      stderr: String::from_utf8(out.stderr).unwrap(),
      report: serde_json::from_str(&report_text).unwrap(),
      report_text,
    }
  }
}

impl Outcome {
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

// --- EOTP -------------------------------------------------------------------

#[test]
fn eotp_outside_a_terminal_gives_the_person_s_command_with_otp() {
  let out = Replay::of("otp-publish-non-tty").run();
  assert_eq!(out.code, 1);
  out.only("otp-required");
  let root_cmd = out.commands()[0].to_owned();
  assert!(
    root_cmd.starts_with("npmx publish --registry=http://127.0.0.1:5005/"),
    "{root_cmd}"
  );
  assert!(root_cmd.ends_with(" --otp=<code>"), "{root_cmd}");
  out
    .says("only prompts for a code when stdin and stdout are both terminals")
    .never_says(SECRET);
}

#[test]
fn eotp_in_ci_points_at_trusted_publishing_and_the_secret_the_npmrc_reads() {
  let out = Replay::of("otp-publish-non-tty")
    .ci()
    .env("NPM_TOKEN", SECRET)
    .user_npmrc("//127.0.0.1:5005/:_authToken=${NPM_TOKEN}\n")
    .run();
  out.only("otp-required");
  out
    .says("Nobody can type a code here")
    .says("id-token: write")
    .says("${NPM_TOKEN}");
  out.command("npm token create --name ci-publish --packages e2e-otp --packages-and-scopes-permission read-write --bypass-2fa");
  out.never_says(SECRET);
  assert!(
    !out.commands().iter().any(|c| c.contains("--otp")),
    "no OTP advice in CI: {:?}",
    out.commands()
  );
}

// --- tokens from ${VAR} -------------------------------------------------------

#[test]
fn eneedauth_with_an_empty_token_variable_names_file_line_and_variable() {
  let out = Replay::of("verdaccio-publish-anonymous")
    .env("NPM_TOKEN", "")
    .project_npmrc("registry=http://127.0.0.1:4873/\n//127.0.0.1:4873/:_authToken=${NPM_TOKEN}\n")
    .run();
  out.only("not-logged-in");
  out
    .says("project .npmrc")
    .says(".npmrc:2")
    .says("${NPM_TOKEN}, which is empty");
}

#[test]
fn e401_with_an_unset_token_variable_names_it_too() {
  let out = Replay::of("verdaccio-publish-bad-token")
    .unset("NPM_TOKEN")
    .run();
  out
    .first("auth-rejected")
    .says("project .npmrc")
    .says(".npmrc:1")
    .says("${NPM_TOKEN}, which is not set");
  assert!(
    out.commands()[0].starts_with(
      "export NPM_TOKEN=<your token> && npmx publish --registry=http://127.0.0.1:4873/"
    ),
    "{:?}",
    out.commands()
  );
}

// --- anonymous or rejected ----------------------------------------------------

#[test]
fn anonymous_401_is_not_logged_in_with_npm_login_for_that_host() {
  let out = Replay::of("verdaccio-install-private-anonymous").run();
  out.only("not-logged-in");
  out.command("npm login --registry http://127.0.0.1:4873/");
  out.says("no credential for 127.0.0.1:4873");
}

#[test]
fn a_rejected_token_says_which_file_sent_it() {
  let out = Replay::of("verdaccio-publish-bad-token").run();
  out
    .only("auth-rejected")
    .says("The token from ${NPM_TOKEN} (project .npmrc")
    .says("was refused")
    .never_says("npm_oIYzk1");
}

// --- proxies ------------------------------------------------------------------

#[test]
fn a_403_through_a_proxy_is_possibly_the_proxy_s() {
  let out = Replay::of("proxy-connect-denied").run();
  assert_eq!(
    out.ids(),
    ["proxy-forbidden", "registry-forbidden"],
    "{}",
    out.stderr
  );
  out
    .says("2 causes fit this failure")
    .says("environment variable HTTPS_PROXY");
  out.command("unset HTTPS_PROXY");
}

#[test]
fn the_same_403_without_a_proxy_is_the_registry_s() {
  Replay::of("proxy-connect-denied")
    .unset("HTTPS_PROXY")
    .run()
    .only("registry-forbidden");
}

#[test]
fn a_proxy_set_in_npmrc_is_deleted_at_its_own_layer() {
  let out = Replay::of("proxy-connect-denied")
    .unset("HTTPS_PROXY")
    .project_npmrc("https-proxy=http://127.0.0.1:3128\n")
    .run();
  out
    .first("proxy-forbidden")
    .command("npm config delete https-proxy --location=project")
    .says(".npmrc:1");
}

#[test]
fn refused_at_the_proxy_is_the_proxy_setting() {
  let out = Replay::of("proxy-refused").run();
  out.only("proxy-misconfigured");
  out
    .says("user .npmrc")
    .command("npm config delete https-proxy --location=user");
}

#[test]
fn refused_at_a_registry_with_no_proxy_is_the_registry() {
  Replay::of("net-refused").run().only("connection-refused");
}

// --- TLS ----------------------------------------------------------------------

#[test]
fn tls_untrusted_says_the_cafile_is_missing() {
  let out = Replay::of("tls-self-signed-in-chain")
    .user_npmrc("cafile=/nonexistent/corp-ca.pem\n")
    .run();
  out
    .only("tls-untrusted")
    .says("/nonexistent/corp-ca.pem, which does not exist")
    .command("npm config set cafile /path/to/ca.pem");
}

#[test]
fn tls_untrusted_names_strict_ssl_false_as_unsafe_and_never_advises_it() {
  let out = Replay::of("tls-depth-zero-self-signed")
    .project_npmrc("strict-ssl=false\n")
    .env("NODE_TLS_REJECT_UNAUTHORIZED", "0")
    .run();
  out
    .only("tls-untrusted")
    .says("strict-ssl=false at project .npmrc")
    .says("is unsafe")
    .says("NODE_TLS_REJECT_UNAUTHORIZED=0 is set");
  assert!(
    !out
      .commands()
      .iter()
      .any(|c| c.contains("strict-ssl") || c.contains("REJECT_UNAUTHORIZED")),
    "{:?}",
    out.commands()
  );
}

#[test]
fn tls_untrusted_with_an_existing_cafile_says_it_lacks_the_ca() {
  let replay = Replay::of("tls-issuer-missing");
  let ca = replay.path("wrong-ca.pem");
  fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
  let text = format!("cafile={}\n", ca.display());
  replay
    .user_npmrc(&text)
    .run()
    .only("tls-untrusted")
    .says("does not contain the CA");
}

// --- publishing -----------------------------------------------------------------

#[test]
fn version_exists_bumps_from_package_json() {
  let out = Replay::of("verdaccio-publish-existing-version").run();
  out.only("version-exists").says("→").command(&format!(
    "npm version patch && {}",
    out.commands()[0].split(" && ").nth(1).unwrap()
  ));
  assert!(
    out.commands()[0].starts_with("npm version patch && npmx publish"),
    "{:?}",
    out.commands()
  );
}

#[test]
fn eprivate_removes_the_private_field() {
  Replay::of("verdaccio-publish-private-field")
    .run()
    .only("package-private")
    .command("npm pkg delete private");
}

#[test]
fn publish_forbidden_by_the_registry_acl_names_the_user() {
  Replay::of("verdaccio-publish-forbidden-user")
    .run()
    .only("publish-forbidden")
    .says("do not let bob publish");
}

// --- scopes ---------------------------------------------------------------------

#[test]
fn not_found_on_a_read_checks_the_name() {
  let out = Replay::of("verdaccio-install-not-found").run();
  out.only("package-not-found");
  assert!(
    out.commands().iter().any(|c| c.starts_with("npm view ")),
    "{:?}",
    out.commands()
  );
}

// --- secrets --------------------------------------------------------------------

#[test]
fn tokens_from_npmrc_and_environment_never_appear() {
  let out = Replay::of("verdaccio-publish-bad-token")
    .env("NPM_TOKEN", SECRET)
    .project_npmrc(&format!("//127.0.0.1:4873/:_authToken={SECRET}\n"))
    .run();
  out
    .first("auth-rejected")
    .never_says(SECRET)
    .never_says("Xot4xa41");
}

#[test]
fn ci_gets_an_annotation_and_a_step_summary() {
  let replay = Replay::of("http-503");
  let summary = replay.path("summary.md");
  let out = replay
    .ci()
    .env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
    .run();
  out.only("registry-unavailable");
  let annotation = out
    .stderr
    .lines()
    .find(|l| l.starts_with("::error title="))
    .expect("an ::error line");
  assert!(
    annotation.starts_with("::error title=npmx%3A "),
    "{annotation}"
  );
  assert!(!annotation[2..].contains('\n'));
  let markdown = fs::read_to_string(&summary).unwrap();
  assert!(markdown.contains("(`registry-unavailable`)"), "{markdown}");
}

#[test]
fn a_409_over_a_prerelease_bumps_the_prerelease() {
  let out = Replay::of("verdaccio-publish-existing-version-force")
    .package_json(r#"{"name": "e2e-existing", "version": "2.0.0-beta.1"}"#)
    .run();
  out
    .only("version-exists")
    .says("2.0.0-beta.1 → 2.0.0-beta.2");
  assert!(
    out.commands()[0].starts_with("npm version prerelease && npmx publish"),
    "{:?}",
    out.commands()
  );
}

#[test]
fn a_host_only_the_lockfile_names_is_called_out() {
  let lock = r#"{"lockfileVersion": 3, "packages": {"node_modules/@private/pkg": {"resolved": "http://127.0.0.1:4873/@private/pkg/-/pkg-1.0.0.tgz"}}}"#;
  let out = Replay::of("verdaccio-install-private-anonymous")
    .args(&[
      "ci",
      "--userconfig=/tmp/npmx-e2e/home/.npmrc",
      "--globalconfig=/tmp/npmx-e2e/global/npmrc",
      "--cache=/tmp/npmx-e2e/cache",
    ])
    .file("project/package-lock.json", lock)
    .run();
  out
    .first("not-logged-in")
    .says("127.0.0.1:4873 comes from package-lock.json's `resolved` URLs")
    .command(r#"grep -o '"resolved": "[^"]*' package-lock.json | cut -d/ -f3 | sort -u"#);
  assert!(
    out.commands()[1].starts_with("npmx ci ")
      && out.commands()[1].ends_with(" --replace-registry-host=always"),
    "{:?}",
    out.commands()
  );
}

#[test]
fn the_same_host_as_the_configured_registry_is_not_a_lockfile_problem() {
  let lock = r#"{"packages": {"node_modules/@private/pkg": {"resolved": "http://127.0.0.1:4873/@private/pkg/-/pkg-1.0.0.tgz"}}}"#;
  let out = Replay::of("verdaccio-install-private-anonymous")
    .file("project/package-lock.json", lock)
    .run();
  out
    .only("not-logged-in")
    .command("npm login --registry http://127.0.0.1:4873/");
  assert!(
    !out.stderr.contains("replace-registry-host"),
    "{}",
    out.stderr
  );
}

/// The README shows one real diagnosis as the person sees it: this one, so it
/// cannot drift from what npmx prints. `NPMX_BLESS=1` rewrites it.
#[test]
fn the_readme_example_is_what_npmx_prints() {
  let out = Replay::of("proxy-connect-denied").terse().run();
  let root = out._root.path().to_str().unwrap().to_owned();
  let shown = out
    .stderr
    .replace(&root, "/home/me/app")
    .replace("/home/me/app/cache/_logs", "/home/me/.npm/_logs");
  let block = format!("```text\n$ npm install e2e-tls-ok\n{}```\n", shown);
  let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
  let readme = fs::read_to_string(&path).unwrap();
  let (start, end) = ("<!-- example:start -->\n", "<!-- example:end -->");
  let from = readme.find(start).unwrap() + start.len();
  let to = readme.find(end).unwrap();
  if readme[from..to] == block {
    return;
  }
  if std::env::var_os("NPMX_BLESS").is_some() {
    fs::write(
      &path,
      format!("{}{block}{}", &readme[..from], &readme[to..]),
    )
    .unwrap();
    return;
  }
  panic!(
    "README's example is not what npmx prints; run `NPMX_BLESS=1 cargo test --test context`:\n{block}"
  );
}

// --- where it runs ----------------------------------------------------------------

#[test]
fn a_403_in_codespaces_asks_for_the_registry_to_be_allowed() {
  Replay::of("proxy-connect-denied")
    .unset("HTTPS_PROXY")
    .env("CODESPACES", "true")
    .run()
    .only("registry-forbidden")
    .says("GitHub Codespaces");
}

#[test]
fn eai_again_in_a_dev_container_points_at_its_resolver() {
  let out = Replay::of("dns-eai-again")
    .env("REMOTE_CONTAINERS", "true")
    .run();
  out
    .only("dns-failure")
    .says("check /etc/resolv.conf")
    .command("getent hosts registry.npmx-e2e.test");
}

// --- publishing, as npmjs.com answers -------------------------------------------------

#[test]
fn e402_publishes_the_scoped_package_as_public() {
  let out = Replay::of("publish-e402-scoped").run();
  out
    .only("scoped-access")
    .command("npm pkg set publishConfig.access=public");
  assert!(
    out.commands()[0].starts_with("npmx publish ")
      && out.commands()[0].ends_with(" --access=public"),
    "{:?}",
    out.commands()
  );
}

#[test]
fn a_bare_forbidden_on_publish_gives_both_causes_ranked_and_says_so() {
  let out = Replay::of("publish-403-bare-forbidden").run();
  assert_eq!(
    out.ids(),
    ["publish-forbidden", "email-unverified"],
    "{}",
    out.stderr
  );
  out.says("2 causes fit this failure; the most likely first");
}

#[test]
fn the_registry_s_suggested_scoped_name_is_used() {
  Replay::of("publish-403-too-similar")
    .run()
    .only("name-too-similar")
    .command("npm pkg set name=@alice/foox && npm publish --access public");
}

#[test]
fn provenance_sets_the_repository_the_registry_expects() {
  Replay::of("publish-422-provenance")
    .run()
    .only("provenance-invalid")
    .command(
      "npm pkg set repository.type=git repository.url=git+https://github.com/acme/widget.git",
    );
}

#[test]
fn a_refused_oidc_exchange_is_trusted_publishing_not_a_missing_login() {
  let out = Replay::of("publish-oidc-exchange-fails").run();
  out
    .only("trusted-publishing-failed")
    .says("package not found")
    .command("npm publish");
  out.never_says("e2e-actions-id-token-request-token");
}

#[test]
fn an_expired_token_on_a_publish_is_the_cause_not_the_404() {
  Replay::of("publish-e404-token-expired-notice")
    .run()
    .only("token-expired")
    .command("npm login --registry http://127.0.0.1:5007/");
}

#[test]
fn an_expired_token_warns_even_when_npm_succeeds() {
  let out = Replay::of("install-success-token-expired-notice").run();
  assert_eq!(out.code, 0);
  out
    .only("token-expired")
    .says("npmx: warning: The registry says the token expired or was revoked")
    .says("the next publish or private install will fail");
}

#[test]
fn a_hostile_registry_reason_reaches_the_person_neutralised_and_without_the_token() {
  let replay = Replay::of("hostile-reason");
  let npm_stderr = fs::read_to_string(replay.fixture.join("stderr")).unwrap();
  let out = replay.run();
  out.only("registry-forbidden");
  let added = &out.stderr[npm_stderr.len()..];
  assert!(
    !added.chars().any(|c| c.is_control() && c != '\n'),
    "control characters in npmx's text:\n{added:?}"
  );
  assert!(
    !added.contains("BBBBBBBB") && !added.contains("npm_AAAA"),
    "{added}"
  );
  assert!(
    !out.report_text.contains('\u{1b}') && !out.report_text.contains("\\u001b"),
    "{}",
    out.report_text
  );
  assert!(!out.report_text.contains("BBBBBBBB"), "{}", out.report_text);
}

#[test]
fn e402_with_restricted_access_in_package_json_changes_that_setting() {
  let out = Replay::of("publish-e402-scoped")
    .package_json(r#"{"name": "@e2e-scope/widget", "version": "1.0.0", "publishConfig": {"access": "restricted"}}"#)
    .run();
  out
    .only("scoped-access")
    .says("publishConfig.access is \"restricted\"");
  assert_eq!(out.commands(), ["npm pkg set publishConfig.access=public"]);
}

#[test]
fn provenance_shows_what_package_json_says_now() {
  Replay::of("publish-422-provenance")
    .package_json(r#"{"name": "e2e-provenance", "version": "1.0.0", "repository": {"type": "git", "url": "git+https://github.com/someone/else.git"}}"#)
    .run()
    .only("provenance-invalid")
    .says("repository.url is git+https://github.com/someone/else.git");
}

/// npm wrote its error block but does not exit (a handle left open): npmx
/// speaks a moment after the block, without waiting for npm's exit.
#[test]
fn npmx_speaks_after_the_error_block_even_if_npm_lingers() {
  let out = Replay::of("net-refused")
    .env("REPLAY_LINGER", "2")
    .terse()
    .run();
  out.only("connection-refused");
  let said = out
    .stderr
    .find("npmx: Nothing is listening")
    .expect("a diagnosis");
  let lingered = out.stderr.find("(npm lingered)").expect("npm's late line");
  assert!(
    said < lingered,
    "npmx waited for npm to exit:\n{}",
    out.stderr
  );
  assert_eq!(
    out.stderr.matches("[connection-refused]").count(),
    1,
    "spoken once:\n{}",
    out.stderr
  );
}

#[test]
fn a_silent_npm_gets_a_silent_npmx_but_still_a_report() {
  let out = Replay::of("net-refused")
    .env("npm_config_loglevel", "silent")
    .run();
  out.only("connection-refused");
  assert!(!out.stderr.contains("npmx:"), "{}", out.stderr);
}

#[test]
fn npm_ci_out_of_sync_updates_and_commits_the_lockfile() {
  Replay::of("ci-lockfile-out-of-sync")
    .run()
    .only("usage-error")
    .command("npm install && git add package-lock.json");
}

#[test]
fn npm_ci_without_a_lockfile_creates_one() {
  Replay::of("ci-no-lockfile")
    .run()
    .only("usage-error")
    .command("npm install --package-lock-only && git add package-lock.json");
}

#[test]
fn a_registry_from_the_command_line_or_environment_is_named_as_such() {
  let out = Replay::of("net-refused").run();
  out
    .only("connection-refused")
    .says("comes from --registry on your command line");
  let args = [
    "view",
    "e2e-dep",
    "--userconfig=/tmp/npmx-e2e/home/.npmrc",
    "--globalconfig=/tmp/npmx-e2e/global/npmrc",
    "--cache=/tmp/npmx-e2e/cache",
  ];
  let replay = Replay::of("net-refused");
  let registry = replay.meta["argv"]
    .as_array()
    .unwrap()
    .iter()
    .filter_map(|a| a.as_str())
    .find_map(|a| a.strip_prefix("--registry="))
    .unwrap()
    .to_owned();
  let out = replay
    .args(&args)
    .env("npm_config_registry", &registry)
    .run();
  out
    .only("connection-refused")
    .command("unset npm_config_registry");
}

#[test]
fn no_matching_version_lists_what_the_registry_has() {
  let out = Replay::of("verdaccio-install-no-matching-version").run();
  out
    .only("version-not-found")
    .command("npm view e2e-dep versions dist-tags --registry http://127.0.0.1:4873/");
  out.says("may not have synced that version yet");
}

// --- permissions ----------------------------------------------------------------

#[test]
fn a_global_install_into_a_system_prefix_gets_a_prefix_of_its_own_not_sudo() {
  let out = Replay::of("global-install-eacces").run();
  out
    .only("permission-denied")
    .command("npm config set prefix ~/.npm-global")
    .says("Do not use sudo npm");
  assert!(
    !out.commands().iter().any(|c| c.starts_with("sudo")),
    "{:?}",
    out.commands()
  );
}

#[test]
fn a_root_owned_node_modules_is_taken_back() {
  let out = Replay::of("install-eacces-root-node-modules").run();
  let root = out._root.path().display().to_string();
  out.only("permission-denied").command(&format!(
    "sudo chown -R \"$(id -u):$(id -g)\" {root}/project/node_modules"
  ));
}

// --- advice that fits the situation (issue "Advice that holds up") -----------

#[test]
fn a_scope_mapped_to_a_registry_that_refuses_shows_the_mapping_and_how_to_drop_it() {
  // ~/.npmrc left over from another project sends the scope elsewhere.
  let out = Replay::of("install-401-ghp-bad-token")
    .project_npmrc("//127.0.0.1:5007/:_authToken=ghp_aErlW7IiVD7dcOhrSsLhMPirxvTgFIQiKK1d\n")
    .user_npmrc("@e2e-ghp:registry=http://127.0.0.1:5007/\n")
    .run();
  out.first("auth-rejected");
  out
    .says("sends @e2e-ghp packages to 127.0.0.1:5007")
    .command("npm config delete @e2e-ghp:registry --location=user");
  assert!(
    !out.commands().contains(&"npm login"),
    "a bare npm login logs in to npmjs.com: {:?}",
    out.commands()
  );
}

#[test]
fn a_gitlab_job_gets_gitlab_s_way_to_pass_the_token() {
  let out = Replay::of("verdaccio-publish-anonymous")
    .env("CI", "true")
    .env("GITLAB_CI", "true")
    .project_npmrc("registry=http://127.0.0.1:4873/\n//127.0.0.1:4873/:_authToken=${NPM_TOKEN}\n")
    .run();
  out.only("not-logged-in");
  out
    .says("in this GitLab CI job")
    .says("Settings → CI/CD → Variables")
    .never_says("secrets.");
}

#[test]
fn a_github_job_with_no_token_line_gets_setup_node_s_node_auth_token() {
  let out = Replay::of("verdaccio-publish-anonymous").ci().run();
  out.only("not-logged-in");
  out
    .says("NODE_AUTH_TOKEN")
    .says("a pull request from a fork gets no secrets");
  assert!(
    !out.commands().iter().any(|c| c.starts_with("npm login")),
    "nobody can log in in CI: {:?}",
    out.commands()
  );
}

#[test]
fn a_failing_whoami_is_not_checked_with_whoami() {
  let out = Replay::of("verdaccio-publish-bad-token")
    .env("NPM_TOKEN", "not-a-token")
    .args(&[
      "whoami",
      "--registry=http://127.0.0.1:4873/",
      "--userconfig=/tmp/npmx-e2e/home/.npmrc",
      "--cache=/tmp/npmx-e2e/cache",
    ])
    .run();
  out.first("auth-rejected");
  assert!(
    !out.commands().iter().any(|c| c.contains("whoami")),
    "{:?}",
    out.commands()
  );
}

#[test]
fn a_placeholder_proxy_from_a_tutorial_is_called_one() {
  let out = Replay::of("proxy-refused")
    .user_npmrc("cafile=/tmp/npmx-e2e/servers/certs/ca-root.pem\nhttps-proxy=http://proxy.yourcorp.com:4999\n")
    .run();
  out.only("proxy-misconfigured");
  out
    .says("a placeholder copied from a tutorial")
    .command("npm config delete https-proxy --location=user");
}

#[test]
fn a_refused_one_time_password_is_not_told_to_run_it_again() {
  let out = Replay::of("otp-publish-non-tty")
    .args(&[
      "publish",
      "--otp=123456",
      "--registry=http://127.0.0.1:5005/",
      "--userconfig=/tmp/npmx-e2e/home/.npmrc",
      "--cache=/tmp/npmx-e2e/cache",
    ])
    .run();
  out.only("otp-required");
  out
    .says("The code was refused: mistyped, or expired")
    .never_says("npm asks for the code from your authenticator by itself");
}

#[test]
fn a_stack_trace_is_not_evidence() {
  let out = Replay::of("proxy-refused").run();
  assert!(
    !out.report_text.contains("ClientRequest"),
    "{}",
    out.report_text
  );
}

#[test]
fn a_stale_literal_token_in_a_build_agent_s_user_npmrc_is_named_and_removed_there() {
  let out = Replay::of("verdaccio-publish-bad-token")
    .ci()
    .project_npmrc("registry=http://127.0.0.1:4873/\n")
    .user_npmrc("//127.0.0.1:4873/:_authToken=npm_OldTokenLeftOnTheAgent1234567890ab\n")
    .run();
  out.first("auth-rejected");
  out
    .says("a stale token left on the build agent")
    .command("npm config delete '//127.0.0.1:4873/:_authToken' --location=user")
    .never_says("npm_OldTokenLeftOnTheAgent1234567890ab");
}

#[test]
fn the_long_silent_flag_silences_npmx_too() {
  let out = Replay::of("net-refused")
    .args(&[
      "install",
      "e2e-dep",
      "--silent",
      "--registry=http://127.0.0.1:4999/",
      "--userconfig=/tmp/npmx-e2e/home/.npmrc",
      "--cache=/tmp/npmx-e2e/cache",
    ])
    .run();
  out.only("connection-refused");
  assert!(!out.stderr.contains("npmx:"), "{}", out.stderr);
}
