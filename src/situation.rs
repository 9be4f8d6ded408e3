//! One failure in its situation: the facts npm gave, the block at hand and
//! the request it is about, and the context (command, config, environment).
//! Rules and advice ask it questions — which registry, which package, which
//! host, in CI or not — and get the same answer everywhere.

use crate::{
  ci::Ci,
  context::Context,
  facts::{Block, Facts, Hint, Request},
  product::Product,
  url,
};

pub(crate) struct Situation<'a> {
  pub(crate) facts: &'a Facts,
  /// The error block; `None` for a warning about a run that succeeded.
  pub(crate) block: Option<&'a Block>,
  pub(crate) request: &'a Request,
  pub(crate) ctx: &'a Context,
}

/// A request of nothing, for a situation without a block.
pub(crate) static NO_REQUEST: Request = Request {
  code: None,
  status: None,
  method: None,
  url: None,
  host: None,
  reason: None,
};

impl<'a> Situation<'a> {
  pub(crate) fn new(facts: &'a Facts, block: Option<&'a Block>, ctx: &'a Context) -> Situation<'a> {
    Situation {
      facts,
      block,
      request: block.map_or(&NO_REQUEST, |b| &b.request),
      ctx,
    }
  }

  pub(crate) fn has(&self, hint: Hint) -> bool {
    self.block.is_some_and(|b| b.has(hint))
  }

  /// In CI: `Some(true)`; on a person's machine: `Some(false)`; a saved log
  /// that does not say: `None`.
  pub(crate) fn in_ci(&self) -> Option<bool> {
    if self.ci().is_some() {
      Some(true)
    } else if self.ctx.env.is_some() {
      Some(false)
    } else {
      None
    }
  }

  /// The CI system: the environment's on a live run, the log's marks on a saved one.
  pub(crate) fn ci(&self) -> Option<Ci> {
    self.ctx.ci.or(self.facts.shape.ci)
  }

  pub(crate) fn ci_name(&self) -> &'static str {
    self.ci().map_or("CI", Ci::name)
  }

  /// The person's command; for a saved log that does not say, the likeliest
  /// one: a write was a publish, anything else an install.
  pub(crate) fn command_line(&self) -> String {
    let c = &self.ctx.command;
    if c.args.is_empty() {
      format!("{} {}", c.program, self.command_name())
    } else {
      c.line()
    }
  }

  /// The person's command with `flag` set (replacing theirs).
  pub(crate) fn command_with(&self, flag: &str) -> String {
    self.command_with_all(&[flag])
  }

  pub(crate) fn command_with_all(&self, flags: &[&str]) -> String {
    let c = &self.ctx.command;
    if c.args.is_empty() {
      return format!("{} {} {}", c.program, self.command_name(), flags.join(" "));
    }
    c.with_all(flags)
  }

  /// npm's name for the command: the one typed, else guessed from the failure.
  pub(crate) fn command_name(&self) -> &'static str {
    if let Some(name) = self.ctx.command.name {
      return name;
    }
    let code = self.request.code.as_deref();
    if matches!(self.request.method.as_deref(), Some("PUT" | "DELETE"))
      || code == Some("EOTP")
      || code == Some("EPRIVATE")
      || self.has(Hint::AboutPublish)
    {
      "publish"
    } else {
      "install"
    }
  }

  /// The command writes to the registry (or the failure says it did).
  pub(crate) fn publishing(&self) -> bool {
    self.ctx.command.publishes() || self.request.method.as_deref() == Some("PUT")
  }

  /// The URL the failure is about, else the registry in use.
  pub(crate) fn url(&self) -> String {
    self.request.url.clone().unwrap_or_else(|| self.registry())
  }

  /// The failing host, with its port.
  pub(crate) fn host(&self) -> String {
    url::host_of(&self.url()).unwrap_or_else(|| "the registry".into())
  }

  pub(crate) fn product(&self) -> Product {
    Product::of(&self.registry())
  }

  /// The registry npm talked to: from the error, the failing URL, or the config.
  pub(crate) fn registry(&self) -> String {
    if let Some(registry) = self.block.and_then(|b| b.details.login_registry.clone()) {
      return registry;
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
    if let Some(failing) = &self.request.url {
      // The failing URL's origin, when it is not the configured registry.
      if url::host_of(failing) != url::host_of(&registry) {
        if let Some(origin) = url::origin(failing) {
          return origin;
        }
      }
    }
    registry
  }

  /// The package the failure is about: from the URL, npm's pkgid, or package.json.
  pub(crate) fn package_name(&self) -> Option<String> {
    if let Some(name) = self.request.url.as_deref().and_then(url::package_from_url) {
      return Some(name);
    }
    if let Some(id) = &self.facts.pkgid {
      return Some(url::name_of_id(id));
    }
    self.ctx.package.as_ref().and_then(|p| p.name.clone())
  }

  /// Whether anything says which host the failure is about: the failing
  /// URL, npm's "logged in to <registry>", or this machine's configuration.
  /// A saved log with a bare "401 Unauthorized" does not.
  pub(crate) fn host_known(&self) -> bool {
    self.request.url.is_some()
      || self
        .block
        .is_some_and(|b| b.details.login_registry.is_some())
      || self.ctx.config.is_some()
  }

  /// The failing URL is a tarball (`…/-/name-1.0.0.tgz`): for an install,
  /// most often a `resolved` URL from package-lock.json.
  pub(crate) fn tarball(&self) -> bool {
    self
      .request
      .url
      .as_deref()
      .is_some_and(|u| u.contains("/-/") && u.ends_with(".tgz"))
  }

  /// The failure came from the command that would be suggested as a check
  /// (`npm whoami` failing): suggesting it again tells nothing.
  pub(crate) fn ran(&self, command: &str) -> bool {
    self.ctx.command.name == Some(command)
  }

  pub(crate) fn reason(&self) -> &str {
    self.request.reason.as_deref().unwrap_or("")
  }
}
