//! One-time passwords, tokens, proxies, TLS, scopes and secrets.

use super::*;

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
  let root = out.root();
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
    "README's example is not what npmx prints; run `NPMX_BLESS=1 cargo test --test integration context::`:\n{block}"
  );
}
