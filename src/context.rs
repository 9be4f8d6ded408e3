//! The situation a failure happened in: the command, npm's configuration and
//! where each setting came from, the environment (CI, containers, proxies,
//! token variables), and the package. All of it local and cheap: files npm
//! itself reads, and environment variables. Gathered only when npm failed.
//!
//! A saved log diagnosed offline comes from somewhere else: its context is
//! empty, and advice then covers both a terminal and CI where they differ.

use std::{
  fs,
  path::{Path, PathBuf},
};

use crate::{
  Env,
  ci::Ci,
  command::Command,
  config::{Config, Setting},
  redact::Redactor,
  url::{host_of, hostname, nerf_darts, scope_of},
};

pub(crate) const NPMJS: &str = "https://registry.npmjs.org/";

#[derive(Clone, Debug, Default)]
pub(crate) struct Context {
  pub(crate) command: Command,
  /// npm's configuration; `None` for a saved log from elsewhere.
  pub(crate) config: Option<Config>,
  pub(crate) env: Option<Env>,
  /// The CI system, if this is one.
  pub(crate) ci: Option<Ci>,
  pub(crate) codespaces: bool,
  pub(crate) devcontainer: bool,
  /// stdin and stdout are terminals (npm then prompts for an OTP itself); `None`: unknown.
  pub(crate) interactive: Option<bool>,
  pub(crate) package: Option<Package>,
  /// Every secret this run could know of, for everything npmx prints.
  pub(crate) redactor: Redactor,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Package {
  pub(crate) dir: PathBuf,
  pub(crate) name: Option<String>,
  pub(crate) version: Option<String>,
  pub(crate) private: bool,
  pub(crate) publish_access: Option<String>,
  pub(crate) publish_registry: Option<String>,
  pub(crate) repository: Option<String>,
  /// The names in `scripts`.
  pub(crate) scripts: Vec<String>,
}

/// A credential npm would send to a URL.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Credential<'a> {
  /// `_authToken`, `_auth`, `_password`, `certfile`…
  pub(crate) kind: &'a str,
  pub(crate) setting: Setting<'a>,
}

/// A proxy npm would use for a URL, and where it was set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Proxy {
  pub(crate) url: String,
  /// `https-proxy`, `proxy`, or an environment variable name.
  pub(crate) key: String,
  /// "user .npmrc /home/me/.npmrc:4", "environment variable HTTPS_PROXY".
  pub(crate) origin: String,
  /// The layer's config file, for `npm config delete --location=…`.
  pub(crate) location: Option<&'static str>,
}

impl Context {
  /// The context of a live run: what npm itself reads. `config` is the
  /// configuration npmx read while npm started (to find npm's log);
  /// `loaded`, the config files npm's debug log says it loaded, if known.
  pub(crate) fn live(
    program: &str,
    args: &[std::ffi::OsString],
    env: &Env,
    mut config: Config,
    loaded: &[String],
  ) -> Context {
    config.align_with_loaded(loaded, env);
    let package = read_package(&config.local_prefix);
    let interactive = {
      use std::io::IsTerminal;
      Some(std::io::stdin().is_terminal() && std::io::stdout().is_terminal())
    };
    Context {
      command: Command::new(program, args),
      interactive,
      package,
      ..Context::local(config, env)
    }
  }

  /// A saved log: only the command it names, if any. Nothing of this
  /// machine describes it — but this machine's secrets (`redactor`) are still
  /// masked if the pasted text holds them.
  pub(crate) fn offline(argv: Option<&[String]>, redactor: Redactor) -> Context {
    let args: Vec<std::ffi::OsString> = argv.unwrap_or_default().iter().map(Into::into).collect();
    Context {
      command: Command::new("npm", &args),
      redactor,
      ..Context::default()
    }
  }

  /// A context for `--npmx-doctor` and for the secrets of `--npmx-diagnose`:
  /// this machine's configuration and environment, no command.
  pub(crate) fn local(config: Config, env: &Env) -> Context {
    let mut ctx = Context {
      ci: Ci::detect(env),
      codespaces: env.is_set("CODESPACES"),
      devcontainer: env.is_set("REMOTE_CONTAINERS")
        || env.is_set("DEVCONTAINER")
        || Path::new("/.dockerenv").exists(),
      config: Some(config),
      env: Some(env.clone()),
      ..Context::default()
    };
    ctx.redactor = ctx.secrets();
    ctx
  }

  pub(crate) fn env_var(&self, name: &str) -> Option<&str> {
    self.env.as_ref()?.get(name)
  }

  /// The registry npm uses for `package` (its scope's, or the default), and
  /// the setting behind it (`None` when it is npm's default).
  pub(crate) fn registry_for(&self, package: Option<&str>) -> (String, Option<Setting<'_>>) {
    let config = self.config.as_ref();
    let scoped = package
      .and_then(scope_of)
      .and_then(|s| config?.get(&format!("@{s}:registry")));
    match scoped.or_else(|| config?.get("registry")) {
      Some(s) => (s.value.to_owned(), Some(s)),
      None => (NPMJS.to_owned(), None),
    }
  }

  /// The credential npm would send to `url`: per-host keys, most specific
  /// path first (`//host/path/:_authToken`, then `//host/:_authToken`).
  pub(crate) fn credential_for(&self, url: &str) -> Option<Credential<'_>> {
    let config = self.config.as_ref()?;
    for dart in nerf_darts(url) {
      for kind in ["_authToken", "_auth", "_password", "certfile", "token"] {
        if let Some(setting) = config.get(&format!("{dart}:{kind}")) {
          return Some(Credential {
            kind: &setting.key[dart.len() + 1..],
            setting,
          });
        }
      }
    }
    None
  }

  /// The `${VAR}` references in credential lines for `url`'s host.
  pub(crate) fn token_lines_for(&self, url: &str) -> Vec<Setting<'_>> {
    let Some(config) = &self.config else {
      return Vec::new();
    };
    let Some(host) = host_of(url) else {
      return Vec::new();
    };
    config
      .all()
      .filter(|s| {
        s.key.starts_with("//")
          && host_of(&format!("https:{}", s.key)).as_deref() == Some(host.as_str())
      })
      .filter(|s| !s.entry.vars.is_empty())
      .collect()
  }

  /// The proxy npm would use for `url`, if any.
  pub(crate) fn proxy_for(&self, url: &str) -> Option<Proxy> {
    let https = url.starts_with("https:");
    let config = self.config.as_ref();
    let keys: &[&str] = if https {
      &["https-proxy", "proxy"]
    } else {
      &["proxy"]
    };
    for key in keys {
      if let Some(s) = config
        .and_then(|c| c.get(key))
        .filter(|s| !s.value.is_empty() && s.value != "null" && s.value != "false")
      {
        return Some(Proxy {
          url: s.value.to_owned(),
          key: (*key).to_owned(),
          origin: s.origin(),
          location: location_of(s),
        });
      }
    }
    let env = self.env.as_ref()?;
    let names: &[&str] = if https {
      &["https_proxy", "HTTPS_PROXY"]
    } else {
      &[
        "https_proxy",
        "HTTPS_PROXY",
        "http_proxy",
        "HTTP_PROXY",
        "proxy",
        "PROXY",
      ]
    };
    let (name, value) = names
      .iter()
      .find_map(|n| env.get(n).filter(|v| !v.is_empty()).map(|v| (*n, v)))?;
    if no_proxy_matches(
      url,
      config
        .and_then(|c| c.get("noproxy"))
        .map(|s| s.value)
        .or_else(|| env.get("no_proxy"))
        .or_else(|| env.get("NO_PROXY")),
    ) {
      return None;
    }
    Some(Proxy {
      url: value.to_owned(),
      key: name.to_owned(),
      origin: format!("environment variable {name}"),
      location: None,
    })
  }

  /// Every secret value npm could send, for the redactor: from every
  /// `.npmrc` layer (not only the setting that wins) and from the
  /// environment, with the forms npm sends them in.
  fn secrets(&self) -> Redactor {
    let mut redactor = Redactor::default();
    if let Some(config) = &self.config {
      for s in config.all() {
        let key = s.key.rsplit(':').next().unwrap_or(s.key);
        match key.to_ascii_lowercase().as_str() {
          "_auth" | "_password" => redactor.add_base64_secret(s.value),
          "_authtoken" | "password" | "token" | "otp" | "key" | "certkey" => {
            redactor.add_secret(s.value)
          }
          _ => {}
        }
        if key == "_password" {
          let dart = &s.key[..s.key.len() - key.len()];
          if let Some(user) = config.get(&format!("{dart}username")) {
            redactor.add_basic_credentials(user.value, s.value);
          }
        }
        if let Some(password) = crate::url::password(s.value) {
          redactor.add_secret(password);
        }
      }
    }
    if let Some(env) = &self.env {
      for (name, value) in env.with_prefix_ignore_case("") {
        if is_secret_variable(name) {
          let lower = name.to_ascii_lowercase();
          // npm_config__auth, npm_config_//host/:_password: base64, like in .npmrc.
          if lower.ends_with("_auth")
            || lower.ends_with(":_password")
            || lower == "npm_config__password"
          {
            redactor.add_base64_secret(value);
          } else {
            redactor.add_secret(value);
          }
        }
        // Any URL with a password in it: proxies, registries, git remotes.
        if let Some(p) = crate::url::password(value) {
          redactor.add_secret(p);
        }
      }
    }
    redactor
  }

  /// Hosts the lockfile resolves packages from.
  pub(crate) fn lockfile_hosts(&self) -> Vec<String> {
    let Some(config) = &self.config else {
      return Vec::new();
    };
    let mut hosts = Vec::new();
    for name in ["package-lock.json", "npm-shrinkwrap.json"] {
      let Ok(text) = fs::read_to_string(config.local_prefix.join(name)) else {
        continue;
      };
      for (_, rest) in text
        .match_indices("\"resolved\": \"")
        .map(|(i, m)| ((), &text[i + m.len()..]))
      {
        if let Some(host) = rest.split('"').next().and_then(host_of) {
          if !hosts.contains(&host) {
            hosts.push(host);
          }
        }
      }
    }
    hosts
  }
}

pub(crate) fn location_of(setting: Setting<'_>) -> Option<&'static str> {
  use crate::config::Source;
  match setting.layer.source {
    Source::Project => Some("project"),
    Source::User => Some("user"),
    Source::Global => Some("global"),
    _ => None,
  }
}

fn read_package(dir: &Path) -> Option<Package> {
  let text = fs::read_to_string(dir.join("package.json")).ok()?;
  let json: serde_json::Value = serde_json::from_str(&text).ok()?;
  // Shown in advice: a line break in a name must not start a line of its own.
  let string = |v: &serde_json::Value| v.as_str().map(|s| crate::redact::one_line(s).into_owned());
  Some(Package {
    dir: dir.to_owned(),
    name: string(&json["name"]),
    version: string(&json["version"]),
    private: json["private"].as_bool().unwrap_or(false),
    publish_access: string(&json["publishConfig"]["access"]),
    publish_registry: string(&json["publishConfig"]["registry"]),
    repository: string(&json["repository"]).or_else(|| string(&json["repository"]["url"])),
    scripts: json["scripts"]
      .as_object()
      .map(|s| {
        s.keys()
          .map(|k| crate::redact::one_line(k).into_owned())
          .collect()
      })
      .unwrap_or_default(),
  })
}

/// A variable whose value is a secret: `NPM_TOKEN`, `NODE_AUTH_TOKEN`,
/// `GITHUB_TOKEN`, `npm_config__auth`, `npm_config_//host/:_authToken`,
/// `AWS_SECRET_ACCESS_KEY`, `ARTIFACTORY_PASSWORD`… but not the URL, file or
/// name of one (`ACTIONS_ID_TOKEN_REQUEST_URL`, `NPM_TOKEN_FILE`).
fn is_secret_variable(name: &str) -> bool {
  let upper = name.to_ascii_uppercase();
  let secret = [
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "_AUTH",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "_OTP",
  ]
  .iter()
  .any(|w| upper.contains(w));
  let about_one = [
    "_URL",
    "_URI",
    "_FILE",
    "_PATH",
    "_DIR",
    "_NAME",
    "_USER",
    "_USERNAME",
    "_TYPE",
  ]
  .iter()
  .any(|w| upper.ends_with(w));
  secret && !about_one
}

fn no_proxy_matches(url: &str, no_proxy: Option<&str>) -> bool {
  let (Some(host), Some(list)) = (hostname(url), no_proxy) else {
    return false;
  };
  list
    .split([',', ' '])
    .map(str::trim)
    .filter(|e| !e.is_empty())
    .any(|entry| {
      let entry = entry.trim_start_matches('*').trim_start_matches('.');
      entry == "*" || host == entry || host.ends_with(&format!(".{entry}"))
    })
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::ffi::OsString;

  fn context(
    files: &[(&str, &str)],
    env: &[(&str, &str)],
    args: &[&str],
  ) -> (tempfile::TempDir, Context) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let app = dir.path().join("app");
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&app).unwrap();
    for (name, text) in files {
      let path = if *name == "user" {
        home.join(".npmrc")
      } else {
        app.join(name)
      };
      fs::write(path, text).unwrap();
    }
    let home_str = home.to_str().unwrap().to_owned();
    let mut pairs: Vec<(&str, &str)> = vec![("HOME", &home_str)];
    pairs.extend_from_slice(env);
    let env = Env::from_pairs(pairs);
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let config = Config::load(&args, &env, &app, None);
    let package = read_package(&config.local_prefix);
    let mut ctx = Context::local(config, &env);
    ctx.command = Command::new("npm", &args);
    ctx.package = package;
    (dir, ctx)
  }

  #[test]
  fn credentials_are_found_per_host_most_specific_first() {
    let (_d, ctx) = context(
      &[
        ("package.json", "{}"),
        (
          ".npmrc",
          "@acme:registry=https://npm.acme.com/repo/npm/\n//npm.acme.com/repo/npm/:_authToken=${ACME_TOKEN}\n",
        ),
        (
          "user",
          "//registry.npmjs.org/:_authToken=npm_secret_value_123\n",
        ),
      ],
      &[],
      &["install"],
    );
    let (registry, setting) = ctx.registry_for(Some("@acme/ui"));
    assert_eq!(registry, "https://npm.acme.com/repo/npm/");
    assert!(setting.unwrap().origin().ends_with(".npmrc:1"));
    let cred = ctx
      .credential_for("https://npm.acme.com/repo/npm/@acme%2fui")
      .unwrap();
    assert_eq!(cred.kind, "_authToken");
    assert_eq!(cred.setting.value, "${ACME_TOKEN}");
    assert!(ctx.credential_for("https://other.example/x").is_none());
    assert_eq!(ctx.token_lines_for("https://npm.acme.com/x").len(), 1);
    assert!(
      ctx
        .credential_for("https://registry.npmjs.org/lodash")
        .is_some()
    );
    assert_eq!(
      ctx.redactor.clean("t=npm_secret_value_123").as_str(),
      "t=***"
    );
  }

  #[test]
  fn proxies_from_config_then_environment() {
    let (_d, ctx) = context(
      &[("user", "https-proxy=http://proxy.corp:3128\n")],
      &[("HTTPS_PROXY", "http://env:1")],
      &[],
    );
    let proxy = ctx.proxy_for("https://registry.npmjs.org/x").unwrap();
    assert_eq!(
      (proxy.url.as_str(), proxy.key.as_str(), proxy.location),
      ("http://proxy.corp:3128", "https-proxy", Some("user"))
    );
    let (_d, ctx) = context(
      &[],
      &[
        ("HTTPS_PROXY", "http://u:pw@env:1"),
        ("NO_PROXY", "internal.corp"),
      ],
      &[],
    );
    assert_eq!(
      ctx
        .proxy_for("https://registry.npmjs.org/x")
        .unwrap()
        .origin,
      "environment variable HTTPS_PROXY"
    );
    assert!(ctx.proxy_for("https://npm.internal.corp/x").is_none());
    assert_eq!(
      ctx.redactor.clean("http://u:pw@env:1").as_str(),
      "http://u:***@env:1"
    );
  }
}
