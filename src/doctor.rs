//! `npmx --npmx-doctor`: what npmx sees, without running npm — the npm it would
//! run and how it found it, the config layers and where registry, auth, proxy
//! and TLS settings come from (secrets redacted), and any problem visible
//! already. The only network access is a short TCP connect to a configured
//! proxy. Exit 0 when no problem was found, 1 otherwise.

use std::{
  net::{TcpStream, ToSocketAddrs},
  path::Path,
  sync::mpsc,
  time::Duration,
};

use crate::{
  Env, Mode,
  config::{Config, Setting, Source},
  context::Context,
  locate::{self, Found},
  npmrc::VarState,
  output::{self, Clean, clean},
  redact::Redactor,
  url,
};

/// Appends one line to the report; every argument is `Clean`.
macro_rules! say {
  ($out:expr, $($args:tt)*) => {
    $out.push(&clean!($($args)*))
  };
}

pub(crate) fn run(mode: Mode, env: &Env, arg0: Option<&std::ffi::OsStr>) -> i32 {
  let mut out = Clean::default();
  // Problems are found before the configuration (and so the secrets to
  // mask) is known; they are cleaned when printed.
  let mut problems: Vec<String> = Vec::new();
  let cwd = std::env::current_dir().unwrap_or_default();

  let npm = locate::locate(mode, env);
  let npm_path = npm.as_ref().ok().map(|n| n.path.clone());
  let args: Vec<std::ffi::OsString> = Vec::new();
  let config = Config::load(&args, env, &cwd, npm_path.as_deref());
  let ctx = Context::local(config, env);
  let config = ctx.config.as_ref().expect("a local context has a config");
  let r = &ctx.redactor;
  // Every piece on one line of the report (a quoted value can hold a break).
  let c = |text: &str| r.clean(&crate::redact::one_line(text));

  let exe = std::env::current_exe()
    .map(|p| p.display().to_string())
    .unwrap_or_else(|_| "?".into());
  say!(
    out,
    "npmx {} at {}\n",
    Clean::ours(env!("CARGO_PKG_VERSION")),
    c(&exe)
  );
  match &npm {
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
      let version = crate::prefix::npm_root(&npm.path)
        .and_then(|root| std::fs::read_to_string(root.join("package.json")).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["version"].as_str().map(str::to_owned));
      let version = version.map(|v| format!(" (npm {v})")).unwrap_or_default();
      say!(
        out,
        "{} {}{}: {}\n",
        Clean::ours(mode.program()),
        c(&npm.path.display().to_string()),
        c(&version),
        c(&how)
      );
    }
    Err(error) => problems.push(error.to_string()),
  }
  let shims = crate::setup::shims_dir(arg0, env);
  match path_order(mode, env, shims.as_deref()) {
    PathOrder::Npmx(first) => say!(
      out,
      "{} on PATH: {} (npmx's shim: {} runs through npmx)\n",
      Clean::ours(mode.program()),
      c(&first.display().to_string()),
      Clean::ours(mode.program())
    ),
    PathOrder::Before { real, shim } => problems.push(format!(
      "`{program}` on PATH is {}, which comes before npmx's shim {}: {program} does not run through npmx here. Something put {} first after npmx's PATH block (a version manager?): move that line before npmx's block, or open a new shell if `npmx --npmx-setup` ran since this one started",
      real.display(),
      shim.display(),
      real.parent().unwrap_or(&real).display(),
      program = mode.program(),
    )),
    PathOrder::ShimsOffPath(dir) => problems.push(format!(
      "npmx's shims ({}) are not on PATH, so {} runs without npmx: open a new shell (setup's PATH block is read when a shell starts), or run `npmx --npmx-setup` again",
      dir.display(),
      mode.program()
    )),
    PathOrder::NoShims => say!(
      out,
      "{} on PATH does not run through npmx: `npmx --npmx-setup` puts npmx in front of it\n",
      Clean::ours(mode.program())
    ),
  }

  say!(
    out,
    "\nconfig (highest precedence first; project root {}):\n",
    c(&config.local_prefix.display().to_string())
  );
  for layer in &config.layers {
    let place = match (&layer.path, layer.exists) {
      (Some(path), true) => format!("{} ({})", path.display(), count(layer.entries.len())),
      (Some(path), false) => format!("{} (none)", path.display()),
      (None, _) if layer.entries.is_empty() => "(none)".to_owned(),
      (None, _) => format!("({})", count(layer.entries.len())),
    };
    let source = format!("{:<20}", layer.source.describe());
    say!(out, "  {} {}\n", c(&source), c(&place));
  }

  out.push_ours("\nregistries:\n");
  let (registry, setting) = ctx.registry_for(None);
  let origin = setting
    .map(|s| s.origin())
    .unwrap_or_else(|| "npm's default".into());
  say!(out, "  registry = {}  ({})\n", c(&registry), c(&origin));
  if registry.starts_with("http://registry.npmjs.org") {
    problems.push("registry uses http:// for registry.npmjs.org, which serves https only: `npm config set registry https://registry.npmjs.org/`".into());
  }
  for s in shown(config, |k| k.starts_with('@') && k.ends_with(":registry")) {
    line(&mut out, s, s.value, r);
  }

  out.push_ours("\nauth:\n");
  let mut any_auth = false;
  for s in shown(config, is_auth_key) {
    any_auth = true;
    // A `${VAR}` reference is shown as written; a literal secret never is.
    let value = if s.entry.raw.contains("${") || s.key.ends_with(":username") {
      if s.entry.raw.contains("${") {
        s.entry.raw.as_str()
      } else {
        s.value
      }
    } else {
      "(set, hidden)"
    };
    line(&mut out, s, value, r);
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
    out.push_ours("  (no credentials in any layer)\n");
  }
  for name in ["NPM_TOKEN", "NODE_AUTH_TOKEN"] {
    let state = match env.get_os(name) {
      None => "unset",
      Some(v) if v.is_empty() => "empty",
      Some(_) => "set",
    };
    say!(out, "  {}: {}\n", Clean::ours(name), Clean::ours(state));
  }

  out.push_ours("\nproxy:\n");
  let mut any_proxy = false;
  for s in shown(config, |k| matches!(k, "proxy" | "https-proxy" | "noproxy")) {
    any_proxy = true;
    line(&mut out, s, s.value, r);
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
      say!(out, "  {} = {}  (environment)\n", Clean::ours(name), c(v));
    }
  }
  if !any_proxy {
    out.push_ours("  (none)\n");
  }
  if let Some(proxy) = ctx.proxy_for(&registry) {
    let shown_url = c(&proxy.url);
    if !proxy.url.contains("://") {
      problems.push(format!(
        "{} = {shown_url} ({}) is not a URL: it must start with http://",
        proxy.key, proxy.origin
      ));
    } else if let Some(host) = url::host_of(&proxy.url) {
      let address = if host.contains(':') && !host.ends_with(']') {
        host.clone()
      } else {
        format!("{host}:80")
      };
      if reachable(&address) == Some(false) {
        problems.push(format!(
          "nothing answers at the proxy {shown_url} ({}); npm's requests to {registry} go there",
          proxy.origin
        ));
      }
    }
  }

  out.push_ours("\nTLS:\n");
  for s in shown(config, |k| {
    matches!(k, "cafile" | "ca" | "strict-ssl" | "cert" | "key")
  }) {
    let value = if s.key == "key" || s.key == "ca" || s.key == "cert" {
      "(set)"
    } else {
      s.value
    };
    line(&mut out, s, value, r);
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
      say!(out, "  {} = {}  (environment)\n", Clean::ours(name), c(v));
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

  let mut place = Vec::new();
  if let Some(ci) = ctx.ci {
    place.push(ci.name());
  }
  if ctx.codespaces {
    place.push("GitHub Codespaces");
  }
  if ctx.devcontainer {
    place.push("a container");
  }
  let place = if place.is_empty() {
    "a terminal, not CI".to_owned()
  } else {
    place.join(", ")
  };
  say!(out, "\nenvironment: {}\n", c(&place));

  if problems.is_empty() {
    out.push_ours("\nNo problems found.\n");
  } else {
    out.push_ours("\nProblems:\n");
    for (n, p) in problems.iter().enumerate() {
      say!(out, "  {}. {}\n", n + 1, c(p));
    }
  }
  output::stdout(&out);
  i32::from(!problems.is_empty())
}

enum PathOrder {
  /// The first `npm` on PATH is npmx (a shim or npmx itself).
  Npmx(std::path::PathBuf),
  /// A real npm comes before npmx's shim.
  Before {
    real: std::path::PathBuf,
    shim: std::path::PathBuf,
  },
  /// No npmx on PATH, though setup made the shims.
  ShimsOffPath(std::path::PathBuf),
  /// No npmx on PATH, and no shims made.
  NoShims,
}

/// Which `npm` a shell finds first: npmx, or a real npm before npmx's shims.
fn path_order(mode: Mode, env: &Env, shims: Option<&Path>) -> PathOrder {
  use std::os::unix::fs::MetadataExt;
  let me = std::fs::metadata("/proc/self/exe").ok();
  let is_npmx = |p: &Path| {
    std::fs::metadata(p)
      .ok()
      .zip(me.as_ref())
      .is_some_and(|(m, me)| m.dev() == me.dev() && m.ino() == me.ino())
      || locate::is_shim_script(p)
  };
  let runnable =
    |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0);
  let path = env.get_os("PATH").unwrap_or_default();
  let mut first_real = None;
  for dir in std::env::split_paths(path) {
    let candidate = dir.join(mode.program());
    if !runnable(&candidate) {
      continue;
    }
    if is_npmx(&candidate) {
      return match first_real {
        None => PathOrder::Npmx(candidate),
        Some(real) => PathOrder::Before {
          real,
          shim: candidate,
        },
      };
    }
    first_real.get_or_insert(candidate);
  }
  match shims {
    Some(dir) if dir.join(mode.program()).exists() => PathOrder::ShimsOffPath(dir.to_owned()),
    _ => PathOrder::NoShims,
  }
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

/// `  key = value  (where it was set)`; key, value and place each cleaned
/// on their own, so a `${VAR}` name stays readable.
fn line(out: &mut Clean, s: Setting<'_>, value: &str, r: &Redactor) {
  // A quoted value can hold a line break: shown as `\u{a}`, so that each
  // setting stays one line of the report.
  let one = |text: &str| r.clean(&crate::redact::one_line(text));
  say!(
    out,
    "  {} = {}  ({})\n",
    one(s.key),
    one(value),
    one(&s.origin())
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

/// A TCP connect within half a second, name resolution included; `None`
/// when the name does not resolve here (this machine's DNS, or a static
/// build without glibc's resolver modules, cannot tell) or time ran out.
fn reachable(address: &str) -> Option<bool> {
  let (tx, rx) = mpsc::channel();
  let address = address.to_owned();
  std::thread::spawn(move || {
    let ok = address
      .to_socket_addrs()
      .ok()
      .and_then(|mut addrs| addrs.next())
      .map(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok());
    let _ = tx.send(ok);
  });
  rx.recv_timeout(Duration::from_millis(1500)).ok().flatten()
}
