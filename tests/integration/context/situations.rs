//! Advice that fits the situation (issue "Advice that holds up").

use super::*;

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

/// `NPMX_ANNOTATIONS=0` (the GitHub Action's `annotations: false`): the
/// diagnosis stays in the log, without `::error` lines or a step summary.
#[test]
fn annotations_and_the_step_summary_can_be_turned_off() {
  for (value, annotated) in [(None, true), (Some("0"), false), (Some("false"), false)] {
    let mut replay = Replay::of("dns-enotfound").ci();
    let summary = replay.path("summary.md");
    replay = replay.env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    if let Some(v) = value {
      replay = replay.env("NPMX_ANNOTATIONS", v);
    }
    let out = replay.run();
    assert!(out.stderr.contains("[dns-failure]"), "{}", out.stderr);
    assert_eq!(
      out.stderr.contains("::error title="),
      annotated,
      "{value:?}: {}",
      out.stderr
    );
    assert_eq!(summary.exists(), annotated, "{value:?}");
  }
}
