//! What a publish may do: who owns the name, which versions exist, which
//! names are allowed, what a token may do, provenance and trusted publishing.

use super::{Cause, Rule, WRITE, auth, sig};
use crate::{
  advice::{Advice, next_version, version_below},
  ci::Ci,
  command::quote,
  facts::Hint,
  product::Product,
  situation::Situation,
  url,
};

pub(super) static CAUSES: &[&Cause] = &[
  &PUBLISH_FORBIDDEN,
  &VERSION_EXISTS,
  &NAME_TOO_SIMILAR,
  &TOKEN_CANNOT_PUBLISH,
  &EMAIL_UNVERIFIED,
  &SCOPED_ACCESS,
  &PUBLISH_NOT_FOUND,
  &PACKAGE_PRIVATE,
  &PROVENANCE_INVALID,
  &TRUSTED_PUBLISHING_FAILED,
  &PUBLISH_REJECTED,
];

pub(crate) static PUBLISH_FORBIDDEN: Cause = Cause {
  id: "publish-forbidden",
  title: "This account may not publish this package",
  explain: "The registry accepted who you are but not what you asked: the name belongs to someone \
            else, you are not a maintainer, the registry's access rules do not let this user \
            publish the scope (Verdaccio 'packages', Artifactory deploy permission), or on GitHub \
            Packages the token lacks write:packages or the scope is not the repository owner.",
  tell: "403 on PUT; the registry's reason says permission, owner or 'not allowed to publish'.",
  signatures: &[
    sig(95).status(403).on(WRITE).text(
      r"do not have permission to publish|not allowed to publish|no permission to upload|permission_denied: write_package|not allowed to write organization package|owner not found|must have required permissions",
    ),
    sig(60).status(403).on(WRITE).fallback(),
  ],
  rules: &[],
  supersedes: &[],
  advise: publish_forbidden,
};

fn publish_forbidden(a: &mut Advice) {
  let name = a.s.package_name().unwrap_or_else(|| "<package>".into());
  if let Some(user) = a.s.block.and_then(|b| b.details.denied_user.clone()) {
    a.say(format!(
      "The registry's access rules do not let {user} publish {name}. On Verdaccio that is the `publish:` list of the \
       matching pattern under `packages:` in config.yaml; ask its administrator, or log in as a user who may publish."
    ));
    a.whoami("Check which user npm is logged in as:");
    return;
  }
  match a.s.product() {
    Product::GitHub => {
      a.say(
        "GitHub Packages needs a token with write:packages (in Actions: `permissions: packages: write`), the package \
         scope must be the repository owner's name, and a workflow run from a fork cannot write.",
      );
      a.run(
        "The scope must match the owner; check the name in package.json:",
        "npm pkg get name",
      );
      return;
    }
    Product::Npmjs => {}
    _ => {
      a.say(format!(
        "Ask the administrators of {} for permission to publish {name}.",
        a.s.host()
      ));
      a.whoami("Check which user npm is publishing as:");
      return;
    }
  }
  let someone_elses = url::scope_of(&name).is_none()
    && a
      .s
      .reason()
      .to_ascii_lowercase()
      .contains("permission to publish");
  if someone_elses {
    a.run(
      format!("Someone else owns {name}. See who:"),
      format!("npm owner ls {}", quote(&name)),
    );
    a.run(
      "Publish under your own scope instead (replace <you> with your npm user name):",
      format!("npm pkg set name='@<you>/{name}' && npm publish --access public"),
    );
  } else {
    a.whoami("Check that npm is logged in as a maintainer:");
    a.run(
      "See who may publish it:",
      format!("npm owner ls {}", quote(&name)),
    );
  }
}

pub(crate) static VERSION_EXISTS: Cause = Cause {
  id: "version-exists",
  title: "This version is already published",
  explain: "A registry never accepts the same version twice, even after an unpublish. Bump the \
            version (`npm version patch`) and publish again.",
  tell: "'You cannot publish over the previously published versions', E409, EPUBLISHCONFLICT.",
  signatures: &[
    sig(98)
      .text(r"cannot publish over (?:the )?(?:previously published|existing) version")
      .seen_with(&["E403"]),
    sig(95).codes(&["E409", "EPUBLISHCONFLICT"]),
  ],
  rules: &[],
  supersedes: &[],
  advise: version_exists,
};

fn version_exists(a: &mut Advice) {
  let version = a
    .s
    .block
    .and_then(|b| b.details.published_version.clone())
    .or_else(|| a.ctx.package.as_ref().and_then(|p| p.version.clone()));
  let bump = match version.as_deref() {
    Some(v) if v.contains('-') => "prerelease",
    _ => "patch",
  };
  let next = version.as_deref().and_then(|v| next_version(v, bump));
  let what = match (&version, &next) {
    (Some(v), Some(n)) => format!(
      "{v} is already on the registry and a version can never be published twice, even after an unpublish. Bump it ({v} → {n}) and publish again:"
    ),
    (Some(v), None) => format!(
      "{v} is already on the registry and a version can never be published twice. Bump it and publish again:"
    ),
    _ => "This version is already on the registry and a version can never be published twice. Bump it and publish again:".into(),
  };
  a.run(
    what,
    format!("npm version {bump} && {}", a.s.command_line()),
  );
}

pub(crate) static NAME_TOO_SIMILAR: Cause = Cause {
  id: "name-too-similar",
  title: "The registry refused a name too close to existing packages",
  explain: "npmjs.com blocks unscoped names that look like existing packages (typosquatting \
            protection). Publish under your scope instead (`@you/name` with `--access public`) or \
            pick a clearly different name.",
  tell: "403 on PUT with 'Package name too similar to existing packages'.",
  signatures: &[sig(98).status(403).text(r"too similar to existing package")],
  rules: &[],
  supersedes: &[],
  advise: name_too_similar,
};

fn name_too_similar(a: &mut Advice) {
  match a.s.block.and_then(|b| b.details.suggested_name.clone()) {
    Some(name) => a.run(
      format!("npmjs.com refuses unscoped names this close to existing ones. Publish it under your scope, as the registry suggests ({name}):"),
      format!("npm pkg set name={} && npm publish --access public", quote(&name)),
    ),
    None => a.run(
      "npmjs.com refuses unscoped names this close to existing ones. Publish under your scope (replace <you>), or choose a clearly different name:",
      "npm pkg set name='@<you>/<name>' && npm publish --access public",
    ),
  }
}

pub(crate) static TOKEN_CANNOT_PUBLISH: Cause = Cause {
  id: "token-cannot-publish",
  title: "This token cannot publish",
  explain: "The token is valid but not allowed to publish: read-only, limited to other \
            packages or scopes, or a write token without 'bypass 2FA' on a package that requires \
            2FA (since late 2025 publishing needs 2FA or a granular token with bypass-2FA). \
            Packages set to 'require 2FA and disallow tokens' accept no token at all: publish \
            interactively or with trusted publishing.",
  tell: "403 whose reason mentions two-factor authentication, an automation token, bypass 2FA \
         or 'may not perform that action with these credentials'.",
  signatures: &[
    sig(97)
      .status(403)
      .text(r"two-factor authentication or granular access token with bypass 2fa"),
    sig(96)
      .status(403)
      .text(r"automation token was specified|two-factor authentication is required to publish"),
    sig(95)
      .status(403)
      .text(r"may not perform that action with these credentials"),
    sig(92)
      .text(r"read-only token|token is read.only")
      .seen_with(&["E403"]),
    sig(95)
      .status(401)
      .text(r"tokens that bypass 2fa are being restricted"),
  ],
  rules: &[],
  supersedes: &[],
  advise: token_cannot_publish,
};

fn token_cannot_publish(a: &mut Advice) {
  let package = a.s.package_name().unwrap_or_else(|| "<package>".into());
  if a.s.has(Hint::TwoFactor) {
    a.say(
      "Publishing needs two-factor authentication or a granular access token with bypass-2FA; a package set to \
       'require 2FA and disallow tokens' takes no token at all.",
    );
    if a.s.in_ci() != Some(true) {
      a.run(
        "From your terminal, log in (npm asks for the 2FA code when publishing):",
        format!("{} && {}", a.login_command(), a.s.command_line()),
      );
    }
    if a.s.in_ci() != Some(false) {
      a.ci_publish_without_otp();
    }
    return;
  }
  a.say(format!(
    "The token is valid but may not publish {package}: it is read-only, or limited to other packages or scopes."
  ));
  a.run(
    "Create a token that can (from your terminal), and put it where .npmrc reads it:",
    format!(
      "npm token create --name publish --packages {} --packages-and-scopes-permission read-write",
      quote(&package)
    ),
  );
}

pub(crate) static EMAIL_UNVERIFIED: Cause = Cause {
  id: "email-unverified",
  title: "The account's e-mail address is not verified",
  explain: "npmjs.com refuses publishes from accounts whose e-mail address is not verified, and \
            often says only 'Forbidden'. Verify it at https://www.npmjs.com/settings/~/profile and \
            publish again.",
  tell: "403 on PUT with a bare 'Forbidden' or a reason about e-mail verification.",
  signatures: &[
    sig(97)
      .status(403)
      .text(r"verify your e-?mail|e-?mail (?:address )?(?:is )?not (?:yet )?verified"),
    // The registry's sentence alone (a pasted debug-log line).
    sig(90).text(r"verify your e-?mail (?:address )?before publishing"),
    // A bare "Forbidden" on publish is also what an unverified e-mail looks like.
    sig(35)
      .status(403)
      .on(WRITE)
      .reason(r"(?i)^(?:forbidden)?$")
      .fallback(),
  ],
  rules: &[],
  supersedes: &[],
  advise: email_unverified,
};

fn email_unverified(a: &mut Advice) {
  a.run(
    "npmjs.com refuses publishes from accounts with an unverified e-mail address (and often says only 'Forbidden'). Check it:",
    "npm profile get",
  );
  a.say("If it is not verified, use the link in npm's e-mail or resend it from https://www.npmjs.com/settings/~/profile, then publish again.");
}

pub(crate) static SCOPED_ACCESS: Cause = Cause {
  id: "scoped-access",
  title: "A scoped package is private by default",
  explain: "The first publish of a scoped package (@scope/name) is restricted unless you say \
            otherwise, and private packages need a paid plan. Publish it as public with `npm \
            publish --access public`, or set \"publishConfig\": {\"access\": \"public\"} in \
            package.json.",
  tell: "E402 Payment Required, 'You must sign up for private packages'.",
  signatures: &[
    sig(97).codes(&["E402"]),
    sig(95).text(r"you must sign up for private packages"),
  ],
  rules: &[],
  supersedes: &[],
  advise: scoped_access,
};

fn scoped_access(a: &mut Advice) {
  let name = a.s.package_name().unwrap_or_else(|| "@scope/name".into());
  if let Some(package) = &a.ctx.package {
    let file = package.dir.join("package.json").display().to_string();
    match package.publish_access.as_deref() {
      Some("restricted") => {
        a.note(format!("{file}: publishConfig.access is \"restricted\""));
        a.run(
          format!("{file} asks for restricted (private) access in publishConfig. If the package is meant to be public, say so there:"),
          "npm pkg set publishConfig.access=public",
        );
        return;
      }
      Some(other) => a.note(format!("{file}: publishConfig.access is {other:?}")),
      None => a.note(format!(
        "{file} sets no publishConfig.access, and npm's default for a new scoped package is restricted"
      )),
    }
  }
  a.run(
    format!("A scoped package ({name}) is private unless published as public, and private packages need a paid plan. Publish it as public:"),
    a.s.command_with("--access=public"),
  );
  a.run(
    "Or make public the default for this package:",
    "npm pkg set publishConfig.access=public",
  );
}

pub(crate) static PUBLISH_NOT_FOUND: Cause = Cause {
  id: "publish-not-found",
  title: "The registry answered 'not found' to the publish",
  explain: "npmjs.com answers 404 rather than 403 to a publish it will not accept, so as not to \
            reveal what exists: the token is missing, expired or revoked, cannot see this scope, \
            or (trusted publishing) the package's trusted-publisher settings do not match this \
            workflow.",
  tell: "404 on PUT.",
  signatures: &[sig(90).status(404).on(&["PUT"])],
  rules: &[],
  supersedes: &[],
  advise: publish_not_found,
};

fn publish_not_found(a: &mut Advice) {
  let name = a.s.package_name().unwrap_or_else(|| "<package>".into());
  a.say(format!(
    "npmjs.com answers 404 to a publish it will not accept, rather than say what exists: the token is missing, expired \
     or revoked, or cannot write {name} or its scope."
  ));
  if a.s.in_ci() == Some(true) && a.ctx.env_var("ACTIONS_ID_TOKEN_REQUEST_URL").is_some() {
    a.say("With trusted publishing, check that the package's trusted publisher names exactly this repository and workflow file.");
  }
  let url = a.s.url();
  if !a.explain_missing_var(&url) {
    a.whoami("Check the token npm sends:");
  }
}

pub(crate) static PACKAGE_PRIVATE: Cause = Cause {
  id: "package-private",
  title: "package.json marks this package private",
  explain: "\"private\": true in package.json stops npm from publishing it at all, on purpose. If \
            it is meant to be published, remove that line.",
  tell: "EPRIVATE.",
  signatures: &[
    sig(98).codes(&["EPRIVATE"]),
    sig(95).text(r"this package has been marked as private"),
  ],
  rules: &[],
  supersedes: &[],
  advise: package_private,
};

fn package_private(a: &mut Advice) {
  if let Some(package) = a.ctx.package.as_ref().filter(|p| p.private) {
    a.note(format!(
      "{} has \"private\": true",
      package.dir.join("package.json").display()
    ));
  }
  a.run(
    "package.json says \"private\": true, which exists to stop publishing. If this package is meant to be published, remove it:",
    "npm pkg delete private",
  );
}

pub(crate) static PROVENANCE_INVALID: Cause = Cause {
  id: "provenance-invalid",
  title: "The registry rejected the provenance statement",
  explain: "With provenance (always on with trusted publishing for public packages) the registry \
            checks that package.json's repository.url names the repository the workflow ran in. \
            Set \"repository\": {\"type\": \"git\", \"url\": \"git+https://github.com/<owner>/<repo>.git\"} \
            to match.",
  tell: "E422 with 'Error verifying sigstore provenance bundle'.",
  signatures: &[
    sig(97)
      .text(r"provenance (?:bundle|statement)|verifying sigstore|sourcerepositoryref")
      .seen_with(&["E422"]),
    sig(60).codes(&["E422"]).on(&["PUT"]).fallback(),
  ],
  rules: &[],
  supersedes: &[],
  advise: provenance_invalid,
};

fn provenance_invalid(a: &mut Advice) {
  if let Some(package) = &a.ctx.package {
    let now = package.repository.as_deref().unwrap_or("not set");
    a.note(format!(
      "{}: repository.url is {now}",
      package.dir.join("package.json").display()
    ));
  }
  match a.s.block.and_then(|b| b.details.expected_repository.clone()) {
    Some(url) => a.run(
      format!("The registry checks package.json's repository.url against the repository that built it ({url}). Set it:"),
      format!(
        "npm pkg set repository.type=git repository.url={}",
        quote(&format!("git+{url}.git").replace(".git.git", ".git"))
      ),
    ),
    None => a.run(
      "With provenance, package.json's repository.url must name the repository the workflow runs in. Set it:",
      "npm pkg set repository.type=git repository.url=git+https://github.com/<owner>/<repo>.git",
    ),
  }
}

pub(crate) static TRUSTED_PUBLISHING_FAILED: Cause = Cause {
  id: "trusted-publishing-failed",
  title: "Trusted publishing (OIDC) did not happen",
  explain: "npm exchanges the CI provider's OIDC token for a short-lived publish token. That only \
            works with npm >= 11.5.1 and Node >= 22.14, on GitHub-hosted runners (`permissions: \
            id-token: write`), GitLab.com shared runners or CircleCI cloud, for a package whose \
            trusted publisher on npmjs.com names this repository and workflow file. When it fails \
            npm falls back to whatever token it has, or to none (ENEEDAUTH). `--loglevel=verbose` \
            shows npm's `oidc` lines with the reason.",
  tell: "npm's debug log shows its oidc token exchange failing (a failed POST to \
         /-/npm/v1/oidc/token/exchange, `oidc Failed token exchange`), then ENEEDAUTH or a 404 on PUT.",
  signatures: &[
    sig(92)
      .text(r"oidc/token/exchange|failed token exchange")
      .seen_with(&["E404"]),
    sig(90)
      .text(r#"requires "write" access to the "id-token" permission|provenance generation (?:in github actions )?(?:is )?not supported"#)
      .seen_with(&["EUSAGE"]),
  ],
  // npm tried trusted publishing and it failed: npm then publishes with
  // whatever token it has (a 404 on PUT) or none (ENEEDAUTH).
  rules: &[
    Rule {
      from: &[&auth::NOT_LOGGED_IN],
      replaces: true,
      weight: 96,
      when: oidc_failed_on_publish,
    },
    Rule {
      from: &[&PUBLISH_NOT_FOUND],
      replaces: false,
      weight: 96,
      when: oidc_failed_on_publish,
    },
  ],
  supersedes: &[],
  advise: trusted_publishing_failed,
};

fn oidc_failed_on_publish(s: &Situation) -> bool {
  s.facts.oidc_failed() && (s.publishing() || s.request.code.as_deref() == Some("ENEEDAUTH"))
}

fn trusted_publishing_failed(a: &mut Advice) {
  for line in a.s.facts.oidc.clone() {
    a.note(format!("npm: {line}"));
  }
  if let Some(v) = a.s.facts.npm_version.clone() {
    if version_below(&v, (11, 5, 1)) {
      a.run(
        format!(
          "npm {v} cannot do trusted publishing (it needs npm >= 11.5.1). Update npm in the job:"
        ),
        "npm install -g npm@latest",
      );
    }
  }
  if let Some(v) = a.s.facts.node_version.clone() {
    if version_below(&v, (22, 14, 0)) {
      a.say(format!("Node.js {v} is too old for trusted publishing (it needs >= 22.14): use `node-version: 24` in actions/setup-node."));
    }
  }
  if a.ctx.env.is_some()
    && a.ctx.env_var("ACTIONS_ID_TOKEN_REQUEST_URL").is_none()
    && a.ctx.ci == Some(Ci::GitHub)
  {
    a.note("no ACTIONS_ID_TOKEN_REQUEST_URL: the job cannot request an OIDC token");
    a.say("The job has no OIDC token: add `permissions: id-token: write` to it (or the workflow).");
  }
  let registry = a.s.registry();
  for (var, origin, _) in a.missing_token_vars(&registry) {
    a.say(format!(
      "{origin} sets a token from ${{{var}}}, which is empty: when trusted publishing fails npm sends that empty token. \
       actions/setup-node writes this line when given `registry-url`; it is harmless once OIDC works."
    ));
  }
  a.say("On npmjs.com the package's trusted publisher must name this repository and workflow file exactly; a package's first publish must be done another way.");
  let command = &a.ctx.command;
  let verbose = command
    .flag("--loglevel")
    .is_some_and(|l| l == "verbose" || l == "silly")
    || command
      .args
      .iter()
      .any(|arg| arg == "--verbose" || arg == "-dd" || arg == "-ddd");
  if a.s.facts.oidc_package_missing() {
    let name = a.s.package_name().unwrap_or_else(|| "this package".into());
    a.run(
      format!("The registry does not know {name} yet, and trusted publishing cannot create a package: publish its first version from your own terminal, then configure its trusted publisher:"),
      "npm publish",
    );
  } else if verbose {
    a.run(
      "npm's oidc lines above give its reason; once it is fixed, run the same command again:",
      a.s.command_line(),
    );
  } else {
    a.run(
      "See npm's reason in its oidc lines:",
      a.s.command_with("--loglevel=verbose"),
    );
  }
}

pub(crate) static PUBLISH_REJECTED: Cause = Cause {
  id: "publish-rejected",
  title: "The publish was refused for what it contains",
  explain: "The registry (or npm, before sending) refused the package itself: a tarball over the \
            registry's size limit (trim it with `files` in package.json or .npmignore), a prerelease \
            version published without --tag (npm will not make it `latest`), or a registry's \
            validation of the manifest (its reason says which field).",
  tell: "400 or 413 on PUT, or 'You must specify a tag using --tag when publishing a prerelease version'.",
  signatures: &[
    sig(95).text(r"must specify a tag using --tag when publishing a prerelease"),
    sig(93).status(413),
    sig(85).status(400).on(WRITE),
  ],
  rules: &[],
  supersedes: &[&crate::causes::usage::USAGE_ERROR],
  advise: publish_rejected,
};

fn publish_rejected(a: &mut Advice) {
  let reason = a.s.reason().to_owned();
  if a
    .s
    .block
    .is_some_and(|b| b.text.contains("when publishing a prerelease"))
  {
    let version = a
      .ctx
      .package
      .as_ref()
      .and_then(|p| p.version.clone())
      .unwrap_or_else(|| "this prerelease".into());
    a.run(
      format!(
        "{version} is a prerelease, and npm will not make a prerelease the `latest` tag that installs get by default. \
         Publish it under a tag of its own:"
      ),
      a.s.command_with("--tag=next"),
    );
    return;
  }
  if a.s.request.status == Some(413) {
    a.run(
      "The tarball is over the registry's size limit. See what goes into it:",
      "npm pack --dry-run",
    );
    a.say(
      "Leave out what installs do not need (tests, fixtures, sources maps, build caches): list what to ship in \
       package.json's `files`, or exclude the rest in .npmignore.",
    );
    return;
  }
  if !reason.is_empty() {
    a.note(format!("the registry said: {reason}"));
  }
  a.run(
    format!(
      "The registry refused the package's contents{}. Check package.json's fields (name, version, the files it ships):",
      if reason.is_empty() { String::new() } else { format!(": {reason}") }
    ),
    "npm publish --dry-run",
  );
}
