//! The servers, started once per test binary, and the fixtures.

use super::*;

// ------------------------------------------------------------------ servers

pub(crate) struct Servers {
  pub(crate) state: Value,
  /// Held until the process exits: its EOF tells servers.py to stop.
  pub(crate) _stdin: Mutex<ChildStdin>,
  pub(crate) _child: Mutex<Child>,
}

pub(crate) static SERVERS: OnceLock<Result<Servers, String>> = OnceLock::new();

pub(crate) fn servers() -> &'static Servers {
  match SERVERS.get_or_init(start_servers) {
    Ok(servers) => servers,
    Err(message) => panic!("{message}"),
  }
}

pub(crate) fn start_servers() -> Result<Servers, String> {
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
pub(crate) fn check_npm_version() -> Result<(), String> {
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

pub(crate) fn fixtures_dir() -> PathBuf {
  Path::new(ROOT).join("tests/fixtures/npm11")
}

pub(crate) fn fixture_meta(name: &str) -> Value {
  let path = fixtures_dir().join(name).join("meta.json");
  let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
  serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn fixture_text(name: &str, file: &str) -> String {
  let path = fixtures_dir().join(name).join(file);
  fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
