//! Who you are: one-time passwords, missing or refused credentials, tokens
//! the registry says are dead.

use super::{Cause, Rule, publish, read, sig};
use crate::{advice::Advice, facts::Hint, product::Product, situation::Situation};

pub(super) static CAUSES: &[&Cause] = &[
  &OTP_REQUIRED,
  &NOT_LOGGED_IN,
  &AUTH_REJECTED,
  &TOKEN_EXPIRED,
];

pub(crate) static OTP_REQUIRED: Cause = Cause {
  id: "otp-required",
  title: "The registry wants a one-time password",
  explain: "The account (or the package) requires two-factor authentication for this action, and \
            the request carried no valid one-time password. In a terminal npm asks for the code \
            itself; elsewhere pass it with --otp=<code>. In CI nobody can type a code: publish with \
            trusted publishing (OIDC; npm >= 11.5.1, Node >= 22.14, `id-token: write`), or with a \
            granular access token that has \"bypass 2FA\" enabled.",
  tell: "EOTP, or a 401 whose text mentions a one-time password.",
  signatures: &[
    sig(97).codes(&["EOTP"]),
    sig(95).status(401).text(r"one-time pass"),
  ],
  rules: &[],
  supersedes: &[],
  advise: otp_required,
};

fn otp_required(a: &mut Advice) {
  if let Some(url) = a.s.block.and_then(|b| b.details.web_auth_url.clone()) {
    a.note(format!("npm offered web authentication at {url}"));
  }
  // npm says the same words whether a code was given or not; the command
  // line, the prompt and the retried write tell them apart.
  if a.ctx.command.flag("--otp").is_some() || a.s.facts.otp_refused() {
    a.note("a one-time password was given, and refused");
    a.run(
      "The code was refused: mistyped, or expired before npm sent it. A code lasts about 30 seconds and npm sends \
       it only with the upload, so a slow upload of a large package can outlast it. Run again with a fresh code, \
       just after your authenticator shows a new one:",
      a.s.command_with("--otp=<code>"),
    );
    if a.s.in_ci() != Some(false) {
      a.ci_publish_without_otp();
    }
    return;
  }
  match (a.s.in_ci(), a.ctx.interactive) {
    (Some(false), Some(true)) => {
      a.run(
        "Run it again: in a terminal npm asks for the code from your authenticator by itself. Or give it directly:",
        a.s.command_with("--otp=<code>"),
      );
    }
    (Some(false), _) => {
      a.run(
        "npm only prompts for a code when stdin and stdout are both terminals, and here one is not (output \
         piped or redirected?). Pass the code from your authenticator:",
        a.s.command_with("--otp=<code>"),
      );
    }
    (Some(true), _) => {
      a.note(format!(
        "running in {} (no terminal to type a code into)",
        a.s.ci_name()
      ));
      a.ci_publish_without_otp();
    }
    (None, _) => {
      a.run(
        "In a terminal, pass the code from your authenticator (npm also prompts for it there):",
        a.s.command_with("--otp=<code>"),
      );
      a.ci_publish_without_otp();
    }
  }
}

pub(crate) static NOT_LOGGED_IN: Cause = Cause {
  id: "not-logged-in",
  title: "npm has no credentials for this registry",
  explain: "npm sent the request without a token, or refused to send it at all (ENEEDAUTH is found \
            by npm before any request). Either nobody logged in to this registry on this machine, \
            or the token line names another host, or the `${VAR}` it reads is unset here. `npm \
            login --registry <url>` gives a short-lived session token; CI needs a granular access \
            token in a secret, or trusted publishing.",
  tell: "ENEEDAUTH; or a 401 (or Verdaccio's 403 'unregistered users') with no credential for \
         that exact host in any .npmrc.",
  signatures: &[
    sig(95).codes(&["ENEEDAUTH"]),
    sig(88)
      .status(401)
      .text(r"authentication token not provided|authorization required to"),
    sig(88)
      .status(403)
      .text(r"unregistered users are not allowed"),
  ],
  rules: &[Rule {
    from: &[&AUTH_REJECTED],
    replaces: true,
    weight: 90,
    when: nothing_sent,
  }],
  supersedes: &[],
  advise: not_logged_in,
};

/// A refused 401 with nothing sent for that host: nobody logged in.
fn nothing_sent(s: &Situation) -> bool {
  s.ctx.config.is_some()
    && s
      .request
      .url
      .as_deref()
      .is_some_and(|url| s.ctx.credential_for(url).is_none())
}

fn not_logged_in(a: &mut Advice) {
  let registry = a.s.registry();
  let url = a.s.url();
  if a.lockfile_only() {
    return;
  }
  if a.explain_missing_var(&url) || a.explain_missing_var(&registry) {
    return;
  }
  if a.ctx.config.is_some() {
    a.note(format!(
      "no credential for {} in any .npmrc or npm_config_ variable npm reads",
      a.s.host()
    ));
  }
  let mapped = a.scope_mapping();
  if a.product_token_steps() || mapped {
    return;
  }
  let npmjs = Product::of(&registry) == Product::Npmjs;
  if a.s.in_ci() == Some(true) {
    a.ci_token();
    if a.s.publishing() && npmjs {
      a.ci_publish_without_otp();
    }
    return;
  }
  if !a.s.host_known() {
    if a.s.request.code.as_deref() == Some("ENEEDAUTH") {
      unknown_registry_login(a);
    } else {
      a.which_host("401");
    }
    return;
  }
  let sessions = if npmjs {
    " (a login session lasts two hours)"
  } else {
    ""
  };
  a.login(&format!("Log in to {registry}{sessions}:"));
  let scope = a
    .s
    .package_name()
    .as_deref()
    .and_then(crate::url::scope_of)
    .map(str::to_owned);
  if let Some(scope) = scope {
    let unmapped = a.ctx.registry_for(Some(&format!("@{scope}/x"))).1.is_none();
    if a.ctx.config.is_some() && unmapped && npmjs {
      a.say(format!(
        "If @{scope} lives on a private registry, map the scope first: `npm config set @{scope}:registry <url>`."
      ));
    }
  }
  if a.s.publishing() {
    a.whoami(
      "Then check npm sees the login. A publish goes to package.json's publishConfig.registry if it has one, and \
       reads the .npmrc of the user npm runs as (sudo and CI jobs use another):",
    );
  }
}

/// ENEEDAUTH in a saved log that does not name the registry: npm checked its
/// own configuration before sending anything, so the registry is the one
/// this command uses, and the login must be in the .npmrc npm reads.
fn unknown_registry_login(a: &mut Advice) {
  a.run(
    "npm found no credential for the registry this command uses, before sending anything: a login to another \
     registry, or in another user's .npmrc (sudo, a CI job), does not count. See which registry that is — a \
     publish uses package.json's publishConfig.registry first:",
    "npm config get registry && npm pkg get publishConfig",
  );
  a.run(
    "Log in to that registry (or put a token for it in the .npmrc npm reads):",
    "npm login --registry=<that registry>",
  );
  a.run(
    "Then check npm sees the login, as the same user and in the same directory:",
    "npm whoami --registry=<that registry>",
  );
}

pub(crate) static AUTH_REJECTED: Cause = Cause {
  id: "auth-rejected",
  title: "The registry refused the credentials npm sent",
  explain: "A token or password was sent and refused: it expired (npm session tokens last two hours, \
            write tokens have limited lifetimes, classic tokens were all revoked on 2025-12-09), it \
            was revoked, it belongs to another registry, or the password is wrong. npm's text for \
            this depends on the registry's WWW-Authenticate header, not on the cause.",
  tell: "A 401 where a credential for that host exists.",
  signatures: &[
    sig(90)
      .status(401)
      .host(r"^npm\.pkg\.github\.com$")
      .text(r"cannot be authenticated with the token"),
    sig(85).codes(&["EAUTHIP"]),
    sig(70).status(401).fallback(),
  ],
  rules: &[],
  supersedes: &[],
  advise: auth_rejected,
};

fn auth_rejected(a: &mut Advice) {
  let url = a.s.url();
  if a.explain_missing_var(&url) {
    return;
  }
  // (kind, where it was set, the `${VAR}` it reads, if any)
  let credential = a.ctx.credential_for(&url).map(|c| {
    let var = c.setting.entry.vars.first().map(|v| v.name.clone());
    (c.kind.to_owned(), c.setting.origin(), var)
  });
  // A build agent's own ~/.npmrc with an old literal token wins over what
  // the job means to send: show that layer and how to remove the line.
  let stale = a.ctx.credential_for(&url).and_then(|c| {
    (c.setting.layer.source == crate::config::Source::User && c.setting.entry.vars.is_empty())
      .then(|| (c.setting.key.to_owned(), c.setting.origin()))
  });
  if let Some((kind_name, origin, _)) = &credential {
    a.note(format!("npm sent the {kind_name} set at {origin}"));
  }
  if let Some(challenge) = a.s.block.and_then(|b| b.challenge.clone()) {
    a.note(format!("the registry asked for: {challenge}"));
  }
  if a.lockfile_only() {
    return;
  }
  let mapped = a.scope_mapping();
  if a.product_token_steps() || mapped {
    return;
  }
  if !a.s.host_known() {
    a.which_host("401");
    return;
  }
  if credential.is_none() && a.s.has(Hint::IncorrectPassword) {
    a.run(
      "\"Incorrect or missing\": the registry that answered may have had no credentials at all. Every scope mapped to \
       its own registry (`@scope:registry=…`) needs its own `//host/:_authToken=` line. See what npm has (tokens show as protected):",
      "npm config list",
    );
  }
  let what = match &credential {
    Some((_, origin, Some(var))) => format!("The token from ${{{var}}} ({origin}) was refused"),
    Some((_, origin, None)) => format!("The token set at {origin} was refused"),
    None => "The credentials npm sent were refused".into(),
  };
  // npmjs.com's own token rules, only where they apply.
  let npmjs = if a.s.product() == Product::Npmjs {
    " npmjs.com login sessions last two hours; classic tokens were all revoked on 2025-12-09."
  } else {
    ""
  };
  if let (Some(true), Some((key, origin))) = (a.s.in_ci(), &stale) {
    a.run(
      format!(
        "{what}. It is a literal token in the agent's own user .npmrc ({origin}), which a job's project .npmrc or \
         setup step does not replace if it names the host the same way: a stale token left on the build agent. \
         Remove that line (then the job's own token applies):"
      ),
      format!("npm config delete '{key}' --location=user"),
    );
  } else if a.s.in_ci() == Some(true) {
    a.say(format!(
      "{what}: it expired, was revoked, or is for another registry.{npmjs} Create a new granular access token on \
       the registry and update the {} secret that feeds it (npmjs.com: `npm token create`, from your terminal).",
      a.s.ci_name()
    ));
  } else {
    a.login(&format!(
      "{what}: it expired, was revoked, or is for another registry.{npmjs} Log in again:"
    ));
  }
  a.whoami("Check who the registry thinks you are:");
}

pub(crate) static TOKEN_EXPIRED: Cause = Cause {
  id: "token-expired",
  title: "The registry says the token expired or was revoked",
  explain: "npmjs.com sends the notice 'Access token expired or revoked' with every response to a \
            request made with a dead token, even successful public reads, so the next publish or \
            private install fails. A publish with such a token often fails as 404 rather than 401. \
            Log in again (`npm login`) or create a new granular access token and put it where the \
            .npmrc reads it.",
  tell: "npm notice 'Access token expired or revoked' in the same run.",
  signatures: &[
    sig(92)
      .notice(r"(?i)access token expired or revoked")
      .status(401),
    sig(92)
      .notice(r"(?i)access token expired or revoked")
      .status(404),
    sig(92)
      .notice(r"(?i)access token expired or revoked")
      .status(403),
    sig(90)
      .status(401)
      .text(r"token (?:has )?(?:expired|been revoked)|expired token"),
  ],
  rules: &[],
  // The refusal is the expired token's effect, not a second cause.
  supersedes: &[
    &AUTH_REJECTED,
    &publish::PUBLISH_NOT_FOUND,
    &read::PACKAGE_NOT_FOUND,
    &read::REGISTRY_FORBIDDEN,
    &publish::PUBLISH_FORBIDDEN,
    &NOT_LOGGED_IN,
  ],
  advise: token_expired,
};

fn token_expired(a: &mut Advice) {
  let registry = a.s.registry();
  if let Some(c) = a.ctx.credential_for(&registry) {
    let origin = c.setting.origin();
    a.note(format!("the token comes from {origin}"));
  }
  if a.s.block.is_none() {
    a.say("npm succeeded, but the registry says the token it sent has expired or was revoked: the next publish or private install will fail.");
  }
  if a.s.in_ci() == Some(true) {
    a.run(
      format!(
        "Create a new granular access token from your terminal and update the {} secret (or switch publishing to trusted publishing):",
        a.s.ci_name()
      ),
      "npm token create --name ci --packages-and-scopes-permission read-write",
    );
  } else {
    a.login("Log in again (a login session lasts two hours):");
  }
}
