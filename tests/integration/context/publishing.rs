//! Where it runs, publishing as npmjs.com answers, permissions.

use super::*;

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
  let root = out.root();
  out.only("permission-denied").command(&format!(
    "sudo chown -R \"$(id -u):$(id -g)\" {root}/project/node_modules"
  ));
}
