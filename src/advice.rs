//! Building the steps of a diagnosis. Each cause's own advice lives with the
//! cause (`causes/<family>.rs`); this module is the toolbox they share: the
//! step list, the evidence a step rests on, and the few steps many causes
//! give (log in to this registry, pass this CI secret, delete this proxy
//! setting where it is set).
//!
//! Each step is something to do, with a command to paste where one exists.
//! Facts a step relies on are added to the evidence, so a person can see why
//! it was chosen. No step ever turns TLS verification off.

use crate::{
  ci::Ci,
  command::quote,
  context::{Context, Proxy},
  npmrc::VarState,
  product::Product,
  situation::Situation,
  url,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
  pub(crate) text: String,
  pub(crate) command: Option<String>,
}

impl Step {
  pub(crate) fn say(text: impl Into<String>) -> Step {
    Step {
      text: text.into(),
      command: None,
    }
  }

  pub(crate) fn run(text: impl Into<String>, command: impl Into<String>) -> Step {
    Step {
      text: text.into(),
      command: Some(command.into()),
    }
  }
}

pub(crate) struct Advice<'a> {
  pub(crate) s: &'a Situation<'a>,
  pub(crate) ctx: &'a Context,
  pub(crate) steps: Vec<Step>,
  /// Facts the steps rest on, added after what npm said.
  pub(crate) evidence: Vec<String>,
}

impl<'a> Advice<'a> {
  pub(crate) fn new(s: &'a Situation<'a>) -> Advice<'a> {
    Advice {
      s,
      ctx: s.ctx,
      steps: Vec::new(),
      evidence: Vec::new(),
    }
  }

  pub(crate) fn say(&mut self, text: impl Into<String>) {
    self.steps.push(Step::say(text));
  }

  pub(crate) fn run(&mut self, text: impl Into<String>, command: impl Into<String>) {
    self.steps.push(Step::run(text, command));
  }

  pub(crate) fn note(&mut self, fact: impl Into<String>) {
    self.evidence.push(fact.into());
  }

  /// A proxy setting for the evidence, its credentials masked.
  pub(crate) fn note_proxy(&mut self, proxy: &Proxy) -> String {
    let shown = self.ctx.redactor.clean(&proxy.url).to_string();
    self.note(format!("{} = {shown} from {}", proxy.key, proxy.origin));
    shown
  }

  /// Credential lines for this host whose `${VAR}` is unset or empty here.
  pub(crate) fn missing_token_vars(&self, url: &str) -> Vec<(String, String, VarState)> {
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
  pub(crate) fn explain_missing_var(&mut self, url: &str) -> bool {
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
    match self.s.ci() {
      Some(ci) => {
        let pass = ci.pass_secret(&var);
        self.say(format!(
          "{origin} takes the token from ${{{var}}}, which {how} in this {} job. Pass the secret to the step that \
           runs npm: {pass}.",
          ci.name()
        ));
      }
      None => self.run(
        format!("{origin} takes the token from ${{{var}}}, which {how} in this shell. Set it and run again:"),
        format!("export {var}=<your token> && {}", self.s.command_line()),
      ),
    }
    true
  }

  /// `npm whoami` as a check — unless whoami is what just failed.
  pub(crate) fn whoami(&mut self, text: &str) {
    if self.s.ran("whoami") {
      return;
    }
    let registry = self.s.registry();
    let cmd = if Product::of(&registry) == Product::Npmjs {
      "npm whoami".to_owned()
    } else {
      format!("npm whoami --registry {}", quote(&registry))
    };
    self.run(text, cmd);
  }

  pub(crate) fn login(&mut self, text: &str) {
    let cmd = self.login_command();
    self.run(text, cmd);
  }

  /// `npm login` for the registry at hand (and its scope, when npm would
  /// otherwise not know which registry the scope lives on).
  pub(crate) fn login_command(&self) -> String {
    let registry = self.s.registry();
    let scope = self
      .s
      .package_name()
      .as_deref()
      .and_then(url::scope_of)
      .map(str::to_owned);
    let mut cmd = "npm login".to_owned();
    if Product::of(&registry) != Product::Npmjs {
      cmd.push_str(&format!(" --registry {}", quote(&registry)));
      if let Some(scope) =
        scope.filter(|s| self.ctx.registry_for(Some(&format!("@{s}/x"))).1.is_none())
      {
        cmd.push_str(&format!(" --scope=@{scope}"));
      }
    }
    cmd
  }

  /// Registry-product-specific ways to get a working credential; true if
  /// the product has its own.
  pub(crate) fn product_token_steps(&mut self) -> bool {
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
    match self.s.product() {
      Product::GitHub => {
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
      Product::CodeArtifact => {
        self.run(
          "CodeArtifact tokens last 12 hours by default; get a fresh one:",
          "aws codeartifact login --tool npm --domain <domain> --repository <repository>",
        );
        true
      }
      Product::Azure => {
        self.say(
          "Azure Artifacts wants a personal access token with Packaging (read, or read & write), \
           base64-encoded in `_password` beside `username` for the feed's URL; on Windows `npx \
           vsts-npm-auth -config .npmrc` refreshes it.",
        );
        true
      }
      _ => false,
    }
  }

  /// A CI job with no token for the registry: how this CI system passes one.
  pub(crate) fn ci_token(&mut self) {
    let host = url::host_of(&self.s.registry()).unwrap_or_else(|| "<registry host>".into());
    match self.s.ci() {
      Some(Ci::GitHub) => self.say(format!(
        "Give the job a token for {host}: with actions/setup-node, set `registry-url` (it writes an .npmrc that \
         reads ${{NODE_AUTH_TOKEN}}) and give the npm step `env: NODE_AUTH_TOKEN: ${{{{ secrets.NPM_TOKEN }}}}`. An \
         organisation secret must be granted to this repository, and a pull request from a fork gets no secrets."
      )),
      ci => {
        let pass = ci.unwrap_or(Ci::Other).pass_secret("NPM_TOKEN");
        self.say(format!(
          "Give the {} job a token for {host}: add the line `//{host}/:_authToken=${{NPM_TOKEN}}` to the project \
           .npmrc (the line, never the token itself), then {pass}.",
          self.s.ci_name()
        ));
      }
    }
  }

  /// The two ways to publish from CI when the account or package requires 2FA.
  pub(crate) fn ci_publish_without_otp(&mut self) {
    let package = self.s.package_name().unwrap_or_else(|| "<package>".into());
    let lead = if self.s.in_ci() == Some(true) {
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
      format!(
        "npm token create --name ci-publish --packages {} --packages-and-scopes-permission read-write --bypass-2fa",
        quote(&package)
      ),
    );
  }

  /// The `${VAR}` the config reads the registry's token from, if any.
  pub(crate) fn token_var_for_registry(&self) -> Option<String> {
    let registry = self.s.registry();
    self
      .ctx
      .token_lines_for(&registry)
      .iter()
      .find_map(|s| s.entry.vars.first().map(|v| v.name.clone()))
  }

  /// The failing host is in package-lock.json and in no registry setting:
  /// the lockfile was made against someone else's registry.
  ///
  /// A saved log has no lockfile to read, but a failing tarball URL on a
  /// host other than npmjs.com's says the same thing less surely: one step
  /// is added, and false returned so the cause's own advice follows.
  pub(crate) fn lockfile_only(&mut self) -> bool {
    let Some(host) = self.s.request.url.as_deref().and_then(url::host_of) else {
      return false;
    };
    let Some(config) = &self.ctx.config else {
      if self.s.tarball() && !self.s.publishing() && self.s.product() != Product::Npmjs {
        self.run(
          format!(
            "The failing URL is a tarball on {host}, and npm takes tarball URLs from package-lock.json: the lockfile \
             may pin {host}, the registry of whoever made it. If that is not your registry (`grep -c '{host}' \
             package-lock.json`), re-resolve against yours and commit the lockfile:"
          ),
          self.s.command_with("--replace-registry-host=always"),
        );
      }
      return false;
    };
    let mut configured: Vec<String> = config
      .all()
      .filter(|s| s.key == "registry" || s.key.ends_with(":registry"))
      .filter_map(|s| url::host_of(s.value))
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
        "{host} comes from package-lock.json's `resolved` URLs, not from your registry settings: probably the registry \
         of whoever made the lockfile. The hosts it pins:"
      ),
      LOCKFILE_HOSTS,
    );
    self.run(
      "If they are not your registry, have npm fetch from the one you configure instead (and commit the rewritten lockfile):",
      self.s.command_with("--replace-registry-host=always"),
    );
    true
  }

  /// A saved log whose refusal names no host: find the host before logging
  /// in anywhere. A bare `npm login` would log in to npmjs.com, which is the
  /// wrong registry whenever a scope or the lockfile points elsewhere.
  pub(crate) fn which_host(&mut self, status: &str) {
    self.run(
      format!(
        "npm's message names no host: the {status} came from whichever registry served the request — npmjs.com, a \
         registry a scope is mapped to (`@scope:registry`), or one package-lock.json's `resolved` URLs point at. \
         See which (npm logs every request at --loglevel=http):"
      ),
      format!(
        "{} --loglevel=http 2>&1 | grep -E 'fetch [A-Z]+ {status} '",
        self.s.command_line()
      ),
    );
    self.run(
      "See the registries, scope mappings and token lines npm reads (tokens show as protected):",
      "npm config list",
    );
    if !self.s.publishing() {
      self.run(
        "And the hosts package-lock.json fetches from:",
        LOCKFILE_HOSTS,
      );
    }
    self.say(
      "Then log in to that host (`npm login --registry=https://<host>/`); a scope's registry needs its own \
       `//<host>/:_authToken=` line. If the host is package-lock.json's and not your registry, re-resolve against \
       yours: `npm install --replace-registry-host=always`.",
    );
  }

  /// A scoped package asked of a registry other than npmjs.com because an
  /// `.npmrc` maps the scope there: show the mapping and how to drop it.
  /// True if said.
  pub(crate) fn scope_mapping(&mut self) -> bool {
    let Some(scope) = self
      .s
      .package_name()
      .as_deref()
      .and_then(url::scope_of)
      .map(str::to_owned)
    else {
      return false;
    };
    let Some(failing) = self.s.request.url.clone() else {
      return false;
    };
    // A tarball URL is more often the lockfile's than the config's.
    if self.s.tarball() || Product::of(&failing) == Product::Npmjs {
      return false;
    }
    let host = url::host_of(&failing).unwrap_or_default();
    let key = format!("@{scope}:registry");
    let setting = self.ctx.config.as_ref().and_then(|c| {
      let s = c.get(&key)?;
      Some((
        s.value.to_owned(),
        s.origin(),
        crate::context::location_of(s),
      ))
    });
    match setting {
      Some((value, origin, location)) => {
        self.note(format!("{key} = {value} from {origin}"));
        let delete = match location {
          Some(location) => format!("npm config delete {key} --location={location}"),
          None => format!("npm config delete {key}"),
        };
        self.run(
          format!(
            "{origin} sends @{scope} packages to {host}. If they are public on npmjs.com (or that mapping is left \
             over from another project), delete it:"
          ),
          delete,
        );
      }
      // This machine's configuration does not map it: not a mapping.
      None if self.ctx.config.is_some() => return false,
      None => self.run(
        format!(
          "@{scope} packages were asked of {host}, so an .npmrc maps `{key}` there (often ~/.npmrc, left over from \
           another project). See where; if @{scope}'s packages are public on npmjs.com, delete the mapping:"
        ),
        format!("npm config get {key} && npm config delete {key}"),
      ),
    }
    true
  }

  /// How to get rid of a proxy setting, where it is set.
  pub(crate) fn remove_proxy(&mut self, proxy: &Proxy) {
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

  /// Codespaces, dev containers and CI have their own network rules.
  pub(crate) fn environment_steps(&mut self) {
    if self.ctx.codespaces {
      self.say("In GitHub Codespaces an organisation policy can block registry traffic; ask for the registry host to be allowed rather than switching registries.");
    } else if self.ctx.devcontainer {
      self.say("This is a container: its network (proxy variables, DNS) is the container's, not the host's. Compare with the same command on the host.");
    } else if self.s.in_ci() == Some(true) {
      self.say(format!(
        "On self-hosted {} runners the runner's network rules apply; hosted runners reach public registries.",
        self.s.ci_name()
      ));
    }
  }
}

/// The hosts package-lock.json fetches from.
pub(crate) const LOCKFILE_HOSTS: &str =
  r#"grep -o '"resolved": "[^"]*' package-lock.json | cut -d/ -f3 | sort -u"#;

/// A path for the shell: `~/…` stays expandable, anything else is quoted.
pub(crate) fn quote_path(path: &str) -> String {
  match path.strip_prefix("~/") {
    Some(rest) => format!("~/{}", quote(rest)),
    None => quote(path),
  }
}

pub(crate) fn parse_version(v: &str) -> Option<(u64, u64, u64, Option<&str>)> {
  let v = v.trim().trim_start_matches('v');
  let (core, pre) = match v.split_once('-') {
    Some((c, p)) => (c, Some(p)),
    None => (v.split('+').next()?, None),
  };
  let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
  Some((parts.next()??, parts.next()??, parts.next()??, pre))
}

/// What `npm version patch|prerelease` would make of `v`.
pub(crate) fn next_version(v: &str, bump: &str) -> Option<String> {
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

pub(crate) fn version_below(v: &str, min: (u64, u64, u64)) -> bool {
  parse_version(v).is_some_and(|(a, b, c, _)| (a, b, c) < min)
}

#[cfg(test)]
mod tests {
  use super::*;

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
    assert!(version_below("v20.20.2", (22, 14, 0)));
    assert!(!version_below("11.19.1", (11, 5, 1)));
  }
}
