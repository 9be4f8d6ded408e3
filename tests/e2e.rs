//! End to end: `npmx <npm command>` with this machine's real npm, against real
//! servers on 127.0.0.1.
//!
//! The servers (Verdaccio, squid, and small Python servers for TLS, timeouts,
//! resets, 429/503, OTP, HTML, a scripted registry and GitHub Actions' ID-token
//! service) are started once per test binary by
//! `tests/e2e/servers.py`, which stops them when this process ends (it watches
//! its stdin, a pipe this process holds until it exits). What they need is
//! installed by `tests/e2e/provision.sh`.
//!
//! Every scenario is a fixture under `tests/fixtures/npm11/<name>/`, recorded
//! from npm itself by `tests/e2e/capture.py`: its `meta.json` says how npm was
//! run (argv, env, the files it had), and `stdout`/`stderr` are what npm wrote.
//! Each test re-creates that run under npmx (cleaned environment, own HOME,
//! cache, userconfig, empty globalconfig) and checks that:
//!   * npmx exits as npm did;
//!   * stdout is byte-for-byte npm's (after normalisation);
//!   * npm's stderr comes first and unchanged; npmx may only add after it;
//!   * the `NPMX_REPORT` JSON names the cause in `meta.expect.id` first (then
//!     `meta.expect.also`), and npmx's text after npm's shows it; when it is
//!     null, npmx says nothing;
//!   * npmx's text has no control characters and nothing token-shaped.
//!
//! Fixtures in `KNOWN_GAPS` get the npm checks only; the rest is announced.
//!
//! Normalisation is the one in capture.py (see its docstring); keep them equal.

use std::{
  collections::BTreeMap,
  fs,
  io::{BufRead, BufReader, Read, Write},
  os::unix::process::CommandExt,
  path::{Path, PathBuf},
  process::{Child, ChildStdin, Command, Stdio},
  sync::{Mutex, OnceLock},
  time::{Duration, Instant},
};

use regex::Regex;
use serde_json::Value;

const NPMX: &str = env!("CARGO_BIN_EXE_npmx");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const PLACEHOLDER_TMP: &str = "/tmp/npmx-e2e";
const PROVISION: &str = "run tests/e2e/provision.sh (as root) to install them";
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

// ------------------------------------------------------------------ servers

struct Servers {
  state: Value,
  /// Held until the process exits: its EOF tells servers.py to stop.
  _stdin: Mutex<ChildStdin>,
  _child: Mutex<Child>,
}

static SERVERS: OnceLock<Result<Servers, String>> = OnceLock::new();

fn servers() -> &'static Servers {
  match SERVERS.get_or_init(start_servers) {
    Ok(servers) => servers,
    Err(message) => panic!("{message}"),
  }
}

fn start_servers() -> Result<Servers, String> {
  let e2e = Path::new(ROOT).join("tests/e2e");
  let mut missing = vec![];
  if !e2e.join("node_modules/verdaccio/bin/verdaccio").exists() {
    missing.push("Verdaccio (tests/e2e/node_modules)");
  }
  if !Path::new("/usr/sbin/squid").exists() || !Path::new("/usr/lib/squid/basic_ncsa_auth").exists()
  {
    missing.push("squid (/usr/sbin/squid, /usr/lib/squid/basic_ncsa_auth)");
  }
  for tool in ["python3", "openssl", "node"] {
    if which::which(tool).is_err() {
      missing.push(tool);
    }
  }
  if !missing.is_empty() {
    return Err(format!(
      "e2e: not provisioned: missing {}; {PROVISION}",
      missing.join(", ")
    ));
  }
  check_npm_version()?;

  let state_dir = tempfile::Builder::new()
    .prefix("npmx-e2e-state-")
    .tempdir()
    .map_err(|e| format!("e2e: temp dir: {e}"))?
    .keep();
  let state_path = state_dir.join("servers.json");
  let mut child = Command::new("python3")
    .arg(e2e.join("servers.py"))
    .arg("--state")
    .arg(&state_path)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit())
    .spawn()
    .map_err(|e| format!("e2e: cannot start tests/e2e/servers.py: {e}"))?;
  let stdin = child.stdin.take().expect("piped stdin");
  let mut line = String::new();
  let _ = BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line);
  if !line.starts_with("READY ") {
    let status = child.wait().ok();
    let _ = fs::remove_dir_all(&state_dir);
    return Err(format!(
      "e2e: the servers did not start ({status:?}); servers.py printed why on stderr above \
       (a server that cannot start fails the whole suite). If something is missing, {PROVISION}"
    ));
  }
  let text = fs::read_to_string(&state_path).map_err(|e| format!("e2e: {state_path:?}: {e}"))?;
  let _ = fs::remove_dir_all(&state_dir);
  let state = serde_json::from_str(&text).map_err(|e| format!("e2e: servers.json: {e}"))?;
  Ok(Servers {
    state,
    _stdin: Mutex::new(stdin),
    _child: Mutex::new(child),
  })
}

/// The fixtures are npm 11.19.1's words; another npm says other things.
fn check_npm_version() -> Result<(), String> {
  let meta = fixture_meta("verdaccio-install-not-found");
  let want = meta["npm"].as_str().unwrap_or_default().to_string();
  let out = Command::new("npm")
    .arg("--version")
    .env_clear()
    .env("PATH", "/usr/bin:/bin")
    .output()
    .map_err(|e| format!("e2e: cannot run npm: {e}"))?;
  let have = String::from_utf8_lossy(&out.stdout).trim().to_string();
  if have != want {
    return Err(format!(
      "e2e: the fixtures were recorded with npm {want} but /usr/bin/npm is {have:?}; \
       re-record them with `python3 tests/e2e/capture.py` and review the diff"
    ));
  }
  Ok(())
}

// ------------------------------------------------------------------ fixtures

fn fixtures_dir() -> PathBuf {
  Path::new(ROOT).join("tests/fixtures/npm11")
}

fn fixture_meta(name: &str) -> Value {
  let path = fixtures_dir().join(name).join("meta.json");
  let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
  serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture_text(name: &str, file: &str) -> String {
  let path = fixtures_dir().join(name).join(file);
  fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ------------------------------------------------------------------ normalisation

/// Real value <-> placeholder, for one run in one temporary directory.
struct Mapping {
  servers_dir: String,
  placeholder_dir: String,
  tmp: String,
  /// (real, fake)
  tokens: Vec<(String, String)>,
  /// (real, placeholder)
  ports: Vec<(u64, u64)>,
}

struct Patterns {
  stamp: Regex,
  in_time: Regex,
  ms: Regex,
  timer: Regex,
  os_release: Regex,
  packument_cache: Regex,
  http_date: Regex,
}

fn patterns() -> &'static Patterns {
  static P: OnceLock<Patterns> = OnceLock::new();
  P.get_or_init(|| Patterns {
    stamp: Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}_\d{2}_\d{2}_\d{3}Z").unwrap(),
    in_time: Regex::new(r"\bin \d+(?:\.\d+)?(?:ms|s|m|h)\b").unwrap(),
    ms: Regex::new(r"(?m)(^|[^\w.])\d+ms\b").unwrap(),
    timer: Regex::new(r"(unfinished npm timer \S+) \d+").unwrap(),
    os_release: Regex::new(r"(verbose os \S+) \S+").unwrap(),
    packument_cache: Regex::new(r"packumentCache heap:\d+ maxSize:\d+ maxEntrySize:\d+").unwrap(),
    http_date: Regex::new(
      r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT",
    )
    .unwrap(),
  })
}

impl Mapping {
  fn new(state: &Value, tmp: &Path) -> Mapping {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let tokens = state["tokens"]
      .as_object()
      .expect("tokens")
      .iter()
      .map(|(user, token)| (s(token), s(&state["fake_tokens"][user])))
      .collect();
    let ports = state["ports"]
      .as_object()
      .expect("ports")
      .iter()
      .map(|(name, port)| {
        let placeholder = state["placeholder_ports"][name]
          .as_u64()
          .expect("placeholder port");
        (port.as_u64().expect("port"), placeholder)
      })
      .collect();
    Mapping {
      servers_dir: s(&state["dir"]),
      placeholder_dir: s(&state["placeholder_dir"]),
      tmp: tmp.to_str().expect("utf-8 temp path").to_string(),
      tokens,
      ports,
    }
  }

  /// What npm printed -> what the fixture holds.
  fn normalise(&self, text: &str) -> String {
    let p = patterns();
    let mut t = text.replace(&self.servers_dir, &self.placeholder_dir);
    t = t.replace(&self.tmp, PLACEHOLDER_TMP);
    for (real, fake) in &self.tokens {
      t = t.replace(real, fake);
    }
    for (real, placeholder) in &self.ports {
      let re = Regex::new(&format!(r"((?:127\.0\.0\.1|localhost):|port: ){real}\b")).unwrap();
      t = re
        .replace_all(&t, format!("${{1}}{placeholder}"))
        .into_owned();
    }
    t = p
      .stamp
      .replace_all(&t, "2026-01-01T00_00_00_000Z")
      .into_owned();
    t = p.in_time.replace_all(&t, "in 0ms").into_owned();
    t = p.ms.replace_all(&t, "${1}0ms").into_owned();
    t = p.timer.replace_all(&t, "${1} 1767225600000").into_owned();
    t = p
      .os_release
      .replace_all(&t, "${1} 6.1.0-npmx-e2e")
      .into_owned();
    t = p
      .packument_cache
      .replace_all(
        &t,
        "packumentCache heap:4345298944 maxSize:1086324736 maxEntrySize:543162368",
      )
      .into_owned();
    t = p
      .http_date
      .replace_all(&t, "Thu, 01 Jan 2026 00:00:00 GMT")
      .into_owned();
    t
  }

  /// What the fixture holds (argv, env, files) -> what this run uses.
  fn live(&self, text: &str) -> String {
    // The live servers dir itself starts with "/tmp/npmx-e2e", so it must not
    // be seen by the second replacement.
    const HOLD: &str = "\u{0}servers\u{0}";
    let mut t = text.replace(&self.placeholder_dir, HOLD);
    t = t.replace(PLACEHOLDER_TMP, &self.tmp);
    t = t.replace(HOLD, &self.servers_dir);
    for (real, fake) in &self.tokens {
      t = t.replace(fake, real);
    }
    for (real, placeholder) in &self.ports {
      let re = Regex::new(&format!(r"((?:127\.0\.0\.1|localhost):){placeholder}\b")).unwrap();
      t = re.replace_all(&t, format!("${{1}}{real}")).into_owned();
    }
    t
  }
}

// ------------------------------------------------------------------ running

struct Prepared {
  _tmp: tempfile::TempDir,
  map: Mapping,
  cwd: PathBuf,
  argv: Vec<String>,
  env: BTreeMap<String, String>,
  report: PathBuf,
}

/// Lays out the fixture's files in a fresh temporary directory and works out
/// the live argv and environment.
fn prepare(name: &str, meta: &Value) -> Prepared {
  let srv = servers();
  let tmp = tempfile::Builder::new()
    .prefix("npmx-e2e-run-")
    .tempdir_in("/tmp")
    .expect("temp dir");
  let map = Mapping::new(&srv.state, tmp.path());
  let root = tmp.path();
  for dir in ["home", "project", "cache", "global"] {
    fs::create_dir_all(root.join(dir)).unwrap();
  }
  fs::write(root.join("global/npmrc"), "").unwrap();
  for (key, text) in meta["files"].as_object().expect("files") {
    let path = if key == "userconfig" {
      root.join("home/.npmrc")
    } else {
      root.join(key)
    };
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, map.live(text.as_str().expect("file text"))).unwrap();
  }
  let argv = meta["argv"]
    .as_array()
    .expect("argv")
    .iter()
    .map(|a| map.live(a.as_str().unwrap()))
    .collect();
  let env = meta["env"]
    .as_object()
    .expect("env")
    .iter()
    .map(|(k, v)| (k.clone(), map.live(v.as_str().unwrap())))
    .collect();
  let cwd = PathBuf::from(map.live(meta["cwd"].as_str().expect("cwd")));
  assert!(
    cwd.starts_with(root),
    "{name}: cwd {cwd:?} is outside the run's directory"
  );
  let report = root.join("npmx-report.json");
  Prepared {
    _tmp: tmp,
    map,
    cwd,
    argv,
    env,
    report,
  }
}

fn command(p: &Prepared, meta: &Value) -> Command {
  let mut cmd = match meta["wrap"].as_str() {
    None => Command::new(NPMX),
    Some("dead-dns") => {
      // A mount namespace whose resolv.conf names a resolver where nothing listens.
      let resolv = Path::new(&p.map.tmp).join("resolv.conf");
      fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
      )
      .unwrap();
      let mut c = Command::new("unshare");
      c.args([
        "-m",
        "sh",
        "-c",
        "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"",
      ])
      .arg(&resolv)
      .arg(NPMX);
      c
    }
    Some(wrap @ ("as-nobody" | "as-nobody-root-node-modules")) => {
      // An ordinary user who may write its HOME, cache and project, but not
      // `prefix/`, owned by root like /usr/local. Keep equal to capture.py.
      use std::os::unix::fs::PermissionsExt;
      let root = Path::new(&p.map.tmp);
      let set = |path: &Path, mode: u32| {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap()
      };
      fs::create_dir_all(root.join("prefix")).unwrap();
      set(&root.join("prefix"), 0o755);
      set(root, 0o777);
      for dir in ["home", "cache", "project"] {
        let mut stack = vec![root.join(dir)];
        while let Some(path) = stack.pop() {
          if path.is_dir() {
            set(&path, 0o777);
            stack.extend(fs::read_dir(&path).unwrap().flatten().map(|e| e.path()));
          } else {
            set(&path, 0o666);
          }
        }
      }
      if wrap == "as-nobody-root-node-modules" {
        // As after a `sudo npm install`: node_modules is root's.
        fs::create_dir_all(root.join("project/node_modules")).unwrap();
        set(&root.join("project/node_modules"), 0o755);
      }
      let mut c = Command::new("setpriv");
      c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(NPMX);
      c
    }
    Some(other) => panic!("unknown wrap {other:?}"),
  };
  cmd
    .args(&p.argv)
    .current_dir(&p.cwd)
    .env_clear()
    .envs(&p.env)
    .env("NPMX_REPORT", &p.report);
  // If this test dies (the thread that started npmx waits for it, so that
  // means the test binary was killed), npmx goes too; npmx does the same
  // for npm.
  // SAFETY: only prctl, which is async-signal-safe, between fork and exec.
  unsafe {
    cmd.pre_exec(|| {
      libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
      Ok(())
    });
  }
  cmd
}

struct Ran {
  code: Option<i32>,
  stdout: String,
  stderr: String,
}

fn run(mut cmd: Command) -> Ran {
  let mut child = cmd
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
  let drain = |mut r: Box<dyn Read + Send>| {
    std::thread::spawn(move || {
      let mut buf = vec![];
      let _ = r.read_to_end(&mut buf);
      buf
    })
  };
  let out = drain(Box::new(child.stdout.take().unwrap()));
  let err = drain(Box::new(child.stderr.take().unwrap()));
  let deadline = Instant::now() + RUN_TIMEOUT;
  let status = loop {
    if let Some(status) = child.try_wait().unwrap() {
      break status;
    }
    if Instant::now() > deadline {
      let _ = child.kill();
      let _ = child.wait();
      panic!("{cmd:?} still running after {RUN_TIMEOUT:?}; killed");
    }
    std::thread::sleep(Duration::from_millis(20));
  };
  let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
  Ran {
    code: status.code(),
    stdout: text(out.join().unwrap()),
    stderr: text(err.join().unwrap()),
  }
}

fn is_root() -> bool {
  // SAFETY: geteuid has no preconditions.
  unsafe { libc::geteuid() == 0 }
}

/// Said on the real stderr, not the captured one: a skip must be seen.
fn announce(text: &str) {
  let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn scenario(name: &str) {
  let meta = fixture_meta(name);
  if meta["root_only"].as_bool() == Some(true) && !is_root() {
    let why = match meta["wrap"].as_str() {
      Some("as-nobody" | "as-nobody-root-node-modules") => {
        "switching to an ordinary user (setpriv) takes root"
      }
      _ => {
        "unshare -m and a bind mount over /etc/resolv.conf give npm a resolver that does not answer"
      }
    };
    announce(&format!(
      "e2e: SKIPPED {name}: it needs root ({why}); run the suite as root, as CI does"
    ));
    return;
  }
  let p = prepare(name, &meta);
  let ran = run(command(&p, &meta));
  let stdout = p.map.normalise(&ran.stdout);
  let stderr = p.map.normalise(&ran.stderr);
  let want_stdout = fixture_text(name, "stdout");
  let want_stderr = fixture_text(name, "stderr");
  let context = || format!("--- npmx stdout\n{stdout}--- npmx stderr\n{stderr}---");

  let want_code = meta["exit_code"].as_i64().map(|c| c as i32);
  assert_eq!(ran.code, want_code, "{name}: exit code\n{}", context());
  assert_eq!(
    stdout,
    want_stdout,
    "{name}: stdout differs from npm's\n{}",
    context()
  );
  assert!(
    stderr.starts_with(&want_stderr),
    "{name}: npm's stderr must come first and unchanged.\n--- npm's (fixture)\n{want_stderr}{}",
    context()
  );

  // What npmx itself says: checked here, but for a fixture in KNOWN_GAPS
  // only announced (see there).
  let mut problems = vec![];
  let text = fs::read_to_string(&p.report).unwrap_or_else(|e| {
    panic!(
      "{name}: npmx wrote no report to NPMX_REPORT ({e})\n{}",
      context()
    )
  });
  let report: Value = serde_json::from_str(&text)
    .unwrap_or_else(|e| panic!("{name}: NPMX_REPORT is not JSON ({e}):\n{text}"));
  assert_eq!(
    report["exit_code"].as_i64().map(|c| c as i32),
    want_code,
    "{name}: report exit_code\n{text}"
  );
  let ids: Vec<&str> = report["diagnoses"]
    .as_array()
    .expect("diagnoses array")
    .iter()
    .map(|d| d["id"].as_str().unwrap_or("?"))
    .collect();
  let added = &stderr[want_stderr.len()..];
  let note = &meta["expect"]["note"];
  match meta["expect"]["id"].as_str() {
    Some(id) => {
      if ids.first() != Some(&id) {
        problems.push(format!(
          "first diagnosis is {:?}, want {id:?} ({note})\n{text}",
          ids.first()
        ));
      }
      // What the person sees: npmx's heading after npm's block.
      if !added.contains(&format!("[{id}]")) {
        problems.push(format!("npmx's text lacks [{id}]"));
      }
      let also: Vec<&str> = meta["expect"]["also"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
      if !also.is_empty() && ids.get(1..=also.len()) != Some(&also[..]) {
        problems.push(format!(
          "diagnoses after the first are {:?}, want {also:?} next\n{text}",
          ids.get(1..).unwrap_or_default()
        ));
      }
    }
    None => {
      if !ids.is_empty() {
        problems.push(format!("npmx must say nothing here ({note})\n{text}"));
      }
      if stderr != want_stderr {
        problems.push("npmx added to stderr".to_string());
      }
    }
  }
  problems.extend(hygiene(added, &text, &p.map));

  let gap = KNOWN_GAPS.iter().find(|(n, _)| *n == name);
  match (problems.is_empty(), gap) {
    (true, None) => {}
    (false, None) => panic!("{name}: {}\n{}", problems.join("\n"), context()),
    (false, Some((_, why))) => announce(&format!(
      "e2e: KNOWN GAP {name}: {why}\n  {}",
      problems
        .iter()
        .map(|p| p.lines().next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n  ")
    )),
    (true, Some(_)) => panic!(
      "{name}: npmx now does what the fixture expects; take it off KNOWN_GAPS in tests/e2e.rs"
    ),
  }
}

/// What npmx adds must be safe to print whatever npm or the registry said:
/// no terminal control characters (a registry's reason can hold escape
/// sequences, and npm prints them raw), and no secrets: nothing token-shaped
/// and none of this run's tokens, in the text or in the report.
fn hygiene(added: &str, report: &str, map: &Mapping) -> Vec<String> {
  static TOKEN: OnceLock<Regex> = OnceLock::new();
  let token = TOKEN.get_or_init(|| {
    Regex::new(r"\b(?:(?:npms?|gh[pousr])_[A-Za-z0-9]{30,}|glpat-[A-Za-z0-9_-]{20,})").unwrap()
  });
  let mut problems = vec![];
  if let Some(c) = added
    .chars()
    .find(|c| c.is_control() && *c != '\n' && *c != '\t')
  {
    problems.push(format!(
      "npmx's text holds the control character {c:?}: {:?}",
      added
    ));
  }
  for (what, text) in [("npmx's text", added), ("the report", report)] {
    if let Some(m) = token.find(text) {
      problems.push(format!(
        "{what} holds a token-shaped string: {}",
        m.as_str()
      ));
    }
    for (real, fake) in &map.tokens {
      if text.contains(real.as_str()) || text.contains(fake.as_str()) {
        problems.push(format!("{what} holds a token of this run ({fake})"));
      }
    }
  }
  problems
}

/// Fixtures whose npm output is right but where npmx does not (yet) say what
/// `meta.expect` says: bugs in src/, not in the fixtures. For these the npm
/// checks (exit code, stdout, npm's stderr first and unchanged) still fail
/// the test; npmx's own checks are announced on stderr instead. A fixture
/// listed here that passes every check fails: take it off the list.
const KNOWN_GAPS: &[(&str, &str)] = &[];

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
}

/// Fixtures not replayed by `scenario` (they need a terminal).
const INTERACTIVE: &[&str] = &["otp-publish-tty"];

/// Fixtures read only offline (tests/integration/corpus.rs): with its cache on a full
/// 16 KiB disk, where npm meets ENOSPC first depends on timing, and so does
/// its exit code (1, or 228 for errno -28) and whether its debug log gets a
/// line. Replayed live, the run would not be the fixture's run.
const OFFLINE_ONLY: &[&str] = &["install-disk-full"];

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
    "fixtures with no test in tests/e2e.rs: {missing:?}"
  );
  for name in SCENARIOS.iter().chain(INTERACTIVE).chain(OFFLINE_ONLY) {
    assert!(
      fixtures_dir().join(name).join("meta.json").exists(),
      "{name}: no fixture"
    );
  }
}

/// A publish that needs a one-time password, in a terminal, under npmx: npm's
/// own prompt appears, the typed code goes through, and the registry sees it
/// in the `npm-otp` header of the retried PUT.
#[test]
fn otp_publish_in_a_terminal() {
  let name = "otp-publish-tty";
  let meta = fixture_meta(name);
  let p = prepare(name, &meta);
  let code = servers().state["otp_code"]
    .as_str()
    .expect("otp_code")
    .to_string();
  let log_path = PathBuf::from(servers().state["otp_log"].as_str().expect("otp_log"));
  let package = "e2e-otp-tty";
  let seen_before = otp_requests(&log_path, package).len();

  let session = rexpect::session::spawn_command(command(&p, &meta), Some(60_000));
  let mut session = session.unwrap_or_else(|e| panic!("cannot start npmx in a terminal: {e}"));
  let before = session
    .exp_string("Enter OTP:")
    .unwrap_or_else(|e| panic!("npm's OTP prompt did not appear under npmx: {e}"));
  assert!(
    before.contains("This operation requires a one-time password."),
    "npm's prompt text:\n{before}"
  );
  session.send_line(&code).expect("type the code");
  let after = session
    .exp_eof()
    .unwrap_or_else(|e| panic!("npm did not finish: {e}"));
  let status = session.process().wait().expect("wait");
  let transcript = p.map.normalise(&format!("{before}Enter OTP:{after}"));
  assert!(
    matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
    "npmx exited with {status:?}\n{transcript}"
  );
  assert!(
    transcript.contains(&format!("+ {package}@1.0.0")),
    "no publish line:\n{transcript}"
  );

  let requests = otp_requests(&log_path, package);
  let puts: Vec<&Value> = requests[seen_before..]
    .iter()
    .filter(|r| r["method"] == "PUT")
    .collect();
  assert_eq!(
    puts.len(),
    2,
    "expected a PUT without and one with the OTP: {puts:?}"
  );
  assert_eq!(puts[0]["npm_otp"], Value::Null);
  assert_eq!(puts[0]["status"], 401);
  assert_eq!(puts[1]["npm_otp"], Value::String(code));
  assert_eq!(puts[1]["status"], 201);
}

fn otp_requests(log: &Path, package: &str) -> Vec<Value> {
  fs::read_to_string(log)
    .unwrap_or_default()
    .lines()
    .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    .filter(|r| r["path"].as_str() == Some(&format!("/{package}")))
    .collect()
}

/// The real npm retrying a request the server resets: npmx says so while npm
/// waits between attempts, before npm's own error block and the diagnosis.
#[test]
fn a_retried_reset_is_told_while_the_real_npm_waits() {
  let mut meta = fixture_meta("net-reset");
  let mut argv: Vec<Value> = meta["argv"]
    .as_array()
    .unwrap()
    .iter()
    .filter(|a| a.as_str() != Some("--fetch-retries=0"))
    .cloned()
    .collect();
  for flag in [
    "--fetch-retries=1",
    "--fetch-retry-mintimeout=3000",
    "--fetch-retry-maxtimeout=3000",
  ] {
    argv.push(Value::from(flag));
  }
  meta["argv"] = Value::from(argv);
  let prepared = prepare("net-reset", &meta);
  let ran = run(command(&prepared, &meta));
  assert_eq!(ran.code, Some(1), "{}", ran.stderr);
  let notice = ran
    .stderr
    .find("failed with ECONNRESET (attempt 1)")
    .unwrap_or_else(|| panic!("no retry notice:\n{}", ran.stderr));
  let block = ran.stderr.find("npm error code ECONNRESET").unwrap();
  assert!(notice < block, "{}", ran.stderr);
  assert!(ran.stderr.contains("[connection-reset]"), "{}", ran.stderr);
}

/// The real npm waiting on a registry that accepts connections and never
/// answers: npmx says so while npm waits, and when the run is stopped
/// (SIGTERM, as a CI job's time limit sends) says what it waited for.
#[test]
fn a_hung_request_and_a_stopped_run_are_told_with_the_real_npm() {
  use std::os::unix::process::ExitStatusExt;
  let mut meta = fixture_meta("net-timeout");
  let argv: Vec<Value> = meta["argv"]
    .as_array()
    .unwrap()
    .iter()
    .map(|a| match a.as_str() {
      Some("--fetch-timeout=2000") => Value::from("--fetch-timeout=120000"),
      _ => a.clone(),
    })
    .collect();
  meta["argv"] = Value::from(argv);
  let (stderr, status) = stalled_then_stopped(&meta);
  assert!(
    stderr.contains("npmx: npm has been waiting") && stderr.contains("with no progress"),
    "no stall notice:\n{stderr}"
  );
  assert!(
    stderr.contains("npmx: npm was stopped (SIGTERM) after waiting"),
    "no word on the stop:\n{stderr}"
  );
  assert!(
    status.signal() == Some(libc::SIGTERM) || status.code() == Some(143),
    "{status:?}"
  );
}

/// A registry that answers 503 once and then recovers: the real npm rides it
/// out by retrying, npmx says it is retrying while it does, and says nothing
/// more, because npm succeeded.
#[test]
fn a_registry_outage_npm_rides_out_gets_the_retry_notice_and_nothing_more() {
  let mut meta = fixture_meta("http-503");
  meta["argv"] = Value::from(
    [
      "install",
      "e2e-tls-ok",
      "--registry=http://127.0.0.1:5009/",
      "--fetch-retries=2",
      "--fetch-retry-mintimeout=2500",
      "--fetch-retry-maxtimeout=2500",
      "--userconfig=/tmp/npmx-e2e/home/.npmrc",
      "--globalconfig=/tmp/npmx-e2e/global/npmrc",
      "--cache=/tmp/npmx-e2e/cache",
      "--update-notifier=false",
    ]
    .map(Value::from)
    .to_vec(),
  );
  let prepared = prepare("http-503", &meta);
  let ran = run(command(&prepared, &meta));
  assert_eq!(ran.code, Some(0), "{}", ran.stderr);
  assert!(
    ran.stderr.contains("failed with 503 (attempt 1)"),
    "no retry notice:\n{}",
    ran.stderr
  );
  assert_eq!(ran.stderr.matches("npmx:").count(), 1, "{}", ran.stderr);
}

/// Runs npmx live with a 2 s stall threshold, stops it with SIGTERM after
/// 6 s, and returns its stderr and how it ended.
fn stalled_then_stopped(meta: &Value) -> (String, std::process::ExitStatus) {
  let prepared = prepare("net-timeout", meta);
  let mut cmd = command(&prepared, meta);
  let mut child = cmd
    .env("NPMX_STALL_SECS", "2")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
  let mut err = child.stderr.take().unwrap();
  let reader = std::thread::spawn(move || {
    let mut text = String::new();
    let _ = err.read_to_string(&mut text);
    text
  });
  std::thread::sleep(Duration::from_secs(6));
  // SAFETY: signalling our own child.
  unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
  let status = child.wait().unwrap();
  let stderr = reader.join().unwrap();
  (stderr, status)
}

/// A proxy that black-holes (accepts, never answers a CONNECT): the same
/// stall notice, naming the registry npm waits on.
#[test]
fn a_black_holing_proxy_is_told_as_a_stall_with_the_real_npm() {
  let mut meta = fixture_meta("net-timeout");
  meta["argv"] = Value::from(
    [
      "install",
      "e2e-tls-ok",
      "--registry=https://127.0.0.1:8447/",
      "--https-proxy=http://127.0.0.1:5001/",
      "--fetch-retries=0",
      "--fetch-timeout=120000",
      "--userconfig=/tmp/npmx-e2e/home/.npmrc",
      "--globalconfig=/tmp/npmx-e2e/global/npmrc",
      "--cache=/tmp/npmx-e2e/cache",
      "--update-notifier=false",
    ]
    .map(Value::from)
    .to_vec(),
  );
  let (stderr, _) = stalled_then_stopped(&meta);
  assert!(
    stderr.contains("npmx: npm has been waiting")
      && stderr.contains("/e2e-tls-ok) with no progress"),
    "no stall notice:\n{stderr}"
  );
}
