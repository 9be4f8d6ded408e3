//! One test per fixture.

use super::*;

// ------------------------------------------------------------------ the scenarios

macro_rules! scenarios {
  ($($test:ident => $name:literal,)*) => {
    $(
      #[test]
      fn $test() {
        scenario($name);
      }
    )*
    const SCENARIOS: &[&str] = &[$($name),*];
  };
}

scenarios! {
  verdaccio_publish_anonymous => "verdaccio-publish-anonymous",
  verdaccio_publish_bad_token => "verdaccio-publish-bad-token",
  verdaccio_install_private_anonymous => "verdaccio-install-private-anonymous",
  verdaccio_publish_forbidden_user => "verdaccio-publish-forbidden-user",
  verdaccio_publish_forbidden_user_verbose => "verdaccio-publish-forbidden-user-verbose",
  verdaccio_install_not_found => "verdaccio-install-not-found",
  verdaccio_install_not_found_json => "verdaccio-install-not-found-json",
  verdaccio_publish_existing_version => "verdaccio-publish-existing-version",
  verdaccio_publish_existing_version_force => "verdaccio-publish-existing-version-force",
  verdaccio_publish_private_field => "verdaccio-publish-private-field",
  verdaccio_publish_ok => "verdaccio-publish-ok",
  verdaccio_install_ok_deprecated => "verdaccio-install-ok-deprecated",
  verdaccio_install_private_ok => "verdaccio-install-private-ok",
  otp_publish_non_tty => "otp-publish-non-tty",
  proxy_connect_denied => "proxy-connect-denied",
  proxy_auth_required => "proxy-auth-required",
  proxy_auth_ok => "proxy-auth-ok",
  proxy_refused => "proxy-refused",
  tls_self_signed_in_chain => "tls-self-signed-in-chain",
  tls_self_signed_in_chain_cafile => "tls-self-signed-in-chain-cafile",
  tls_depth_zero_self_signed => "tls-depth-zero-self-signed",
  tls_depth_zero_self_signed_cafile => "tls-depth-zero-self-signed-cafile",
  tls_issuer_missing => "tls-issuer-missing",
  tls_issuer_missing_cafile => "tls-issuer-missing-cafile",
  tls_leaf_only => "tls-leaf-only",
  tls_leaf_only_cafile => "tls-leaf-only-cafile",
  tls_expired => "tls-expired",
  tls_wrong_host => "tls-wrong-host",
  tls_cafile_ok => "tls-cafile-ok",
  dns_enotfound => "dns-enotfound",
  dns_eai_again => "dns-eai-again",
  net_timeout => "net-timeout",
  net_reset => "net-reset",
  net_refused => "net-refused",
  net_refused_json => "net-refused-json",
  http_429 => "http-429",
  http_503 => "http-503",
  registry_html => "registry-html",
  ci_no_lockfile => "ci-no-lockfile",
  ci_lockfile_out_of_sync => "ci-lockfile-out-of-sync",
  verdaccio_install_no_matching_version => "verdaccio-install-no-matching-version",
  global_install_eacces => "global-install-eacces",
  install_eacces_root_node_modules => "install-eacces-root-node-modules",
  script_test_fails_with_npm_like_text => "script-test-fails-with-npm-like-text",
  script_build_prints_403 => "script-build-prints-403",
  publish_e402_scoped => "publish-e402-scoped",
  publish_e404_put => "publish-e404-put",
  publish_e404_token_expired_notice => "publish-e404-token-expired-notice",
  publish_403_bypass_2fa => "publish-403-bypass-2fa",
  publish_403_automation_token => "publish-403-automation-token",
  publish_403_credentials => "publish-403-credentials",
  publish_403_too_similar => "publish-403-too-similar",
  publish_403_no_permission => "publish-403-no-permission",
  publish_403_bare_forbidden => "publish-403-bare-forbidden",
  publish_422_provenance => "publish-422-provenance",
  install_success_token_expired_notice => "install-success-token-expired-notice",
  install_success_token_expired_notice_no_audit => "install-success-token-expired-notice-no-audit",
  install_403_quarantined => "install-403-quarantined",
  install_401_ghp_bad_token => "install-401-ghp-bad-token",
  hostile_reason => "hostile-reason",
  publish_oidc_exchange_fails => "publish-oidc-exchange-fails",
  publish_oidc_exchange_fails_verbose => "publish-oidc-exchange-fails-verbose",
  publish_enoent_eneedauth_ci => "publish-enoent-eneedauth-ci",
  install_peer_conflict => "install-peer-conflict",
  ci_integrity_mismatch => "ci-integrity-mismatch",
  run_no_package_json => "run-no-package-json",
  install_package_json_conflict_markers => "install-package-json-conflict-markers",
  install_engine_strict => "install-engine-strict",
  install_platform_mismatch => "install-platform-mismatch",
  install_postinstall_fails => "install-postinstall-fails",
  install_native_build_fails => "install-native-build-fails",
  run_missing_script => "run-missing-script",
  global_install_bin_exists => "global-install-bin-exists",
  install_invalid_range => "install-invalid-range",
  install_git_dep_unreachable => "install-git-dep-unreachable",
  publish_prerelease_no_tag => "publish-prerelease-no-tag",
  shrinkwrap_workspaces => "shrinkwrap-workspaces",
  help_search_emfile => "help-search-emfile",
  install_interrupted_leftover => "install-interrupted-leftover",
  install_interrupted_leftover_fixed => "install-interrupted-leftover-fixed",
  install_at_filesystem_root => "install-at-filesystem-root",
  script_test_prints_new_causes => "script-test-prints-new-causes",
}

/// Fixtures not replayed by `scenario` (they need a terminal).
const INTERACTIVE: &[&str] = &["otp-publish-tty"];

/// Fixtures read only offline (tests/integration/corpus.rs), because a live
/// replay would not be the fixture's run. `install-disk-full`: with its cache on a full
/// 16 KiB disk, where npm meets ENOSPC first depends on timing, and so does
/// its exit code (1, or 228 for errno -28) and whether its debug log gets a
/// line.
///
/// `install-emfile`: npm gives up on the open graceful-fs kept retrying only
/// after graceful-fs's 60 s, and which of tar's writes fail before that (its
/// TAR_ENTRY_ERROR warnings) depends on timing. `help-search-emfile` is the
/// same cause, replayed live.
const OFFLINE_ONLY: &[&str] = &["install-disk-full", "install-emfile"];

#[test]
fn every_fixture_is_replayed() {
  let mut missing = vec![];
  for entry in fs::read_dir(fixtures_dir()).expect("tests/fixtures/npm11") {
    let entry = entry.unwrap();
    if !entry.file_type().unwrap().is_dir() {
      continue;
    }
    let name = entry.file_name().into_string().unwrap();
    if !SCENARIOS.contains(&name.as_str())
      && !INTERACTIVE.contains(&name.as_str())
      && !OFFLINE_ONLY.contains(&name.as_str())
    {
      missing.push(name);
    }
  }
  assert!(
    missing.is_empty(),
    "fixtures with no test in tests/e2e/scenarios.rs: {missing:?}"
  );
  for name in SCENARIOS.iter().chain(INTERACTIVE).chain(OFFLINE_ONLY) {
    assert!(
      fixtures_dir().join(name).join("meta.json").exists(),
      "{name}: no fixture"
    );
  }
}
