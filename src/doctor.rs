//! `npmx --npmx-doctor`: what npmx sees, without running npm — the npm it would
//! run and how it found it, the config layers and where registry, auth, proxy
//! and TLS settings come from (secrets redacted), and any problem visible
//! already. The only network access is a short TCP connect to a configured
//! proxy. Exit 0 when no problem was found, 1 otherwise.

use std::{
  fmt::Write as _,
  io::Write,
  net::{TcpStream, ToSocketAddrs},
  path::Path,
  sync::mpsc,
  time::Duration,
};

use crate::{
  Env, Mode,
  config::{Config, Setting, Source},
  context::{self, Context},
  locate::{self, Found},
  npmrc::VarState,
};

pub(crate) fn run(mode: Mode, env: &Env) -> i32 {
  let mut out = String::new();
  let mut problems: Vec<String> = Vec::new();
  let cwd = std::env::current_dir().unwrap_or_default();

  let exe = std::env::current_exe()
    .map(|p| p.display().to_string())
    .unwrap_or_else(|_| "?".into());
  let _ = writeln!(out, "npmx {} at {exe}", env!("CARGO_PKG_VERSION"));
  let npm = match locate::locate(mode, env) {
    Ok(npm) => {
      let how = match &npm.how {
        Found::Override(var) => format!("named by {var}"),
        Found::BesideOverride => "beside NPMX_NPM".to_owned(),
        Found::Path { skipped } if skipped.is_empty() => "first on PATH".to_owned(),
        Found::Path { skipped } => {
          let skipped: Vec<_> = skipped.iter().map(|p| p.display().to_string()).collect();
          format!(
            "on PATH, after skipping npmx itself at {}",
            skipped.join(", ")
          )
        }
      };
      let version = crate::config::npm_root(&npm.path)
        .and_then(|root| std::fs::read_to_string(root.join("package.json")).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned));
      let version = version.map(|v| format!(" (npm {v})")).unwrap_or_default();
      let _ = writeln!(
        out,
        "{} {}{version}: {how}",
        mode.program(),
        npm.path.display()
      );
      Some(npm.path)
    }
    Err(error) => {
      problems.push(error.to_string());
      None
    }
  };

  let args: Vec<std::ffi::OsString> = Vec::new();
  let config = Config::load(&args, env, &cwd, npm.as_deref());
  let ctx = Context {
    config: Some(config.clone()),
    env: Some(env.clone()),
    ..Context::default()
  };
  let redactor = ctx.redactor();

  let _ = writeln!(
    out,
    "\nconfig (highest precedence first; project root {}):",
    config.local_prefix.display()
  );
  for layer in &config.layers {
    let place = match (&layer.path, layer.exists) {
      (Some(path), true) => format!("{} ({})", path.display(), count(layer.entries.len())),
      (Some(path), false) => format!("{} (none)", path.display()),
      (None, _) if layer.entries.is_empty() => "(none)".to_owned(),
      (None, _) => format!("({})", count(layer.entries.len())),
    };
    let _ = writeln!(out, "  {:<20} {place}", layer.source.describe());
  }

  let _ = writeln!(out, "\nregistries:");
  let (registry, setting) = ctx.registry_for(None);
  let _ = writeln!(
    out,
    "  registry = {}  ({})",
    redactor.clean(&registry),
    setting
      .map(|s| s.origin())
      .unwrap_or_else(|| "npm's default".into())
  );
  if registry.starts_with("http://registry.npmjs.org") {
    problems.push("registry uses http:// for registry.npmjs.org, which serves https only: `npm config set registry https://registry.npmjs.org/`".into());
  }
  for s in shown(&config, |k| k.starts_with('@') && k.ends_with(":registry")) {
    line(&mut out, s, &redactor);
  }

  let _ = writeln!(out, "\nauth:");
  let mut any_auth = false;
  for s in shown(&config, is_auth_key) {
    any_auth = true;
    // A `${VAR}` reference is shown as written; a literal secret never is.
    let shown_value = if s.entry.raw.contains("${") {
      redactor.clean(&s.entry.raw)
    } else if s.key.ends_with(":username") {
      redactor.clean(s.value)
    } else {
      "(set, hidden)".to_owned()
    };

    let _ = writeln!(out, "  {} = {shown_value}  ({})", s.key, s.origin());
    for var in &s.entry.vars {
      if var.state != VarState::Set && !var.optional {
        let how = if var.state == VarState::Unset {
          "is not set"
        } else {
          "is empty"
        };
        problems.push(format!(
          "{} at {} reads ${{{}}}, which {how} here: npm will send no usable token",
          s.key,
          s.origin(),
          var.name
        ));
      }
    }
  }
  if !any_auth {
    let _ = writeln!(out, "  (no credentials in any layer)");
  }
  for name in ["NPM_TOKEN", "NODE_AUTH_TOKEN"] {
    let state = match env.get_os(name) {
      None => "unset",
      Some(v) if v.is_empty() => "empty",
      Some(_) => "set",
    };
    let _ = writeln!(out, "  {name}: {state}");
  }

  let _ = writeln!(out, "\nproxy:");
  let mut any_proxy = false;
  for s in shown(&config, |k| {
    matches!(k, "proxy" | "https-proxy" | "noproxy")
  }) {
    any_proxy = true;
    line(&mut out, s, &redactor);
  }
  for name in [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
  ] {
    if let Some(v) = env.get(name).filter(|v| !v.is_empty()) {
      any_proxy = true;
      let _ = writeln!(out, "  {name} = {}  (environment)", redactor.clean(v));
    }
  }
  if !any_proxy {
    let _ = writeln!(out, "  (none)");
  }
  if let Some(proxy) = ctx.proxy_for(&registry) {
    let shown_url = redactor.clean(&proxy.url);
    if !proxy.url.contains("://") {
      problems.push(format!(
        "{} = {shown_url} ({}) is not a URL: it must start with http://",
        proxy.key, proxy.origin
      ));
    } else if let Some(host) = context::host_of(&proxy.url) {
      let address = if host.contains(':') && !host.ends_with(']') {
        host.clone()
      } else {
        format!("{host}:80")
      };
      if !reachable(&address) {
        problems.push(format!(
          "nothing answers at the proxy {shown_url} ({}); npm's requests to {registry} go there",
          proxy.origin
        ));
      }
    }
  }

  let _ = writeln!(out, "\nTLS:");
  for s in shown(&config, |k| {
    matches!(k, "cafile" | "ca" | "strict-ssl" | "cert" | "key")
  }) {
    let _ = writeln!(
      out,
      "  {} = {}  ({})",
      s.key,
      if s.key == "key" || s.key == "ca" {
        "(set)"
      } else {
        s.value
      },
      s.origin()
    );
    if s.key == "cafile" && !config.resolve_path(s.value).is_file() {
      problems.push(format!(
        "cafile = {} ({}) does not exist; npm ignores it silently and trusts only its defaults",
        s.value,
        s.origin()
      ));
    }
    if s.key == "strict-ssl" && s.value == "false" {
      problems.push(format!("strict-ssl=false ({}) is unsafe: npm accepts any certificate; trust the right CA with cafile instead", s.origin()));
    }
  }
  for name in [
    "NODE_EXTRA_CA_CERTS",
    "NODE_USE_SYSTEM_CA",
    "NODE_TLS_REJECT_UNAUTHORIZED",
  ] {
    if let Some(v) = env.get(name) {
      let _ = writeln!(out, "  {name} = {v}  (environment)");
      if name == "NODE_EXTRA_CA_CERTS" && !v.is_empty() && !Path::new(v).is_file() {
        problems.push(format!("NODE_EXTRA_CA_CERTS = {v} does not exist"));
      }
      if name == "NODE_TLS_REJECT_UNAUTHORIZED" && v == "0" {
        problems.push(
          "NODE_TLS_REJECT_UNAUTHORIZED=0 is unsafe: every Node.js program accepts any certificate"
            .into(),
        );
      }
    }
  }

  let live = Context::live("npm", &args, env, npm.as_deref(), &[]);
  let mut place = Vec::new();
  if let Some(ci) = live.ci {
    place.push(ci.to_owned());
  }
  if live.codespaces {
    place.push("GitHub Codespaces".into());
  }
  if live.devcontainer {
    place.push("a container".into());
  }
  let _ = writeln!(
    out,
    "\nenvironment: {}",
    if place.is_empty() {
      "a terminal, not CI".into()
    } else {
      place.join(", ")
    }
  );

  if problems.is_empty() {
    let _ = writeln!(out, "\nNo problems found.");
  } else {
    let _ = writeln!(out, "\nProblems:");
    for (n, p) in problems.iter().enumerate() {
      let _ = writeln!(out, "  {}. {}", n + 1, redactor.clean(p));
    }
  }
  // Values were cleaned one by one above; cleaning the whole text again would
  // also mask the `${VAR}` names people need to see.
  let _ = std::io::stdout().lock().write_all(out.as_bytes());
  i32::from(!problems.is_empty())
}

/// Settings npm would use for matching keys: the effective one per key.
fn shown(config: &Config, keep: impl Fn(&str) -> bool) -> Vec<Setting<'_>> {
  let mut seen = Vec::new();
  config
    .all()
    .filter(|s| keep(s.key) && s.layer.source != Source::Cli)
    .filter(|s| {
      let first = !seen.contains(&s.key);
      seen.push(s.key);
      first
        && config
          .get(s.key)
          .is_some_and(|e| std::ptr::eq(e.entry, s.entry))
    })
    .collect()
}

/// `  key = value  (where it was set)`, the value redacted.
fn line(out: &mut String, s: Setting<'_>, redactor: &crate::redact::Redactor) {
  let _ = writeln!(
    out,
    "  {} = {}  ({})",
    s.key,
    redactor.clean(s.value),
    s.origin()
  );
}

fn count(n: usize) -> String {
  if n == 1 {
    "1 setting".into()
  } else {
    format!("{n} settings")
  }
}

fn is_auth_key(key: &str) -> bool {
  let last = key.rsplit(':').next().unwrap_or(key);
  matches!(
    last,
    "_authToken" | "_auth" | "_password" | "username" | "certfile" | "keyfile"
  )
}

/// A TCP connect within half a second, name resolution included.
fn reachable(address: &str) -> bool {
  let (tx, rx) = mpsc::channel();
  let address = address.to_owned();
  std::thread::spawn(move || {
    let ok = address
      .to_socket_addrs()
      .ok()
      .and_then(|mut addrs| addrs.next())
      .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok());
    let _ = tx.send(ok);
  });
  rx.recv_timeout(Duration::from_millis(1500))
    .unwrap_or(false)
}
