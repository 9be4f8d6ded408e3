//! The steps for each cause, fitted to the situation: the person's own
//! command, the file and line that set the value at fault, the variable that
//! is missing, a terminal or CI, npmjs.com or the registry product in use.
//!
//! Each step is something to do, with a command to paste where one exists.
//! Facts this module relies on are added to the evidence, so a person can see
//! why a step was chosen. No step ever turns TLS verification off.

use crate::{
  command::quote,
  context::{self, Context},
  diagnose::{Situation, Step},
  npmrc::VarState,
};

pub(crate) fn steps(id: &str, s: &Situation, evidence: &mut Vec<String>) -> Vec<Step> {
  let mut a = Advice {
    s,
    ctx: s.ctx,
    evidence,
    steps: Vec::new(),
  };
  match id {
    "otp-required" => a.otp_required(),
    "not-logged-in" => a.not_logged_in(),
    "auth-rejected" => a.auth_rejected(),
    "token-expired" => a.token_expired(),
    "publish-forbidden" => a.publish_forbidden(),
    "version-exists" => a.version_exists(),
    "name-too-similar" => a.name_too_similar(),
    "token-cannot-publish" => a.token_cannot_publish(),
    "email-unverified" => a.email_unverified(),
    "scoped-access" => a.scoped_access(),
    "publish-not-found" => a.publish_not_found(),
    "package-private" => a.package_private(),
    "provenance-invalid" => a.provenance_invalid(),
    "trusted-publishing-failed" => a.trusted_publishing_failed(),
    "registry-forbidden" => a.registry_forbidden(),
    "proxy-forbidden" => a.proxy_forbidden(),
    "policy-blocked" => a.policy_blocked(),
    "package-not-found" => a.package_not_found(),
    "version-not-found" => a.version_not_found(),
    "proxy-auth-required" => a.proxy_auth_required(),
    "proxy-misconfigured" => a.proxy_misconfigured(),
    "registry-misconfigured" => a.registry_misconfigured(),
    "dns-failure" => a.dns_failure(),
    "connection-refused" => a.connection_refused(),
    "network-unreachable" | "network-timeout" => a.network_slow(id),
    "connection-reset" => a.connection_reset(),
    "tls-untrusted" | "tls-expired" | "tls-hostname" => a.tls(id),
    "usage-error" => a.usage_error(),
    "permission-denied" => a.permission_denied(),
    "rate-limited" => a.rate_limited(),
    "registry-unavailable" => a.registry_unavailable(),
    _ => {}
  }
  a.steps
}

/// Which registry product a host belongs to: the steps differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
  Npmjs,
  GitHub,
  Artifactory,
  Nexus,
  Verdaccio,
  Azure,
  CodeArtifact,
  Google,
  Other,
}

pub(crate) fn kind(url: &str) -> Kind {
  let host = context::hostname(url).unwrap_or_default();
  let port = context::host_of(url).unwrap_or_default();
  if host == "registry.npmjs.org" || host == "registry.npmjs.com" {
    Kind::Npmjs
  } else if host == "npm.pkg.github.com" {
    Kind::GitHub
  } else if url.contains("/artifactory/") || host.ends_with(".jfrog.io") {
    Kind::Artifactory
  } else if url.contains("/repository/") || host.contains("nexus") {
    Kind::Nexus
  } else if host.ends_with("pkgs.dev.azure.com") || host.ends_with(".pkgs.visualstudio.com") {
    Kind::Azure
  } else if host.contains(".codeartifact.") && host.ends_with(".amazonaws.com") {
    Kind::CodeArtifact
  } else if host.ends_with("-npm.pkg.dev") {
    Kind::Google
  } else if port.ends_with(":4873") || host.contains("verdaccio") {
    Kind::Verdaccio
  } else {
    Kind::Other
  }
}

struct Advice<'a, 'e> {
  s: &'a Situation<'a>,
  ctx: &'a Context,
  evidence: &'e mut Vec<String>,
  steps: Vec<Step>,
}

impl Advice<'_, '_> {
  fn say(&mut self, text: impl Into<String>) {
    self.steps.push(Step::say(text));
  }

  fn run(&mut self, text: impl Into<String>, command: impl Into<String>) {
    self.steps.push(Step::run(text, command));
  }

  fn note(&mut self, fact: impl Into<String>) {
    self.evidence.push(fact.into());
  }

  /// In CI: `Some(true)`; on a person's machine: `Some(false)`; a saved log: `None`.
  fn in_ci(&self) -> Option<bool> {
    if self.ctx.ci.is_some() {
      Some(true)
    } else if self.ctx.env.is_some() {
      Some(false)
    } else {
      None
    }
  }

  fn ci_name(&self) -> &'static str {
    self.ctx.ci.unwrap_or("CI")
  }

  /// The person's command; for a saved log that does not say, the likeliest
  /// one: a write was a publish, anything else an install.
  fn command_line(&self) -> String {
    let c = &self.ctx.command;
    if c.args.is_empty() {
      format!("{} {}", c.program, self.guessed_name())
    } else {
      c.line()
    }
  }

  fn command_with(&self, flag: &str) -> String {
    let c = &self.ctx.command;
    if c.args.is_empty() {
      format!("{} {} {flag}", c.program, self.guessed_name())
    } else {
      c.with(flag)
    }
  }

  fn command_with_all(&self, flags: &[&str]) -> String {
    let c = &self.ctx.command;
    if c.args.is_empty() {
      return format!("{} {} {}", c.program, self.guessed_name(), flags.join(" "));
    }
    c.with_all(flags)
  }

  fn guessed_name(&self) -> &'static str {
    if let Some(name) = self.ctx.command.name {
      return name;
    }
    let write = matches!(self.s.observed.method.as_deref(), Some("PUT" | "DELETE"));
    let code = self.s.observed.code.as_deref();
    let text = self.text();
    if write || code == Some("EOTP") || code == Some("EPRIVATE") || text.contains("publish") {
      "publish"
    } else {
      "install"
    }
  }

  /// The URL the failure is about, else the registry in use.
  fn url(&self) -> String {
    self
      .s
      .observed
      .url
      .clone()
      .unwrap_or_else(|| self.registry())
  }

  fn host(&self) -> String {
    context::host_of(&self.url()).unwrap_or_else(|| "the registry".into())
  }

  /// The registry npm talked to: from the error, the failing URL, or the config.
  fn registry(&self) -> String {
    if let Some(block) = self.s.block {
      if let Some((_, rest)) = block.text.split_once("requires you to be logged in to ") {
        if let Some(url) = rest.split_whitespace().next() {
          return url.trim_end_matches('.').to_owned();
        }
      }
    }
    let package = self.package_name();
    let (mut registry, _) = self.ctx.registry_for(package.as_deref());
    // A publish goes where package.json's publishConfig.registry says.
    if self.ctx.command.publishes() {
      if let Some(to) = self
        .ctx
        .package
        .as_ref()
        .and_then(|p| p.publish_registry.clone())
      {
        registry = to;
      }
    }
    if let Some(url) = &self.s.observed.url {
      // The failing URL's origin, when it is not the configured registry.
      if context::host_of(url) != context::host_of(&registry) {
        if let Some(host) = context::host_of(url) {
          let scheme = url.split("://").next().unwrap_or("https");
          return format!("{scheme}://{host}/");
        }
      }
    }
    registry
  }

  /// The package the failure is about: from the URL, npm's pkgid, or package.json.
  fn package_name(&self) -> Option<String> {
    if let Some(url) = &self.s.observed.url {
      if let Some(name) = package_from_url(url) {
        return Some(name);
      }
    }
    if let Some(id) = &self.s.facts.pkgid {
      let name = match id.strip_prefix('@') {
        Some(rest) => format!("@{}", rest.split('@').next().unwrap_or(rest)),
        None => id.split('@').next().unwrap_or(id).to_owned(),
      };
      return Some(name);
    }
    self.ctx.package.as_ref().and_then(|p| p.name.clone())
  }

  fn reason(&self) -> String {
    self.s.observed.reason.clone().unwrap_or_default()
  }

  fn text(&self) -> &str {
    self.s.block.map(|b| b.text.as_str()).unwrap_or("")
  }

  /// Credential lines for this host whose `${VAR}` is unset or empty here.
  fn missing_token_vars(&mut self, url: &str) -> Vec<(String, String, VarState)> {
    let mut missing = Vec::new();
    for setting in self.ctx.token_lines_for(url) {
      for var in &setting.entry.vars {
        if var.state != VarState::Set {
          missing.push((var.name.clone(), setting.origin(), var.state));
        }
      }
    }
    missing
  }

  /// Says which `${VAR}` is missing, if one is; true if it said so.
  fn explain_missing_var(&mut self, url: &str) -> bool {
    let missing = self.missing_token_vars(url);
    let Some((var, origin, state)) = missing.first().cloned() else {
      return false;
    };
    let how = if state == VarState::Unset {
      "is not set"
    } else {
      "is empty"
    };
    self.note(format!(
      "{origin} reads the token from ${{{var}}}, which {how} here"
    ));
    if self.in_ci() == Some(true) {
      self.say(format!(
        "{origin} takes the token from ${{{var}}}, which {how} in this {} job. Pass the secret to the \
         step that runs npm, e.g. in GitHub Actions `env: {var}: ${{{{ secrets.NPM_TOKEN }}}}` (the \
         secret's name is yours to choose); a fork's pull request gets no secrets.",
        self.ci_name()
      ));
    } else {
      self.run(
        format!("{origin} takes the token from ${{{var}}}, which {how} in this shell. Set it and run again:"),
        format!("export {var}=<your token> && {}", self.command_line()),
      );
    }
    true
  }

  fn whoami(&mut self, text: &str) {
    let registry = self.registry();
    let cmd = if kind(&registry) == Kind::Npmjs {
      "npm whoami".to_owned()
    } else {
      format!("npm whoami --registry {}", quote(&registry))
    };
    self.run(text, cmd);
  }

  fn login(&mut self, text: &str) {
    let cmd = self.login_command();
    self.run(text, cmd);
  }

  /// `npm login` for the registry at hand (and its scope, when npm would
  /// otherwise not know which registry the scope lives on).
  fn login_command(&self) -> String {
    let registry = self.registry();
    let scope = self
      .package_name()
      .as_deref()
      .and_then(context::scope_of)
      .map(str::to_owned);
    let mut cmd = "npm login".to_owned();
    if kind(&registry) != Kind::Npmjs {
      cmd.push_str(&format!(" --registry {}", quote(&registry)));
      if let Some(scope) =
        scope.filter(|s| self.ctx.registry_for(Some(&format!("@{s}/x"))).1.is_none())
      {
        cmd.push_str(&format!(" --scope=@{scope}"));
      }
    }
    cmd
  }

  /// Registry-product-specific ways to get a working credential.
  fn product_token_steps(&mut self) -> bool {
    let registry = self.registry();
    let realm = self
      .s
      .block
      .and_then(|b| b.challenge.clone())
      .unwrap_or_default()
      .to_ascii_lowercase();
    if realm.contains("artifactory") {
      self.say(
        "Artifactory asked for its own credentials: take the npm snippet from the repository's 'Set Me Up' page \
         (an identity token for the repository's URL, …/artifactory/api/npm/<repo>/) and put it in .npmrc.",
      );
      self.run(
        "Then check it is accepted:",
        "npm whoami --registry https://<host>/artifactory/api/npm/<repo>/",
      );
      return true;
    }
    if realm.contains("nexus") {
      self.say(
        "Nexus asked for its own credentials: log in to the repository URL (…/repository/<repo>/) with a Nexus user \
         or user token; Nexus needs the npm Bearer Token realm enabled for `npm login`.",
      );
      self.run(
        "Log in to that repository:",
        "npm login --registry https://<host>/repository/<repo>/",
      );
      return true;
    }
    match kind(&registry) {
      Kind::GitHub => {
        self.say(
          "GitHub Packages takes a personal access token (classic) with read:packages (and write:packages \
           to publish), or in Actions the job's GITHUB_TOKEN with `permissions: packages: read` (or \
           write); the package must grant this repository access. It does not accept npm's trusted publishing.",
        );
        self.run(
          "Put the token where npm reads it for that host:",
          "npm config set //npm.pkg.github.com/:_authToken '${GITHUB_TOKEN}'",
        );
        true
      }
      Kind::CodeArtifact => {
        self.run(
          "CodeArtifact tokens last 12 hours by default; get a fresh one:",
          "aws codeartifact login --tool npm --domain <domain> --repository <repository>",
        );
        true
      }
      Kind::Azure => {
        self.say(
          "Azure Artifacts wants a personal access token with Packaging (read, or read & write), \
           base64-encoded in `_password` beside `username` for the feed's URL; on Windows `npx \
           vsts-npm-auth -config .npmrc` refreshes it.",
        );
        true
      }
      Kind::Artifactory | Kind::Nexus | Kind::Verdaccio | Kind::Google | Kind::Other => false,
      Kind::Npmjs => false,
    }
  }

  fn otp_required(&mut self) {
    if let Some(url) = self
      .text()
      .split_whitespace()
      .find(|w| w.starts_with("https://") && w.contains("auth"))
    {
      let url = url.to_owned();
      self.note(format!("npm offered web authentication at {url}"));
    }
    match (self.in_ci(), self.ctx.interactive) {
      (Some(false), Some(true)) => {
        self.run(
          "Run it again: in a terminal npm asks for the code from your authenticator by itself. Or give it directly:",
          self.command_with("--otp=<code>"),
        );
      }
      (Some(false), _) => {
        self.run(
          "npm only prompts for a code when stdin and stdout are both terminals, and here one is not (output \
           piped or redirected?). Pass the code from your authenticator:",
          self.command_with("--otp=<code>"),
        );
      }
      (Some(true), _) => {
        self.note(format!(
          "running in {} (no terminal to type a code into)",
          self.ci_name()
        ));
        self.ci_publish_without_otp();
      }
      (None, _) => {
        self.run(
          "In a terminal, pass the code from your authenticator (npm also prompts for it there):",
          self.command_with("--otp=<code>"),
        );
        self.ci_publish_without_otp();
      }
    }
  }

  /// The two ways to publish from CI when the account or package requires 2FA.
  fn ci_publish_without_otp(&mut self) {
    let package = self.package_name().unwrap_or_else(|| "<package>".into());
    let lead = if self.in_ci() == Some(true) {
      "Nobody can type a code here. Use"
    } else {
      "In CI, where nobody can type a code, use"
    };
    self.say(format!(
      "{lead} trusted publishing (recommended): on npmjs.com open {package} → Settings → Trusted publishing and \
       name this repository and workflow file; give the job `permissions: id-token: write` and run npm >= \
       11.5.1 on Node >= 22.14. npm then needs no token at all."
    ));
    let secret = self
      .token_var_for_registry()
      .unwrap_or_else(|| "NPM_TOKEN".into());
    self.run(
      format!(
        "Or, from your own terminal, create a granular access token with bypass-2FA for this package and store \
         it in the CI secret that ${{{secret}}} comes from:"
      ),
      format!("npm token create --name ci-publish --packages {} --packages-and-scopes-permission read-write --bypass-2fa", quote(&package)),
    );
  }

  /// The `${VAR}` the config reads the registry's token from, if any.
  fn token_var_for_registry(&self) -> Option<String> {
    let registry = self.registry();
    self
      .ctx
      .token_lines_for(&registry)
      .iter()
      .find_map(|s| s.entry.vars.first().map(|v| v.name.clone()))
  }

  /// The failing host is in package-lock.json and in no registry setting:
  /// the lockfile was made against someone else's registry.
  fn lockfile_only(&mut self) -> bool {
    let Some(host) = self.s.observed.url.as_deref().and_then(context::host_of) else {
      return false;
    };
    let Some(config) = &self.ctx.config else {
      return false;
    };
    let mut configured: Vec<String> = config
      .all()
      .filter(|s| s.key == "registry" || s.key.ends_with(":registry"))
      .filter_map(|s| context::host_of(s.value))
      .collect();
    configured.push("registry.npmjs.org".into());
    if configured.contains(&host) || !self.ctx.lockfile_hosts().contains(&host) {
      return false;
    }
    self.note(format!(
      "package-lock.json resolves packages from {host}, which no registry setting names"
    ));
    self.run(
      format!(
        "package-lock.json fetches from {host}, probably the registry of whoever made the lockfile, and no setting of yours \
         names it. If it is not your registry, have npm fetch from yours instead (and commit the rewritten lockfile):"
      ),
      self.command_with("--replace-registry-host=always"),
    );
    true
  }

  fn not_logged_in(&mut self) {
    let registry = self.registry();
    let url = self.url();
    if self.lockfile_only() {
      return;
    }
    if self.explain_missing_var(&url) || self.explain_missing_var(&registry) {
      return;
    }
    if self.ctx.config.is_some() {
      self.note(format!(
        "no credential for {} in any .npmrc or npm_config_ variable npm reads",
        self.host()
      ));
    }
    if self.product_token_steps() {
      return;
    }
    let publishing =
      self.ctx.command.publishes() || self.s.observed.method.as_deref() == Some("PUT");
    match self.in_ci() {
      Some(true) if publishing && kind(&registry) == Kind::Npmjs => {
        self.ci_publish_without_otp();
      }
      Some(true) => {
        self.say(format!(
          "Give the {} job a token for {}: add a line `//{}/:_authToken=${{NPM_TOKEN}}` to the project .npmrc and \
           pass the secret in NPM_TOKEN (never commit the token itself).",
          self.ci_name(),
          self.host(),
          context::host_of(&registry).unwrap_or_default()
        ));
      }
      _ => {
        let sessions = if kind(&registry) == Kind::Npmjs {
          " (a login session lasts two hours)"
        } else {
          ""
        };
        self.login(&format!("Log in to {registry}{sessions}:"));
        if let Some(scope) = self
          .package_name()
          .as_deref()
          .and_then(context::scope_of)
          .map(str::to_owned)
        {
          if self.ctx.config.is_some()
            && self
              .ctx
              .registry_for(Some(&format!("@{scope}/x")))
              .1
              .is_none()
            && kind(&registry) == Kind::Npmjs
          {
            self.say(format!(
              "If @{scope} lives on a private registry, map the scope first: `npm config set @{scope}:registry <url>`."
            ));
          }
        }
      }
    }
  }

  fn auth_rejected(&mut self) {
    let url = self.url();
    if self.explain_missing_var(&url) {
      return;
    }
    // (kind, where it was set, the `${VAR}` it reads, if any)
    let credential = self.ctx.credential_for(&url).map(|c| {
      let var = c.setting.entry.vars.first().map(|v| v.name.clone());
      (c.kind.to_owned(), c.setting.origin(), var)
    });
    if let Some((kind_name, origin, _)) = &credential {
      self.note(format!("npm sent the {kind_name} set at {origin}"));
    }
    if let Some(challenge) = self.s.block.and_then(|b| b.challenge.clone()) {
      self.note(format!("the registry asked for: {challenge}"));
    }
    self.lockfile_only();
    if self.product_token_steps() {
      return;
    }
    if self.ctx.config.is_none()
      && self.s.observed.url.is_none()
      && self.guessed_name() == "install"
    {
      self.run(
        "If this was an install in a project someone else set up: package-lock.json may resolve packages from their \
         private registry, which refuses you whatever you log in to. List the hosts it uses:",
        r#"grep -o '"resolved": "[^"]*' package-lock.json | cut -d/ -f3 | sort -u"#,
      );
    }
    if credential.is_none() && self.text().contains("Incorrect or missing password") {
      self.run(
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
    let npmjs = if kind(&self.registry()) == Kind::Npmjs {
      " npmjs.com login sessions last two hours; classic tokens were all revoked on 2025-12-09."
    } else {
      ""
    };
    self.say(format!(
      "{what}: it expired, was revoked, or is for another registry.{npmjs}"
    ));
    if self.in_ci() == Some(true) {
      self.say(format!(
        "Create a new granular access token on the registry and update the {} secret that feeds it (npmjs.com: `npm token create`, from your terminal).",
        self.ci_name()
      ));
    } else {
      self.login("Log in again:");
    }
    self.whoami("Check who the registry thinks you are:");
  }

  fn token_expired(&mut self) {
    let registry = self.registry();
    if let Some(c) = self.ctx.credential_for(&registry) {
      let origin = c.setting.origin();
      self.note(format!("the token comes from {origin}"));
    }
    if self.s.block.is_none() {
      self.say("npm succeeded, but the registry says the token it sent has expired or was revoked: the next publish or private install will fail.");
    }
    if self.in_ci() == Some(true) {
      self.run(
        format!("Create a new granular access token from your terminal and update the {} secret (or switch publishing to trusted publishing):", self.ci_name()),
        "npm token create --name ci --packages-and-scopes-permission read-write",
      );
    } else {
      self.login("Log in again (a login session lasts two hours):");
    }
  }

  fn publish_forbidden(&mut self) {
    let reason = self.reason();
    let registry = self.registry();
    let name = self.package_name().unwrap_or_else(|| "<package>".into());
    if let Some((user, _)) = reason
      .strip_prefix("user ")
      .and_then(|r| r.split_once(" is not allowed to publish"))
    {
      self.say(format!(
        "The registry's access rules do not let {user} publish {name}. On Verdaccio that is the `publish:` list of the \
         matching pattern under `packages:` in config.yaml; ask its administrator, or log in as a user who may publish."
      ));
      self.whoami("Check which user npm is logged in as:");
      return;
    }
    match kind(&registry) {
      Kind::GitHub => {
        self.say(
          "GitHub Packages needs a token with write:packages (in Actions: `permissions: packages: write`), the package \
           scope must be the repository owner's name, and a workflow run from a fork cannot write.",
        );
        self.run(
          "The scope must match the owner; check the name in package.json:",
          "npm pkg get name",
        );
        return;
      }
      Kind::Npmjs => {}
      _ => {
        self.say(format!(
          "Ask the administrators of {} for permission to publish {name}.",
          self.host()
        ));
        self.whoami("Check which user npm is publishing as:");
        return;
      }
    }
    if context::scope_of(&name).is_none()
      && reason
        .to_ascii_lowercase()
        .contains("permission to publish")
    {
      self.run(
        format!("Someone else owns {name}. See who:"),
        format!("npm owner ls {}", quote(&name)),
      );
      self.run(
        "Publish under your own scope instead (replace <you> with your npm user name):",
        format!("npm pkg set name='@<you>/{name}' && npm publish --access public"),
      );
    } else {
      self.whoami("Check that npm is logged in as a maintainer:");
      self.run(
        "See who may publish it:",
        format!("npm owner ls {}", quote(&name)),
      );
    }
  }

  fn version_exists(&mut self) {
    let from_reason = self
      .reason()
      .rsplit(": ")
      .next()
      .map(|v| v.trim_end_matches('.').to_owned())
      .filter(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()));
    let version = from_reason.or_else(|| self.ctx.package.as_ref().and_then(|p| p.version.clone()));
    let bump = match version.as_deref() {
      Some(v) if v.contains('-') => "prerelease",
      _ => "patch",
    };
    let next = version.as_deref().and_then(|v| next_version(v, bump));
    let what = match (&version, &next) {
      (Some(v), Some(n)) => format!("{v} is already on the registry and a version can never be published twice, even after an unpublish. Bump it ({v} → {n}) and publish again:"),
      (Some(v), None) => format!("{v} is already on the registry and a version can never be published twice. Bump it and publish again:"),
      _ => "This version is already on the registry and a version can never be published twice. Bump it and publish again:".into(),
    };
    self.run(
      what,
      format!("npm version {bump} && {}", self.command_line()),
    );
  }

  fn name_too_similar(&mut self) {
    let reason = self.reason();
    let suggested = reason
      .split_once("renaming your package to '")
      .and_then(|(_, r)| r.split_once('\''))
      .map(|(n, _)| n.to_owned());
    match suggested {
      Some(name) => self.run(
        format!("npmjs.com refuses unscoped names this close to existing ones. Publish it under your scope, as the registry suggests ({name}):"),
        format!("npm pkg set name={} && npm publish --access public", quote(&name)),
      ),
      None => self.run(
        "npmjs.com refuses unscoped names this close to existing ones. Publish under your scope (replace <you>), or choose a clearly different name:",
        "npm pkg set name='@<you>/<name>' && npm publish --access public",
      ),
    }
  }

  fn token_cannot_publish(&mut self) {
    let text = self.text().to_ascii_lowercase();
    let interactive = self.in_ci() != Some(true);
    let package = self.package_name().unwrap_or_else(|| "<package>".into());
    if text.contains("bypass 2fa")
      || text.contains("two-factor")
      || text.contains("automation token")
    {
      self.say(
        "Publishing needs two-factor authentication or a granular access token with bypass-2FA; a package set to \
         'require 2FA and disallow tokens' takes no token at all.",
      );
      if interactive {
        self.run(
          "From your terminal, log in (npm asks for the 2FA code when publishing):",
          format!("{} && {}", self.login_command(), self.command_line()),
        );
      }
      if self.in_ci() != Some(false) {
        self.ci_publish_without_otp();
      }
      return;
    }
    self.say(format!(
      "The token is valid but may not publish {package}: it is read-only, or limited to other packages or scopes."
    ));
    self.run(
      "Create a token that can (from your terminal), and put it where .npmrc reads it:",
      format!(
        "npm token create --name publish --packages {} --packages-and-scopes-permission read-write",
        quote(&package)
      ),
    );
  }

  fn email_unverified(&mut self) {
    self.run(
      "npmjs.com refuses publishes from accounts with an unverified e-mail address (and often says only 'Forbidden'). Check it:",
      "npm profile get",
    );
    self.say("If it is not verified, use the link in npm's e-mail or resend it from https://www.npmjs.com/settings/~/profile, then publish again.");
  }

  fn scoped_access(&mut self) {
    let name = self.package_name().unwrap_or_else(|| "@scope/name".into());
    if let Some(package) = &self.ctx.package {
      let access = package.publish_access.clone();
      let file = package.dir.join("package.json").display().to_string();
      match access.as_deref() {
        Some("restricted") => {
          self.note(format!("{file}: publishConfig.access is \"restricted\""));
          self.run(
            format!("{file} asks for restricted (private) access in publishConfig. If the package is meant to be public, say so there:"),
            "npm pkg set publishConfig.access=public",
          );
          return;
        }
        Some(other) => self.note(format!("{file}: publishConfig.access is {other:?}")),
        None => self.note(format!("{file} sets no publishConfig.access, and npm's default for a new scoped package is restricted")),
      }
    }
    self.run(
      format!("A scoped package ({name}) is private unless published as public, and private packages need a paid plan. Publish it as public:"),
      self.command_with("--access=public"),
    );
    self.run(
      "Or make public the default for this package:",
      "npm pkg set publishConfig.access=public",
    );
  }

  fn publish_not_found(&mut self) {
    let name = self.package_name().unwrap_or_else(|| "<package>".into());
    self.say(format!(
      "npmjs.com answers 404 to a publish it will not accept, rather than say what exists: the token is missing, expired \
       or revoked, or cannot write {name} or its scope."
    ));
    if self.in_ci() == Some(true) && self.ctx.env_var("ACTIONS_ID_TOKEN_REQUEST_URL").is_some() {
      self.say("With trusted publishing, check that the package's trusted publisher names exactly this repository and workflow file.");
    }
    let url = self.url();
    if !self.explain_missing_var(&url) {
      self.whoami("Check the token npm sends:");
    }
  }

  fn package_private(&mut self) {
    if let Some(package) = self.ctx.package.as_ref().filter(|p| p.private) {
      self.note(format!(
        "{} has \"private\": true",
        package.dir.join("package.json").display()
      ));
    }
    self.run(
      "package.json says \"private\": true, which exists to stop publishing. If this package is meant to be published, remove it:",
      "npm pkg delete private",
    );
  }

  fn provenance_invalid(&mut self) {
    if let Some(package) = &self.ctx.package {
      let now = package.repository.as_deref().unwrap_or("not set");
      self.note(format!(
        "{}: repository.url is {now}",
        package.dir.join("package.json").display()
      ));
    }
    let text = self.text().to_owned();
    let expected = text
      .split_once("expected to match \"")
      .and_then(|(_, r)| r.split_once('"'))
      .map(|(u, _)| u.to_owned());
    match expected {
      Some(url) => self.run(
        format!("The registry checks package.json's repository.url against the repository that built it ({url}). Set it:"),
        format!("npm pkg set repository.type=git repository.url={}", quote(&format!("git+{url}.git").replace(".git.git", ".git"))),
      ),
      None => self.run(
        "With provenance, package.json's repository.url must name the repository the workflow runs in. Set it:",
        "npm pkg set repository.type=git repository.url=git+https://github.com/<owner>/<repo>.git",
      ),
    }
  }

  fn trusted_publishing_failed(&mut self) {
    for line in self.s.facts.oidc.clone() {
      self.note(format!("npm: {line}"));
    }
    if let Some(v) = &self.s.facts.npm_version {
      if version_below(v, (11, 5, 1)) {
        let v = v.clone();
        self.run(
          format!(
            "npm {v} cannot do trusted publishing (it needs npm >= 11.5.1). Update npm in the job:"
          ),
          "npm install -g npm@latest",
        );
      }
    }
    if let Some(v) = &self.s.facts.node_version {
      if version_below(v.trim_start_matches('v'), (22, 14, 0)) {
        self.say(format!("Node.js {v} is too old for trusted publishing (it needs >= 22.14): use `node-version: 24` in actions/setup-node."));
      }
    }
    if self.ctx.env.is_some()
      && self.ctx.env_var("ACTIONS_ID_TOKEN_REQUEST_URL").is_none()
      && self.ctx.ci == Some("GitHub Actions")
    {
      self.note("no ACTIONS_ID_TOKEN_REQUEST_URL: the job cannot request an OIDC token");
      self.say(
        "The job has no OIDC token: add `permissions: id-token: write` to it (or the workflow).",
      );
    }
    let registry = self.registry();
    for (var, origin, _) in self.missing_token_vars(&registry) {
      self.say(format!(
        "{origin} sets a token from ${{{var}}}, which is empty: when trusted publishing fails npm sends that empty token. \
         actions/setup-node writes this line when given `registry-url`; it is harmless once OIDC works."
      ));
    }
    self.say("On npmjs.com the package's trusted publisher must name this repository and workflow file exactly; a package's first publish must be done another way.");
    let verbose = self
      .ctx
      .command
      .flag("--loglevel")
      .is_some_and(|l| l == "verbose" || l == "silly")
      || self
        .ctx
        .command
        .args
        .iter()
        .any(|a| a == "--verbose" || a == "-dd" || a == "-ddd");
    let package_missing = self
      .s
      .facts
      .oidc
      .iter()
      .any(|l| l.to_ascii_lowercase().contains("package not found"));
    if package_missing {
      let name = self.package_name().unwrap_or_else(|| "this package".into());
      self.run(
        format!("The registry does not know {name} yet, and trusted publishing cannot create a package: publish its first version from your own terminal, then configure its trusted publisher:"),
        "npm publish",
      );
    } else if verbose {
      self.run(
        "npm's oidc lines above give its reason; once it is fixed, run the same command again:",
        self.command_line(),
      );
    } else {
      self.run(
        "See npm's reason in its oidc lines:",
        self.command_with("--loglevel=verbose"),
      );
    }
  }

  fn registry_forbidden(&mut self) {
    let url = self.url();
    if kind(&url) == Kind::GitHub {
      self.product_token_steps();
      return;
    }
    match self.ctx.credential_for(&url).map(|c| c.setting.origin()) {
      Some(origin) => self.note(format!("npm sent the credential set at {origin}")),
      None if self.ctx.config.is_some() => {
        self.note(format!("no credential for {} in any .npmrc", self.host()))
      }
      None => {}
    }
    let name = self.package_name().unwrap_or_else(|| "this package".into());
    self.say(format!("{} refused to let this user read {name}. Ask its administrators for read access, or log in as a user who has it.", self.host()));
    self.whoami("Check which user npm sends:");
    if self.ctx.codespaces {
      self.say("In GitHub Codespaces an organisation policy can block registry traffic; ask for the registry host to be allowed rather than switching registries.");
    }
  }

  fn proxy_forbidden(&mut self) {
    let url = self.url();
    let Some(proxy) = self.ctx.proxy_for(&url) else {
      return;
    };
    let shown = self.ctx.redactor().clean(&proxy.url);
    self.note(format!("{} = {shown} from {}", proxy.key, proxy.origin));
    self.say(format!(
      "Requests to {} go through the proxy {shown} ({}), and a proxy's 403 looks exactly like the registry's. Ask for {} to be allowed through it.",
      self.host(),
      proxy.origin,
      self.host()
    ));
    self.remove_proxy(&proxy);
  }

  fn remove_proxy(&mut self, proxy: &context::Proxy) {
    match proxy.location {
      Some(location) => self.run(
        format!(
          "If that proxy setting is stale, delete it where it is set ({}):",
          proxy.origin
        ),
        format!("npm config delete {} --location={location}", proxy.key),
      ),
      None if proxy.origin.starts_with("environment") => self.run(
        "If that proxy is stale, unset the variable (and find where your shell profile sets it):",
        format!("unset {}", proxy.key),
      ),
      None => self.say(format!(
        "If that proxy is stale, remove it from {}.",
        proxy.origin
      )),
    }
  }

  fn policy_blocked(&mut self) {
    let name = self.package_name().unwrap_or_else(|| "this package".into());
    self.say(format!(
      "{} blocked {name} by policy (a repository firewall or curation service). Ask its administrators why, or use a version the policy allows.",
      self.host()
    ));
    if name != "this package" {
      self.run(
        "List the versions the registry offers:",
        format!("npm view {} versions", quote(&name)),
      );
    }
  }

  fn package_not_found(&mut self) {
    let name = self.package_name();
    let registry = self.registry();
    if let Some(name) = &name {
      if let Some(scope) = context::scope_of(name) {
        let mapped = self
          .ctx
          .registry_for(Some(name))
          .1
          .is_some_and(|s| s.key.starts_with('@'));
        if !mapped && kind(&registry) == Kind::Npmjs {
          if self.ctx.config.is_some() {
            self.note(format!(
              "no @{scope}:registry setting: npm looked for {name} on {registry}"
            ));
          }
          self.say(format!(
            "If {name} is a private package, npm needs to know its registry and have a token for it: map the scope, then log in there."
          ));
          self.run(
            "Map the scope (replace the URL with your registry's):",
            format!("npm config set @{scope}:registry https://<your-registry>/"),
          );
          return;
        }
      }
      self.run(
        format!("Check the name: does {registry} have {name}?"),
        format!("npm view {}", quote(name)),
      );
    }
    if kind(&registry) != Kind::Npmjs {
      self.say(format!("{} only has what was published or proxied there; a private registry also answers 404 when you may not see the package.", context::host_of(&registry).unwrap_or_default()));
    }
  }

  fn version_not_found(&mut self) {
    let text = self.text().to_owned();
    let wanted = text
      .split_once("No matching version found for ")
      .and_then(|(_, r)| r.split_whitespace().next())
      .map(|w| w.trim_end_matches('.').to_owned());
    // `@scope/name@range` or `name@range`: the last `@` that is not the first character.
    let (name, range) = match wanted
      .as_deref()
      .and_then(|w| w[1..].rfind('@').map(|i| (w, i + 1)))
    {
      Some((w, at)) => (w[..at].to_owned(), w[at + 1..].to_owned()),
      None => (
        self.package_name().unwrap_or_else(|| "<package>".into()),
        "<range>".into(),
      ),
    };
    // A saved debug log has no config, but its argv may name the registry.
    let registry = match self.ctx.config {
      Some(_) => self.ctx.registry_for(Some(&name)).0,
      None => self
        .ctx
        .command
        .flag("--registry")
        .map(str::to_owned)
        .unwrap_or_else(|| self.ctx.registry_for(Some(&name)).0),
    };
    let on = if kind(&registry) == Kind::Npmjs {
      String::new()
    } else {
      format!(" --registry {}", quote(&registry))
    };
    self.run(
      format!("No version of {name} on the registry matches {range}. See which versions and tags it has, then fix the range (yours, or the dependency's that asks for it):"),
      format!("npm view {} versions dist-tags{on}", quote(&name)),
    );
    if kind(&registry) != Kind::Npmjs {
      self.say(format!(
        "{} is not npmjs.com: a mirror may not have synced that version yet, or a curation policy may hide it; compare with `npm view {} versions --registry https://registry.npmjs.org/`.",
        context::host_of(&registry).unwrap_or_default(),
        quote(&name)
      ));
    }
  }

  fn proxy_auth_required(&mut self) {
    let url = self.url();
    match self.ctx.proxy_for(&url) {
      Some(proxy) => {
        let shown = self.ctx.redactor().clean(&proxy.url);
        self.note(format!("{} = {shown} from {}", proxy.key, proxy.origin));
        let with_user = proxy.url.contains('@');
        let what = if with_user { "The proxy refused the user and password in" } else { "The proxy wants a user and password, and none is given in" };
        self.say(format!("{what} {} ({}).", proxy.key, proxy.origin));
        let key = proxy.key.clone();
        if proxy.origin.starts_with("environment") {
          self.run("Put them in the proxy URL (percent-encode special characters; keep it out of version control):", format!("export {key}=http://<user>:<password>@{}", context::host_of(&proxy.url).unwrap_or_default()));
        } else {
          self.run(
            "Put them in the proxy URL (percent-encode special characters; keep it out of version control):",
            format!("npm config set {key} http://<user>:<password>@{}", context::host_of(&proxy.url).unwrap_or_default()),
          );
        }
      }
      None => self.run(
        "The proxy wants a user and password. Put them in the proxy URL (keep it out of version control):",
        "npm config set https-proxy http://<user>:<password>@<proxy-host>:<port>",
      ),
    }
  }

  fn proxy_misconfigured(&mut self) {
    let url = self.url();
    let proxy = self.ctx.proxy_for(&url).or_else(|| {
      // A saved log: the proxy named in npm's own message.
      let text = self.text();
      text
        .split_once("connecting to proxy `")
        .and_then(|(_, r)| r.split_once('`'))
        .map(|(p, _)| context::Proxy {
          url: p.to_owned(),
          key: "proxy".into(),
          origin: "npm's configuration".into(),
          location: None,
        })
    });
    let Some(proxy) = proxy else {
      let text = self.text().to_owned();
      if let Some(address) = text
        .split_once("connect ECONNREFUSED ")
        .and_then(|(_, r)| r.split_whitespace().next())
      {
        let address = address.trim_end_matches(['.', ',']).to_owned();
        self.note(format!(
          "npm connected to {address}, not to {}: a proxy",
          self.host()
        ));
        self.say(format!(
          "npm connected to {address}, not to {} where the registry is: a proxy setting sends its requests there, and nothing listens. \
           It is set in npm's config (proxy, https-proxy) or in HTTPS_PROXY / HTTP_PROXY.",
          self.host()
        ));
      }
      self.run(
        "See which one it is:",
        "npm config get https-proxy proxy; env | grep -i _proxy",
      );
      return;
    };
    let shown = self.ctx.redactor().clean(&proxy.url);
    self.note(format!("{} = {shown} from {}", proxy.key, proxy.origin));
    if self.s.observed.code.as_deref() == Some("EINVALIDPROXY") || !shown.contains("://") {
      self.say(format!("{} is set to {shown}, which is not a usable proxy URL: it must start with http:// (or https://).", proxy.key));
    } else {
      self.say(format!(
        "npm sends every request through {shown} ({}), and nothing useful answers there.",
        proxy.origin
      ));
    }
    self.remove_proxy(&proxy);
  }

  fn registry_misconfigured(&mut self) {
    let registry = self.registry();
    let (_, setting) = self.ctx.registry_for(self.package_name().as_deref());
    if let Some(s) = setting {
      let origin = s.origin();
      self.note(format!("registry = {} from {origin}", s.value));
    }
    let text = self.text().to_ascii_lowercase();
    if text.contains("wrong version number") || text.contains("packet length") {
      self.say(format!(
        "{registry} mixes up http and https: an https:// URL on a plain-HTTP port (or the reverse)."
      ));
    } else {
      self.say(format!(
        "{registry} answered with something other than npm's JSON (a web page?): the URL is not an npm registry endpoint. \
         Artifactory's is …/artifactory/api/npm/<repo>/, Nexus's …/repository/<repo>/."
      ));
    }
    let configured = self.ctx.registry_for(self.package_name().as_deref()).0;
    if configured.starts_with("http://registry.npmjs.org")
      || registry.starts_with("http://registry.npmjs.org")
    {
      self.run(
        "npmjs.com is served over https only:",
        "npm config set registry https://registry.npmjs.org/",
      );
    }
    self.run(
      "Check the registry answers like one:",
      format!("npm ping --registry {}", quote(&registry)),
    );
  }

  fn dns_failure(&mut self) {
    let host = self.failing_host();
    let code = self.s.observed.code.clone().unwrap_or_default();
    if code == "EAI_AGAIN" || self.text().contains("EAI_AGAIN") {
      self.say(format!("The DNS resolver did not answer for {host} (EAI_AGAIN): the name may be fine, the resolver is not reachable."));
      if self.ctx.devcontainer || self.ctx.codespaces {
        self.say("In this container, check /etc/resolv.conf: it must name a resolver reachable from inside.");
      } else {
        self.say("Inside a Docker build or container the resolver is Docker's; try `docker build --network=host`, or fix the daemon's DNS.");
      }
    } else {
      self.say(format!("{host} does not resolve (ENOTFOUND): a typo in the registry URL, or a private host reachable only on a VPN."));
      let (_, setting) = self.ctx.registry_for(self.package_name().as_deref());
      if let Some(s) = setting {
        let origin = s.origin();
        self.note(format!("registry = {} from {origin}", s.value));
        self.say(format!("The registry is set at {origin}."));
      }
    }
    let bare = host.split(':').next().unwrap_or(&host).to_owned();
    self.run(
      "See what this machine's resolver says:",
      format!("getent hosts {}", quote(&bare)),
    );
  }

  /// The host the network error names (the proxy's, if npm went through one).
  fn failing_host(&self) -> String {
    let text = self.text();
    for marker in [
      "getaddrinfo EAI_AGAIN ",
      "getaddrinfo ENOTFOUND ",
      "getaddrinfo EAI_FAIL ",
    ] {
      if let Some((_, rest)) = text.split_once(marker) {
        if let Some(host) = rest.split_whitespace().next() {
          return host.to_owned();
        }
      }
    }
    self.host()
  }

  fn connection_refused(&mut self) {
    let text = self.text().to_owned();
    let address = text
      .split_once("ECONNREFUSED ")
      .and_then(|(_, r)| r.split_whitespace().next())
      .map(|a| a.trim_end_matches(['.', ',']).to_owned());
    let registry = self.registry();
    let (_, setting) = self.ctx.registry_for(self.package_name().as_deref());
    let target = address.unwrap_or_else(|| self.host());
    if let Some(s) = setting {
      let origin = s.origin();
      self.note(format!("registry = {} from {origin}", s.value));
    }
    let local = target.starts_with("127.")
      || target.starts_with("localhost")
      || target.starts_with("[::1]")
      || target.starts_with("::1");
    if local {
      self.say(format!(
        "Nothing listens at {target}: the registry is a local one ({registry}) that is not running. Start it (Verdaccio listens on 4873 by default)."
      ));
    } else {
      self.say(format!(
        "{target} refused the connection: nothing listens on that port, or a firewall rejects it."
      ));
    }
    if let Some(s) = setting {
      let origin = s.origin();
      let location = match s.layer.source {
        crate::config::Source::Project => Some("project"),
        crate::config::Source::User => Some("user"),
        crate::config::Source::Global => Some("global"),
        _ => None,
      };
      if let Some(location) = location {
        self.run(
          format!(
            "If you did not mean to use {registry} (set at {origin}), go back to the default:"
          ),
          format!("npm config delete {} --location={location}", s.key),
        );
        return;
      }
      match s.layer.source {
        crate::config::Source::Cli => {
          self.run(
            format!(
              "{registry} comes from --{} on your command line. Without it, npm would use:",
              s.key
            ),
            "npm config get registry",
          );
          return;
        }
        crate::config::Source::Env => {
          let var = s.entry.raw.clone();
          self.run(
            format!(
              "{registry} comes from the environment variable {var}. If that is stale, unset it:"
            ),
            format!("unset {var}"),
          );
          return;
        }
        _ => {}
      }
    }
    self.run("Check which registry npm uses:", "npm config get registry");
  }

  fn network_slow(&mut self, id: &str) {
    let host = self.host();
    let text = self.text().to_owned();
    if let Some(proxy) = self.ctx.proxy_for(&self.url()) {
      let shown = self.ctx.redactor().clean(&proxy.url);
      self.note(format!("{} = {shown} from {}", proxy.key, proxy.origin));
    }
    let ipv6 = text.contains("connect ETIMEDOUT [")
      || text
        .split_whitespace()
        .any(|w| w.matches(':').count() >= 3 && !w.contains("://"));
    if ipv6 || id == "network-unreachable" {
      self.run(
        "If this network has no working IPv6 (an IPv6 address is in the error), make Node.js try IPv4 first:",
        format!("NODE_OPTIONS=--dns-result-order=ipv4first {}", self.command_line()),
      );
    }
    if id == "network-timeout" {
      self.say(format!("{host} did not answer in time: a firewall dropping packets, a slow proxy, or the registry being slow."));
      if let Some(timeout) = self
        .ctx
        .config
        .as_ref()
        .and_then(|c| c.get("fetch-timeout"))
      {
        let origin = timeout.origin();
        self.note(format!("fetch-timeout = {} from {origin}", timeout.value));
      }
      self.run(
        "Retry with a longer timeout and a few retries:",
        self.command_with_all(&["--fetch-timeout=120000", "--fetch-retries=4"]),
      );
    } else {
      self.say(format!(
        "There is no route to {host}: offline, a VPN, or a firewall."
      ));
    }
    self.environment_steps();
  }

  fn connection_reset(&mut self) {
    self.say(format!(
      "{} (or something between, such as a proxy or a TLS-inspecting firewall) closed the connection mid-request. Usually transient.",
      self.host()
    ));
    if let Some(proxy) = self.ctx.proxy_for(&self.url()) {
      let shown = self.ctx.redactor().clean(&proxy.url);
      self.note(format!("{} = {shown} from {}", proxy.key, proxy.origin));
      self.say(format!(
        "Requests go through {shown} ({}); if this repeats, the proxy is the first suspect.",
        proxy.origin
      ));
    }
    self.run(
      "Run it again; npm retries what it can:",
      self.command_line(),
    );
  }

  fn tls(&mut self, id: &str) {
    let host = self.host();
    let bare = context::hostname(&self.url()).unwrap_or_else(|| host.clone());
    let port = host
      .rsplit_once(':')
      .map(|(_, p)| p.to_owned())
      .unwrap_or_else(|| "443".into());
    self.unsafe_settings();
    if id == "tls-expired" {
      self.run("The certificate has expired or is not valid yet, or this machine's clock is wrong. Check the clock first:", "date -u");
      self.run(
        format!("Then the dates of the certificate {host} presents (if it really expired, its operators must renew it):"),
        format!("openssl s_client -connect {bare}:{port} -servername {bare} </dev/null 2>/dev/null | openssl x509 -noout -dates"),
      );
      return;
    }
    if id == "tls-hostname" {
      let (_, setting) = self.ctx.registry_for(self.package_name().as_deref());
      if let Some(s) = setting {
        let origin = s.origin();
        self.note(format!("registry = {} from {origin}", s.value));
      }
      self.say(format!("The certificate {host} presented is for another name: check the registry's host name, or DNS sending {bare} somewhere else."));
      self.run(
        "See which names the certificate covers:",
        format!("openssl s_client -connect {bare}:{port} -servername {bare} </dev/null 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName"),
      );
      return;
    }
    // Untrusted: say what is already configured for CAs.
    let mut configured = false;
    if let Some(c) = self.ctx.config.as_ref().and_then(|c| c.get("cafile")) {
      configured = true;
      let origin = c.origin();
      let path = self
        .ctx
        .config
        .as_ref()
        .map(|cfg| cfg.resolve_path(c.value))
        .unwrap_or_default();
      if path.is_file() {
        self.note(format!("cafile = {} from {origin}", c.value));
        self.say(format!("cafile is set ({origin}) to {}, but that file does not contain the CA that signed {host}'s certificate.", path.display()));
      } else {
        self.note(format!(
          "cafile = {} from {origin}, which does not exist",
          c.value
        ));
        self.say(format!("cafile is set at {origin} to {}, which does not exist, so npm trusts only its defaults. Fix the path.", path.display()));
      }
    }
    if let Some(extra) = self
      .ctx
      .env_var("NODE_EXTRA_CA_CERTS")
      .filter(|v| !v.is_empty())
    {
      configured = true;
      let extra = extra.to_owned();
      if std::path::Path::new(&extra).is_file() {
        self.note(format!("NODE_EXTRA_CA_CERTS = {extra}"));
      } else {
        self.note(format!(
          "NODE_EXTRA_CA_CERTS = {extra}, which does not exist"
        ));
        self.say(format!("NODE_EXTRA_CA_CERTS names {extra}, which does not exist (Node.js ignores it with a warning)."));
      }
    }
    let proxy = self.ctx.proxy_for(&self.url());
    if let Some(p) = &proxy {
      let shown = self.ctx.redactor().clean(&p.url);
      self.note(format!("{} = {shown} from {}", p.key, p.origin));
    }
    let leaf = self.s.observed.code.as_deref() == Some("UNABLE_TO_VERIFY_LEAF_SIGNATURE")
      || self
        .text()
        .contains("unable to verify the first certificate");
    let why = if leaf {
      format!(
        "{host} sends its certificate without the intermediate CA certificate. Its operators should serve the full chain; meanwhile, trust that intermediate (PEM) for npm:"
      )
    } else if proxy.is_some() || kind(&self.url()) == Kind::Npmjs {
      format!(
        "{host}'s certificate was signed by a CA this machine does not trust: on a company network usually a TLS-inspecting proxy (Zscaler and the like). Get that CA certificate (PEM) from IT and trust it for npm:"
      )
    } else {
      format!(
        "{host}'s certificate was signed by a CA this machine does not trust (a private registry's own CA?). Trust that CA (PEM) for npm:"
      )
    };
    self.run(why, "npm config set cafile /path/to/ca.pem");
    self.run(
      "or for every Node.js program:",
      "export NODE_EXTRA_CA_CERTS=/path/to/ca.pem",
    );
    let system_ca = self
      .s
      .facts
      .node_version
      .as_deref()
      .is_some_and(|v| node_has_system_ca(v.trim_start_matches('v')));
    let system_ca_text = if system_ca {
      "Or use the system's CA store, where IT usually installs that CA:"
    } else {
      "Or, on Node.js >= 22.19 or >= 24.6, use the system's CA store:"
    };
    self.run(
      system_ca_text,
      format!("NODE_USE_SYSTEM_CA=1 {}", self.command_line()),
    );
    self.run(
      "See which CA signed the certificate:",
      format!("openssl s_client -connect {bare}:{port} -servername {bare} -showcerts </dev/null"),
    );
    if !configured {
      self.note("no cafile and no NODE_EXTRA_CA_CERTS set");
    }
    self.say("Do not set strict-ssl=false or NODE_TLS_REJECT_UNAUTHORIZED=0: they turn off the check that stops someone in the middle from serving you altered packages.");
  }

  /// strict-ssl=false or NODE_TLS_REJECT_UNAUTHORIZED=0 anywhere: named as unsafe.
  fn unsafe_settings(&mut self) {
    if let Some(config) = &self.ctx.config {
      let off: Vec<_> = config
        .all()
        .filter(|s| s.key == "strict-ssl" && s.value == "false")
        .map(|s| s.origin())
        .collect();
      for origin in off {
        self.note(format!("strict-ssl=false at {origin}"));
        self.say(format!("strict-ssl=false at {origin} is unsafe: it accepts any certificate. Remove it once the CA is trusted."));
      }
    }
    if self.ctx.env_var("NODE_TLS_REJECT_UNAUTHORIZED") == Some("0") {
      self.note("NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment");
      self.say("NODE_TLS_REJECT_UNAUTHORIZED=0 is set: it turns off certificate checks for every Node.js program. Unset it.");
    }
  }

  fn permission_denied(&mut self) {
    let text = self.text().to_owned();
    let path = self.s.block.and_then(|b| b.path.clone()).or_else(|| {
      let (_, rest) = text.split_once("permission denied, ")?;
      rest.split('\'').nth(1).map(str::to_owned)
    });
    let Some(path) = path else {
      self.run(
        "The operating system refused npm a file. npm's log names it; check who owns it:",
        "ls -ld \"$(npm config get prefix)\" ~/.npm",
      );
      return;
    };
    let command = &self.ctx.command;
    let global = command
      .args
      .iter()
      .any(|a| a == "-g" || a == "--global" || a == "--location=global")
      || path.contains("/lib/node_modules")
      || self
        .s
        .facts
        .argv
        .as_ref()
        .is_some_and(|argv| argv.iter().any(|a| a == "--global" || a == "-g"));
    let cache = path.contains("/_cacache")
      || path.contains("/.npm/")
      || path.ends_with("/.npm")
      || self
        .ctx
        .config
        .as_ref()
        .and_then(|c| c.cache_dir())
        .is_some_and(|c| path.starts_with(&*c.to_string_lossy()));
    if cache {
      let dir = self
        .ctx
        .config
        .as_ref()
        .and_then(|c| c.cache_dir())
        .map(|c| c.display().to_string())
        .unwrap_or_else(|| "~/.npm".into());
      self.run(
        format!("{path} is in npm's cache and belongs to another user (often root, after an earlier `sudo npm`). Take the cache back:"),
        format!("sudo chown -R \"$(id -u):$(id -g)\" {}", quote_path(&dir)),
      );
    } else if global {
      if let Some(prefix) = self.ctx.config.as_ref().and_then(|c| c.get("prefix")) {
        let origin = prefix.origin();
        self.note(format!("prefix = {} from {origin}", prefix.value));
      }
      self.run(
        format!(
          "npm installs global packages under its prefix, and your user may not write there ({path}). Do not use sudo npm (it runs \
           every install script as root); give npm a folder of your own for global packages:"
        ),
        "npm config set prefix ~/.npm-global",
      );
      self.run(
        "and put its bin folder on PATH (in your shell's rc file), then install again:",
        "export PATH=\"$HOME/.npm-global/bin:$PATH\"",
      );
      self.say("Or install Node.js with a version manager (nvm, fnm, mise, volta): its global packages live in your home.");
    } else {
      let dir = match path.find("/node_modules") {
        Some(i) => path[..i + "/node_modules".len()].to_owned(),
        None => path
          .rsplit_once('/')
          .map(|(d, _)| d.to_owned())
          .filter(|d| !d.is_empty())
          .unwrap_or(path.clone()),
      };
      self.run(
        format!("{dir} belongs to another user (an earlier `sudo npm install`, or a container volume). Take it back, then run npm again without sudo:"),
        format!("sudo chown -R \"$(id -u):$(id -g)\" {}", quote_path(&dir)),
      );
    }
  }

  fn usage_error(&mut self) {
    let text = self.text().to_ascii_lowercase();
    if text.contains("can only install with an existing package-lock.json")
      || text.contains("requires an existing package-lock")
    {
      self.run(
        "npm ci installs exactly what package-lock.json says, and there is none. Create it once, commit it, then npm ci works:",
        "npm install --package-lock-only && git add package-lock.json",
      );
    } else if text.contains("in sync") {
      self.run(
        "package.json and package-lock.json disagree (a dependency was changed without updating the lockfile). Update the lockfile and commit it:",
        "npm install && git add package-lock.json",
      );
    } else {
      let name = self
        .ctx
        .command
        .name
        .filter(|n| *n != "other")
        .unwrap_or("<command>");
      self.run("npm printed the command's usage above: an argument is missing or wrong. See the command's help:", format!("npm help {name}"));
    }
  }

  fn rate_limited(&mut self) {
    self.say(format!(
      "{} is limiting requests from this address or token. Wait a few minutes before retrying.",
      self.host()
    ));
    if self.in_ci() == Some(true) {
      self.say("In CI, cache ~/.npm between runs (actions/setup-node: `cache: npm`) so fewer requests are made.");
    }
    self.run(
      "Then retry, preferring what is cached:",
      self.command_with("--prefer-offline"),
    );
  }

  fn registry_unavailable(&mut self) {
    let registry = self.registry();
    self.say(format!("{} (or a proxy in front of it) failed with a server error. Nothing on your side is wrong; retry later.", self.host()));
    if kind(&registry) == Kind::Npmjs {
      self.say("npmjs.com posts incidents at https://status.npmjs.org/.");
    }
    self.run(
      "Check whether it answers again:",
      format!("npm ping --registry {}", quote(&registry)),
    );
  }

  /// Codespaces, dev containers and CI have their own network rules.
  fn environment_steps(&mut self) {
    if self.ctx.codespaces {
      self.say("In GitHub Codespaces an organisation policy can block registry traffic; ask for the registry host to be allowed rather than switching registries.");
    } else if self.ctx.devcontainer {
      self.say("This is a container: its network (proxy variables, DNS) is the container's, not the host's. Compare with the same command on the host.");
    } else if self.in_ci() == Some(true) {
      self.say(format!("On self-hosted {} runners the runner's network rules apply; hosted runners reach public registries.", self.ci_name()));
    }
  }
}

/// `https://r/@scope%2fname` or `https://r/name/-/name-1.0.0.tgz` → the package name.
pub(crate) fn package_from_url(url: &str) -> Option<String> {
  let rest = url.split_once("://")?.1;
  let path = rest.split_once('/')?.1.split(['?', '#']).next()?;
  let decoded = path
    .replace("%2f", "/")
    .replace("%2F", "/")
    .replace("%40", "@");
  let segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
  // Registry path prefixes: Artifactory's …/api/npm/<repo>/, Nexus's repository/<repo>/.
  let skip = match segments.windows(2).position(|w| w == ["api", "npm"]) {
    Some(i) => i + 3,
    None if segments.first() == Some(&"repository") => 2,
    None => 0,
  };
  let mut segments = segments.into_iter().skip(skip);
  let first = segments.next()?;
  if first.starts_with('@') {
    let second = segments.next()?;
    return Some(format!("{first}/{second}"));
  }
  (!first.starts_with('-') && first != "download").then(|| first.to_owned())
}

/// A path for the shell: `~/…` stays expandable, anything else is quoted.
fn quote_path(path: &str) -> String {
  match path.strip_prefix("~/") {
    Some(rest) => format!("~/{}", quote(rest)),
    None => quote(path),
  }
}

fn parse_version(v: &str) -> Option<(u64, u64, u64, Option<&str>)> {
  let (core, pre) = match v.split_once('-') {
    Some((c, p)) => (c, Some(p)),
    None => (v.split('+').next()?, None),
  };
  let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
  Some((parts.next()??, parts.next()??, parts.next()??, pre))
}

/// What `npm version patch|prerelease` would make of `v`.
fn next_version(v: &str, bump: &str) -> Option<String> {
  let (major, minor, patch, pre) = parse_version(v)?;
  match (bump, pre) {
    ("prerelease", Some(pre)) => {
      let (head, last) = pre.rsplit_once('.').unwrap_or(("", pre));
      match last.parse::<u64>() {
        Ok(n) if head.is_empty() => Some(format!("{major}.{minor}.{patch}-{}", n + 1)),
        Ok(n) => Some(format!("{major}.{minor}.{patch}-{head}.{}", n + 1)),
        Err(_) => Some(format!("{major}.{minor}.{patch}-{pre}.0")),
      }
    }
    _ => Some(format!("{major}.{minor}.{}", patch + 1)),
  }
}

fn version_below(v: &str, min: (u64, u64, u64)) -> bool {
  parse_version(v).is_some_and(|(a, b, c, _)| (a, b, c) < min)
}

/// `NODE_USE_SYSTEM_CA` exists from Node.js 22.19 and 24.6 (and 23.8).
fn node_has_system_ca(v: &str) -> bool {
  parse_version(v).is_some_and(|(a, b, _, _)| {
    (a == 22 && b >= 19) || (a == 23 && b >= 8) || (a == 24 && b >= 6) || a >= 25
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn package_names_from_urls() {
    assert_eq!(
      package_from_url("https://registry.npmjs.org/@o%2fx").as_deref(),
      Some("@o/x")
    );
    assert_eq!(
      package_from_url("https://registry.npmjs.org/lodash").as_deref(),
      Some("lodash")
    );
    assert_eq!(
      package_from_url("https://r/lodash/-/lodash-4.17.21.tgz").as_deref(),
      Some("lodash")
    );
    assert_eq!(
      package_from_url("https://a.jfrog.io/artifactory/api/npm/npm-remote/express").as_deref(),
      Some("express")
    );
    assert_eq!(
      package_from_url("https://registry.npmjs.org/-/whoami"),
      None
    );
    assert_eq!(
      package_from_url("https://npm.pkg.github.com/@acme%2fui").as_deref(),
      Some("@acme/ui")
    );
  }

  #[test]
  fn versions() {
    assert_eq!(next_version("1.4.2", "patch").as_deref(), Some("1.4.3"));
    assert_eq!(
      next_version("3.4.0-outreach4", "prerelease").as_deref(),
      Some("3.4.0-outreach4.0")
    );
    assert_eq!(
      next_version("2.0.0-beta.1", "prerelease").as_deref(),
      Some("2.0.0-beta.2")
    );
    assert!(version_below("11.4.2", (11, 5, 1)));
    assert!(!version_below("11.19.1", (11, 5, 1)));
    assert!(
      node_has_system_ca("22.19.0")
        && !node_has_system_ca("20.20.2")
        && node_has_system_ca("24.6.0")
    );
  }

  /// npm's 401 summary line (npm-registry-fetch's HttpErrorGeneral format, as
  /// in the real npm 11 fixtures) for a host of each product: the steps must
  /// fit the product.
  fn steps_for(url: &str, status: &str) -> String {
    let text =
      format!("npm error code E{status}\nnpm error {status} Unauthorized - GET {url} - nope\n");
    let (diagnoses, _) = crate::offline::diagnose_text(&text);
    let d = &diagnoses[0];
    d.steps
      .iter()
      .map(|s| format!("{} {}", s.text, s.command.clone().unwrap_or_default()))
      .collect::<Vec<_>>()
      .join("\n")
  }

  #[test]
  fn steps_fit_the_registry_product() {
    assert!(
      steps_for(
        "https://d-1.d.codeartifact.us-east-1.amazonaws.com/npm/r/lodash",
        "401"
      )
      .contains("aws codeartifact login --tool npm")
    );
    assert!(
      steps_for(
        "https://pkgs.dev.azure.com/org/_packaging/feed/npm/registry/lodash",
        "401"
      )
      .contains("vsts-npm-auth")
    );
    assert!(steps_for("https://npm.pkg.github.com/@acme%2fui", "401").contains("read:packages"));
    let npmjs = steps_for("https://registry.npmjs.org/lodash", "401");
    assert!(
      npmjs.contains("npm login") && !npmjs.contains("codeartifact"),
      "{npmjs}"
    );
  }

  #[test]
  fn eotp_in_a_terminal_says_npm_asks_and_gives_the_command_with_otp() {
    // The real npm 11 EOTP block (tests/fixtures/npm11/otp-publish-non-tty).
    let text = std::fs::read_to_string(concat!(
      env!("CARGO_MANIFEST_DIR"),
      "/tests/fixtures/npm11/otp-publish-non-tty/stderr"
    ))
    .unwrap();
    let (_, facts) = crate::offline::diagnose_text(&text);
    let args: Vec<std::ffi::OsString> = ["publish", "--tag", "beta"]
      .iter()
      .map(Into::into)
      .collect();
    let ctx = Context {
      command: crate::command::Command::new("npm", &args),
      env: Some(crate::Env::from_pairs([])),
      interactive: Some(true),
      ..Context::default()
    };
    let d = crate::diagnose::diagnose(&facts, &ctx, false);
    assert_eq!(d[0].cause.id, "otp-required");
    assert!(
      d[0].steps[0]
        .text
        .contains("npm asks for the code from your authenticator by itself"),
      "{:?}",
      d[0].steps
    );
    assert_eq!(
      d[0].steps[0].command.as_deref(),
      Some("npm publish --tag beta --otp=<code>")
    );
    assert_eq!(
      d[0].steps.len(),
      1,
      "no CI advice on a terminal: {:?}",
      d[0].steps
    );
  }

  /// A context with this project `.npmrc`, for advice that reads the config.
  fn with_npmrc(npmrc: &str, args: &[&str]) -> (tempfile::TempDir, Context) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), "{}").unwrap();
    std::fs::write(dir.path().join(".npmrc"), npmrc).unwrap();
    let env = crate::Env::from_pairs([("HOME", "/nonexistent")]);
    let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    let config = crate::config::Config::load(&args, &env, dir.path(), None);
    let ctx = Context {
      command: crate::command::Command::new("npm", &args),
      config: Some(config),
      env: Some(env),
      ..Context::default()
    };
    (dir, ctx)
  }

  fn diagnose_with(text: &str, ctx: &Context) -> Vec<crate::diagnose::Diagnosis> {
    let (_, facts) = crate::offline::diagnose_text(text);
    crate::diagnose::diagnose(&facts, ctx, false)
  }

  #[test]
  fn a_scoped_404_from_npmjs_without_a_scope_registry_maps_the_scope() {
    // npm 11's E404 block (format as in tests/fixtures/npm11/verdaccio-install-not-found).
    let text = "npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/@acme%2fui - Not found\n";
    let (_dir, ctx) = with_npmrc("", &["install", "@acme/ui"]);
    let d = diagnose_with(text, &ctx);
    assert_eq!(d[0].cause.id, "package-not-found");
    assert_eq!(
      d[0].steps.last().unwrap().command.as_deref(),
      Some("npm config set @acme:registry https://<your-registry>/")
    );
    // With the scope mapped, the advice is about the name instead.
    let (_dir, ctx) = with_npmrc(
      "@acme:registry=https://registry.npmjs.org/\n",
      &["install", "@acme/ui"],
    );
    let d = diagnose_with(text, &ctx);
    assert_eq!(d[0].steps[0].command.as_deref(), Some("npm view @acme/ui"));
  }

  #[test]
  fn an_http_npmjs_registry_is_corrected_to_https() {
    // What npm 11 prints when the registry URL answers with something not JSON
    // (tests/fixtures/npm11/registry-html).
    let text = std::fs::read_to_string(concat!(
      env!("CARGO_MANIFEST_DIR"),
      "/tests/fixtures/npm11/registry-html/stderr"
    ))
    .unwrap();
    let (_dir, ctx) = with_npmrc("registry=http://registry.npmjs.org/\n", &["install"]);
    let d = diagnose_with(&text, &ctx);
    assert_eq!(d[0].cause.id, "registry-misconfigured");
    let commands: Vec<_> = d[0]
      .steps
      .iter()
      .filter_map(|s| s.command.as_deref())
      .collect();
    assert!(
      commands.contains(&"npm config set registry https://registry.npmjs.org/"),
      "{commands:?}"
    );
  }

  #[test]
  fn registry_kinds() {
    assert_eq!(kind("https://registry.npmjs.org/x"), Kind::Npmjs);
    assert_eq!(kind("https://npm.pkg.github.com/@a%2fb"), Kind::GitHub);
    assert_eq!(
      kind("https://acme.jfrog.io/artifactory/api/npm/npm/"),
      Kind::Artifactory
    );
    assert_eq!(
      kind("https://d-1.d.codeartifact.us-east-1.amazonaws.com/npm/r/"),
      Kind::CodeArtifact
    );
    assert_eq!(kind("http://localhost:4873/"), Kind::Verdaccio);
    assert_eq!(kind("https://us-npm.pkg.dev/p/r/"), Kind::Google);
  }
}
