//! What the fake npm records about the process it ran as, and waiting on
//! processes by pid.

use super::*;

/// What the fake npm's `report` step writes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
  pub pid: i32,
  pub ppid: i32,
  pub pgid: i32,
  pub sid: i32,
  pub tpgid: i32,
  pub isatty: [bool; 3],
  pub size: Sizes,
  pub env: ReportEnv,
  pub argv_hex: Vec<String>,
  pub environ_hex: Vec<String>,
  pub cwd: PathBuf,
  pub parent: Parent,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct Sizes {
  pub stdout: Option<(u16, u16)>,
  pub stderr: Option<(u16, u16)>,
}

#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct ReportEnv {
  pub NPMX_ARG0: Option<String>,
  pub NPMX_DEPTH: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Parent {
  pub exe: Option<PathBuf>,
  pub pgid: Option<i32>,
  pub ppid: Option<i32>,
}

impl Report {
  /// The arguments npm got, as bytes.
  pub fn argv(&self) -> Vec<Vec<u8>> {
    self.argv_hex.iter().map(|h| unhex(h)).collect()
  }

  /// npm's environment, `NAME=value` as bytes, sorted.
  pub fn environ(&self) -> Vec<Vec<u8>> {
    let mut environ: Vec<_> = self.environ_hex.iter().map(|h| unhex(h)).collect();
    environ.sort();
    environ
  }

  /// npm's parent is the npmx binary under test.
  pub fn parent_is_npmx(&self) -> bool {
    self.parent.exe.as_deref() == Some(&fs::canonicalize(NPMX).unwrap())
  }
}

fn unhex(hex: &str) -> Vec<u8> {
  (0..hex.len())
    .step_by(2)
    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
    .collect()
}

/// One line of `$FAKE_NPM_RECORD`: one fake npm run, nested ones included.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Record {
  pub pid: i32,
  pub argv: Vec<String>,
  pub NPMX_DEPTH: Option<String>,
  pub NPMX_ARG0: Option<String>,
  pub parent: Parent,
}

pub fn records(path: &Path) -> Vec<Record> {
  fs::read_to_string(path)
    .unwrap()
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect()
}

/// Whether `pid` has exited: gone, or a zombie that only waits to be reaped.
pub fn exited(pid: i32) -> bool {
  match fs::read_to_string(format!("/proc/{pid}/stat")) {
    Err(_) => true,
    Ok(stat) => stat
      .rsplit_once(')')
      .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
  }
}

/// Waits (boundedly) until `pid` is in one of `states` (`/proc/PID/stat`'s
/// letters: `T` stopped, `S` sleeping, `R` running); false if it never is.
pub fn wait_state(pid: i32, states: &[char]) -> bool {
  let deadline = Instant::now() + TIMEOUT;
  loop {
    let state = fs::read_to_string(format!("/proc/{pid}/stat"))
      .ok()
      .and_then(|s| s.rsplit_once(')')?.1.trim_start().chars().next());
    if state.is_some_and(|s| states.contains(&s)) {
      return true;
    }
    if Instant::now() > deadline {
      return false;
    }
    thread::sleep(Duration::from_millis(5));
  }
}

/// Waits (boundedly) for `pid` to exit; an orphan is reaped by whoever
/// inherits it, a moment after its parent dies.
pub fn wait_exited(pid: i32) -> bool {
  let deadline = Instant::now() + TIMEOUT;
  while !exited(pid) {
    if Instant::now() > deadline {
      return false;
    }
    thread::sleep(Duration::from_millis(10));
  }
  true
}
