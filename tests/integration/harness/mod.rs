//! A scenario builder around the npmx binary and the fake npm.
//!
//! ```ignore
//! let run = Test::new().args(["report", "exit=3"]).stdout(Io::Tty).run();
//! assert_eq!(run.code(), Some(3));
//! ```
//!
//! Each `Test` has its own directory (under Cargo's target tmpdir, so that a
//! hard link to the npmx binary is possible) holding the fake npm in `bin/`,
//! a symlink named `npmx` in `npmx/`, and a `home/`. npmx runs with a clean
//! environment: only PATH (`bin`, `npmx`, then the system), HOME and what the
//! test adds, so nothing from the machine (or from cargo) decides the result.
//!
//! Runs are in their own process group (in a pseudo-terminal: their own
//! session), so that a test that fails or times out kills everything it
//! started, and so that "npm is in npmx's group" means something.

use std::{
  collections::BTreeMap,
  ffi::{OsStr, OsString},
  fs::{self, File},
  io::{Read, Write},
  os::{
    fd::{AsRawFd, FromRawFd, OwnedFd},
    unix::{
      ffi::OsStrExt,
      fs::PermissionsExt,
      process::{CommandExt, ExitStatusExt},
    },
  },
  path::{Path, PathBuf},
  process::{Child, ChildStdin, Command, ExitStatus, Stdio},
  sync::{
    Arc, Condvar, Mutex,
    atomic::{AtomicBool, Ordering},
  },
  thread::{self, JoinHandle},
  time::{Duration, Instant},
};

use serde::Deserialize;

mod collect;
mod fake_npm;
mod pty;
mod running;

pub use fake_npm::*;
pub use running::*;
use {collect::Output, pty::Pty};

pub const NPMX: &str = env!("CARGO_BIN_EXE_npmx");
const FAKE_NPM: &str = include_str!("../fake-npm.js");

/// Only against hangs: a run that takes this long has failed.
pub const TIMEOUT: Duration = Duration::from_secs(180);

/// Where one of the three standard descriptors goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Io {
  /// The test's pseudo-terminal.
  Tty,
  /// A pipe the test reads (stdout, stderr) or writes (stdin).
  Pipe,
  /// `/dev/null`.
  Null,
  /// A regular file, `stdout.txt` / `stderr.txt` in the test directory.
  File,
}

/// Cloned, a test shares its directory: one machine, several runs.
#[derive(Clone)]
pub struct Test {
  /// Shared with the runs, so that `Test::new()….spawn()` keeps it.
  dir: Arc<tempfile::TempDir>,
  program: Program,
  args: Vec<OsString>,
  env: BTreeMap<OsString, OsString>,
  path: Vec<PathBuf>,
  stdio: [Io; 3],
  window: (u16, u16),
  core_dumps: bool,
  /// Where the run starts, relative to the test directory.
  cwd: PathBuf,
  /// Written to stdin (a pipe), which is then closed.
  input: Option<Vec<u8>>,
}

#[derive(Clone)]
enum Program {
  Npmx,
  Other(PathBuf),
}

impl Test {
  /// A directory with the fake npm first on PATH, and npmx to run.
  pub fn new() -> Test {
    let dir = tempfile::Builder::new()
      .prefix("npmx-test-")
      .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
      .unwrap();
    for sub in ["bin", "npmx", "home"] {
      fs::create_dir(dir.path().join(sub)).unwrap();
    }
    std::os::unix::fs::symlink(NPMX, dir.path().join("npmx/npmx")).unwrap();
    install_fake_npm(&dir.path().join("bin/npm"));
    let mut env = BTreeMap::new();
    env.insert("HOME".into(), dir.path().join("home").into());
    let path = vec![
      dir.path().join("bin"),
      dir.path().join("npmx"),
      "/usr/bin".into(),
      "/bin".into(),
    ];
    Test {
      dir: Arc::new(dir),
      program: Program::Npmx,
      args: Vec::new(),
      env,
      path,
      stdio: [Io::Null, Io::Pipe, Io::Pipe],
      window: (123, 45),
      core_dumps: false,
      cwd: PathBuf::new(),
      input: None,
    }
  }

  /// The real npm instead of the fake, with an environment of its own: its
  /// own HOME, cache, empty user and global configs (the machine's global
  /// npmrc sets a cafile), and no update check.
  pub fn real_npm() -> Test {
    let mut t = Test::new();
    fs::remove_file(t.path("bin/npm")).unwrap();
    // PATH: npmx, then where this machine has npm and node.
    let npm = which("npm").expect("npm on PATH");
    let node = which("node").expect("node on PATH");
    t.path = vec![t.path("bin"), t.path("npmx")];
    t.path
      .extend([npm, node].iter().map(|p| p.parent().unwrap().to_owned()));
    t.path.dedup();
    fs::write(t.path("npmrc"), "").unwrap();
    fs::write(t.path("global-npmrc"), "").unwrap();
    let (user, global, cache) = (t.path("npmrc"), t.path("global-npmrc"), t.path("cache"));
    t.env("npm_config_userconfig", user)
      .env("npm_config_globalconfig", global)
      .env("npm_config_cache", cache)
      .env("npm_config_update_notifier", "false")
      .env("npm_config_fund", "false")
  }

  // ---- the scenario ----------------------------------------------------

  pub fn args<I, S>(mut self, args: I) -> Test
  where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
  {
    self.args.extend(args.into_iter().map(Into::into));
    self
  }

  pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Test {
    self.env.insert(key.into(), value.into());
    self
  }

  /// PATH, in order, replacing the default.
  pub fn path_is<I, P>(mut self, dirs: I) -> Test
  where
    I: IntoIterator<Item = P>,
    P: AsRef<Path>,
  {
    self.path = dirs.into_iter().map(|d| self.dir.path().join(d)).collect();
    self
  }

  /// Runs this program (a shim, a link, a shell) instead of npmx.
  pub fn program(mut self, program: impl AsRef<Path>) -> Test {
    self.program = Program::Other(self.dir.path().join(program));
    self
  }

  /// Runs `script` with `sh -c`; `npmx` is on PATH.
  pub fn sh(self, script: &str) -> Test {
    self.program("/bin/sh").args(["-c", script])
  }

  /// Runs `script` with `bash -c`; `npmx` is on PATH.
  pub fn bash(self, script: &str) -> Test {
    self.program("/bin/bash").args(["-c", script])
  }

  /// Runs an interactive bash (no startup files) to type commands into.
  pub fn bash_interactive(self) -> Test {
    self
      .program("/bin/bash")
      .args(["--norc", "--noprofile", "-i"])
  }

  pub fn stdin(mut self, io: Io) -> Test {
    self.stdio[0] = io;
    self
  }

  pub fn stdout(mut self, io: Io) -> Test {
    self.stdio[1] = io;
    self
  }

  pub fn stderr(mut self, io: Io) -> Test {
    self.stdio[2] = io;
    self
  }

  /// All three standard descriptors on one pseudo-terminal.
  pub fn tty(self) -> Test {
    self.stdin(Io::Tty).stdout(Io::Tty).stderr(Io::Tty)
  }

  /// The pseudo-terminal's size, columns by rows.
  pub fn window(mut self, cols: u16, rows: u16) -> Test {
    self.window = (cols, rows);
    self
  }

  /// Allows core dumps (the soft limit raised to the hard one), as on a
  /// machine where they are on, so that a test can see who dumps core.
  pub fn core_dumps(mut self) -> Test {
    self.core_dumps = true;
    self
  }

  /// Starts in this directory (relative to the test's; created).
  pub fn cwd(mut self, relative: impl AsRef<Path>) -> Test {
    fs::create_dir_all(self.path(&relative)).unwrap();
    self.cwd = relative.as_ref().to_owned();
    self
  }

  /// `text` on stdin, then end of file.
  pub fn input(mut self, text: impl AsRef<[u8]>) -> Test {
    self.input = Some(text.as_ref().to_vec());
    self.stdin(Io::Pipe)
  }

  /// npmx writes its report (`NPMX_REPORT`) to `npmx-report.json`.
  pub fn with_report(self) -> Test {
    let report = self.path("npmx-report.json");
    self.env("NPMX_REPORT", report)
  }

  // ---- other npms ----------------------------------------------------------

  /// npm is `tests/support/script-npm`, which writes its debug log over
  /// time as npm does, following `steps` (see the script). Its logs go to
  /// `cache/_logs`, where npm's would with `--cache=<dir>/cache`.
  pub fn scripted_npm(self, steps: &[&str]) -> Test {
    let steps_file = self.write("steps", steps.join("\n") + "\n");
    let logs = self.path("cache/_logs");
    self
      .env("NPMX_NPM", support("script-npm"))
      .env("SCRIPT_NPM", steps_file)
      .env("SCRIPT_LOGS", logs)
  }

  /// npm is `tests/support/replay-npm`, which plays back a captured real
  /// npm run (`fixture`: a directory of `tests/fixtures`), its debug log
  /// written to `cache/_logs` with `/tmp/npmx-e2e` made this test's
  /// directory.
  pub fn replay_npm(self, fixture: &Path) -> Test {
    let (root, logs) = (self.dir().to_owned(), self.path("cache/_logs"));
    self
      .env("NPMX_NPM", support("replay-npm"))
      .env("REPLAY", fixture)
      .env("REPLAY_ROOT", root)
      .env("REPLAY_LOGS", logs)
  }

  // ---- the test directory ------------------------------------------------

  pub fn dir(&self) -> &Path {
    self.dir.path()
  }

  pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
    self.dir.path().join(relative)
  }

  pub fn write(&self, relative: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = self.path(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, bytes).unwrap();
    path
  }

  /// An executable file (a script; `#!` line included in `text`).
  pub fn executable(&self, relative: impl AsRef<Path>, text: impl AsRef<[u8]>) -> PathBuf {
    let path = self.write(relative, text);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
  }

  /// Installs another copy of the fake npm.
  pub fn fake_npm_at(&self, relative: impl AsRef<Path>) -> PathBuf {
    let path = self.path(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    install_fake_npm(&path);
    path
  }

  pub fn read(&self, relative: impl AsRef<Path>) -> Vec<u8> {
    let path = self.path(relative);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
  }

  /// What the fake npm's `report` step wrote.
  pub fn report(&self) -> Report {
    serde_json::from_slice(&self.read("report.json")).unwrap()
  }

  /// The npm npmx should end up running: `NPMX_NPM`, else the first `npm`
  /// on this test's PATH.
  pub fn npm(&self) -> PathBuf {
    if let Some(npm) = self.env.get(OsStr::new("NPMX_NPM")) {
      return npm.into();
    }
    self
      .path
      .iter()
      .map(|d| d.join("npm"))
      .find(|p| p.is_file())
      .expect("an npm on PATH")
  }

  /// A script that runs npm directly, as `run_direct` does (this test's
  /// environment and directory), for code that takes a program path. Its
  /// output goes to `direct-stdout.txt` and `direct-stderr.txt`.
  pub fn direct_script(&self, relative: &str) -> PathBuf {
    let quote = |s: &OsStr| format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"));
    let mut env = self.env.clone();
    env.insert("PATH".into(), std::env::join_paths(&self.path).unwrap());
    let assignments: Vec<String> = env
      .iter()
      .map(|(k, v)| format!("{}={}", k.to_string_lossy(), quote(v)))
      .collect();
    self.executable(
      relative,
      format!(
        "#!/bin/sh\ncd {} || exit 99\nexec env -i {} {} \"$@\" >>direct-stdout.txt 2>>direct-stderr.txt\n",
        quote(self.dir().as_os_str()),
        assignments.join(" "),
        quote(self.npm().as_os_str()),
      ),
    )
  }

  // ---- running -------------------------------------------------------------

  /// Runs the scenario to the end.
  pub fn run(&self) -> Done {
    let mut running = self.spawn();
    if let Some(input) = &self.input {
      running.send(input);
      running.close_stdin();
    }
    running.wait()
  }

  /// Runs npm directly, as npmx would have, for comparisons.
  pub fn run_direct(&self) -> Done {
    self.spawn_direct().wait()
  }

  /// Starts npm directly, as npmx would have, for comparisons.
  pub fn spawn_direct(&self) -> Running {
    self.spawn_program(&self.npm())
  }

  pub fn spawn(&self) -> Running {
    let program = match &self.program {
      Program::Npmx => PathBuf::from(NPMX),
      Program::Other(p) => p.clone(),
    };
    self.spawn_program(&program)
  }

  fn spawn_program(&self, program: &Path) -> Running {
    let mut command = Command::new(program);
    command
      .args(&self.args)
      .env_clear()
      .envs(&self.env)
      .env("PATH", std::env::join_paths(&self.path).unwrap())
      .current_dir(self.dir.path().join(&self.cwd));

    let pty = self
      .stdio
      .contains(&Io::Tty)
      .then(|| Pty::open(self.window));
    for (fd, io) in self.stdio.iter().enumerate() {
      let stdio = match io {
        Io::Tty => Stdio::from(pty.as_ref().unwrap().slave()),
        Io::Pipe => Stdio::piped(),
        Io::Null => Stdio::null(),
        Io::File => {
          let name = if fd == 1 { "stdout.txt" } else { "stderr.txt" };
          Stdio::from(File::create(self.path(name)).unwrap())
        }
      };
      match fd {
        0 => command.stdin(stdio),
        1 => command.stdout(stdio),
        _ => command.stderr(stdio),
      };
    }
    match &pty {
      Some(pty) => {
        let slave = pty.slave.as_ref().unwrap().as_raw_fd();
        // SAFETY: setsid and ioctl are async-signal-safe. A new session with
        // the terminal as its controlling terminal, as a terminal emulator
        // starts a shell: the run is the terminal's foreground group.
        unsafe {
          command.pre_exec(move || {
            if libc::setsid() < 0 || libc::ioctl(slave, libc::TIOCSCTTY, 0) < 0 {
              return Err(std::io::Error::last_os_error());
            }
            Ok(())
          });
        }
      }
      None => {
        command.process_group(0);
      }
    }

    if self.core_dumps {
      // SAFETY: getrlimit and setrlimit are async-signal-safe.
      unsafe {
        command.pre_exec(|| {
          let mut limit = std::mem::zeroed::<libc::rlimit>();
          libc::getrlimit(libc::RLIMIT_CORE, &mut limit);
          limit.rlim_cur = limit.rlim_max;
          libc::setrlimit(libc::RLIMIT_CORE, &limit);
          Ok(())
        });
      }
    }

    let mut child = command
      .spawn()
      .unwrap_or_else(|e| panic!("spawning {}: {e}", program.display()));
    let stdout = child.stdout.take().map(Output::collect);
    let stderr = child.stderr.take().map(Output::collect);
    let stdin = child.stdin.take();
    Running {
      _dir: Arc::clone(&self.dir),
      child: Some(child),
      pty,
      hung_up: Vec::new(),
      stdout,
      stderr,
      stdin,
    }
  }
}

fn install_fake_npm(path: &Path) {
  let node = which("node").expect("node on PATH");
  let text = format!("#!{}\n{FAKE_NPM}", node.display());
  fs::write(path, text).unwrap();
  fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A file of `tests/support`.
pub fn support(name: &str) -> PathBuf {
  Path::new(env!("CARGO_MANIFEST_DIR"))
    .join("tests/support")
    .join(name)
}

/// Finds a program on the test process's own PATH.
pub fn which(name: &str) -> Option<PathBuf> {
  let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
  std::env::split_paths(&path)
    .map(|d| d.join(name))
    .find(|p| p.is_file())
}

/// `bytes` as the `OsString` of a command-line argument.
pub fn os(bytes: &[u8]) -> OsString {
  OsStr::from_bytes(bytes).to_owned()
}
