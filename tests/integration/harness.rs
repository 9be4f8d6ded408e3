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

pub const NPMX: &str = env!("CARGO_BIN_EXE_npmx");
const FAKE_NPM: &str = include_str!("fake-npm.js");

/// Only against hangs: a run that takes this long has failed.
pub const TIMEOUT: Duration = Duration::from_secs(60);

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
    self.spawn().wait()
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
      .current_dir(self.dir.path());

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

/// Finds a program on the test process's own PATH.
pub fn which(name: &str) -> Option<PathBuf> {
  let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
  std::env::split_paths(&path)
    .map(|d| d.join(name))
    .find(|p| p.is_file())
}

/// A run under way.
pub struct Running {
  _dir: Arc<tempfile::TempDir>,
  child: Option<Child>,
  pty: Option<Pty>,
  /// What the terminal showed before it was hung up.
  hung_up: Vec<u8>,
  stdout: Option<Output>,
  stderr: Option<Output>,
  stdin: Option<ChildStdin>,
}

impl Running {
  pub fn pid(&self) -> i32 {
    self.child.as_ref().unwrap().id() as i32
  }

  /// Waits until stdout (a pipe) holds `needle`; returns all of it so far.
  pub fn expect_stdout(&self, needle: &str) -> String {
    self
      .stdout
      .as_ref()
      .expect("stdout is a pipe")
      .expect(needle)
  }

  /// Waits until the terminal shows `needle`; returns all it showed so far.
  pub fn expect_tty(&self, needle: &str) -> String {
    self.pty.as_ref().expect("a terminal").output.expect(needle)
  }

  /// Types into the terminal, or writes into the stdin pipe.
  pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
    match (&mut self.stdin, &self.pty) {
      (Some(stdin), _) => stdin.write_all(bytes.as_ref()).unwrap(),
      (None, Some(pty)) => pty.send(bytes.as_ref()),
      (None, None) => panic!("stdin is neither a pipe nor a terminal"),
    }
  }

  /// Resizes the terminal, as a terminal window does.
  pub fn resize(&self, cols: u16, rows: u16) {
    self.pty.as_ref().expect("a terminal").resize((cols, rows));
  }

  /// Hangs the terminal up, as closing a terminal window or losing an ssh
  /// connection does: the test lets go of both of its sides.
  pub fn hang_up(&mut self) {
    let pty = self.pty.take().expect("a terminal");
    self.hung_up = pty.finish();
  }

  /// Sends `signal` to the process npmx (or the program) alone.
  pub fn kill(&self, signal: libc::c_int) {
    // SAFETY: our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0);
  }

  /// Waits for the program to exit, and for the pipes it leaves open to close.
  pub fn wait(mut self) -> Done {
    let mut child = self.child.take().unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
      if let Some(status) = child.try_wait().unwrap() {
        break status;
      }
      if Instant::now() > deadline {
        kill_group(child.id() as i32);
        let _ = child.wait();
        panic!(
          "timed out; stdout: {:?}; stderr: {:?}; terminal: {:?}",
          self.stdout.as_ref().map(Output::text),
          self.stderr.as_ref().map(Output::text),
          self.pty.as_ref().map(|p| p.output.text()),
        );
      }
      thread::sleep(Duration::from_millis(5));
    };
    drop(self.stdin.take());
    let stdout = self.stdout.take().map(Output::finish).unwrap_or_default();
    let stderr = self.stderr.take().map(Output::finish).unwrap_or_default();
    let tty = match self.pty.take() {
      Some(pty) => pty.finish(),
      None => std::mem::take(&mut self.hung_up),
    };
    Done {
      status,
      stdout,
      stderr,
      tty,
    }
  }
}

impl Drop for Running {
  fn drop(&mut self) {
    if let Some(mut child) = self.child.take() {
      kill_group(child.id() as i32);
      let _ = child.wait();
    }
  }
}

fn kill_group(pgid: i32) {
  // SAFETY: the group (or session) of our own child, which nothing else uses.
  unsafe { libc::kill(-pgid, libc::SIGKILL) };
}

/// A finished run.
#[derive(Debug)]
pub struct Done {
  pub status: ExitStatus,
  pub stdout: Vec<u8>,
  pub stderr: Vec<u8>,
  /// What the terminal showed (output post-processing makes `\n` `\r\n`).
  pub tty: Vec<u8>,
}

impl Done {
  pub fn code(&self) -> Option<i32> {
    self.status.code()
  }

  pub fn signal(&self) -> Option<i32> {
    self.status.signal()
  }

  pub fn stdout(&self) -> String {
    String::from_utf8_lossy(&self.stdout).into_owned()
  }

  pub fn stderr(&self) -> String {
    String::from_utf8_lossy(&self.stderr).into_owned()
  }

  pub fn tty(&self) -> String {
    String::from_utf8_lossy(&self.tty).into_owned()
  }

  /// Asserts a clean exit with `code`, showing the output if not.
  #[track_caller]
  pub fn assert_code(&self, code: i32) -> &Done {
    assert_eq!(
      self.code(),
      Some(code),
      "status {:?}\nstdout: {}\nstderr: {}\nterminal: {}",
      self.status,
      self.stdout(),
      self.stderr(),
      self.tty()
    );
    self
  }
}

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

// ---- collecting output ------------------------------------------------------

/// Bytes arriving on a pipe or terminal, gathered by a thread.
#[derive(Clone, Default)]
struct Buffer(Arc<(Mutex<Received>, Condvar)>);

#[derive(Default)]
struct Received {
  bytes: Vec<u8>,
  /// The writing side is closed: nothing more will come.
  closed: bool,
}

impl Buffer {
  /// The bytes so far. A test that failed while waiting poisons the lock;
  /// the reader thread must not fail with it.
  fn lock(&self) -> std::sync::MutexGuard<'_, Received> {
    self.0.0.lock().unwrap_or_else(|e| e.into_inner())
  }

  fn push(&self, bytes: &[u8]) {
    self.lock().bytes.extend_from_slice(bytes);
    self.0.1.notify_all();
  }

  fn close(&self) {
    self.lock().closed = true;
    self.0.1.notify_all();
  }

  fn text(&self) -> String {
    String::from_utf8_lossy(&self.lock().bytes).into_owned()
  }

  /// Waits until the bytes so far contain `needle`; returns them as text.
  fn expect(&self, needle: &str) -> String {
    let deadline = Instant::now() + TIMEOUT;
    let mut received = self.lock();
    loop {
      let text = String::from_utf8_lossy(&received.bytes).into_owned();
      if text.contains(needle) {
        return text;
      }
      let left = deadline.saturating_duration_since(Instant::now());
      assert!(
        !received.closed && !left.is_zero(),
        "never saw {needle:?}; got {text:?}"
      );
      received = self.0.1.wait_timeout(received, left).unwrap().0;
    }
  }

  fn expect_closed(&self) {
    let (received, timeout) = self
      .0
      .1
      .wait_timeout_while(self.lock(), TIMEOUT, |r| !r.closed)
      .unwrap();
    assert!(
      !timeout.timed_out(),
      "a pipe stayed open: {:?}",
      String::from_utf8_lossy(&received.bytes)
    );
  }

  fn take(&self) -> Vec<u8> {
    std::mem::take(&mut self.lock().bytes)
  }
}

struct Output {
  buffer: Buffer,
  thread: JoinHandle<()>,
}

impl Output {
  fn collect(mut source: impl Read + Send + 'static) -> Output {
    let buffer = Buffer::default();
    let sink = buffer.clone();
    let thread = thread::spawn(move || {
      let mut chunk = vec![0; 64 * 1024];
      while let Ok(n @ 1..) = source.read(&mut chunk) {
        sink.push(&chunk[..n]);
      }
      sink.close();
    });
    Output { buffer, thread }
  }

  fn expect(&self, needle: &str) -> String {
    self.buffer.expect(needle)
  }

  fn text(&self) -> String {
    self.buffer.text()
  }

  /// Everything, once every writer has closed the pipe: the pipe stays open
  /// as long as any process holds it, npm included.
  fn finish(self) -> Vec<u8> {
    self.buffer.expect_closed();
    self.thread.join().unwrap();
    self.buffer.take()
  }
}

// ---- the pseudo-terminal ------------------------------------------------------

/// A pseudo-terminal: the test holds the master side, the run gets the slave
/// as its controlling terminal.
struct Pty {
  master: File,
  slave: Option<OwnedFd>,
  output: Output,
  stop: Arc<AtomicBool>,
}

impl Pty {
  fn open((cols, rows): (u16, u16)) -> Pty {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
      ws_row: rows,
      ws_col: cols,
      ws_xpixel: 0,
      ws_ypixel: 0,
    };
    // SAFETY: out-pointers to locals; default terminal settings.
    let rc = unsafe {
      libc::openpty(
        &mut master,
        &mut slave,
        std::ptr::null_mut(),
        std::ptr::null(),
        &size,
      )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    for fd in [master, slave] {
      // SAFETY: descriptors we own; only the copies placed on 0-2 reach the run.
      unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: openpty just returned these descriptors.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let master = File::from(master);
    let stop = Arc::new(AtomicBool::new(false));
    let reader = PtyReader {
      master: master.try_clone().unwrap(),
      stop: Arc::clone(&stop),
    };
    Pty {
      master,
      slave: Some(slave),
      output: Output::collect(reader),
      stop,
    }
  }

  fn slave(&self) -> OwnedFd {
    self.slave.as_ref().unwrap().try_clone().unwrap()
  }

  fn send(&self, bytes: &[u8]) {
    (&self.master).write_all(bytes).unwrap();
  }

  fn resize(&self, (cols, rows): (u16, u16)) {
    let size = libc::winsize {
      ws_row: rows,
      ws_col: cols,
      ws_xpixel: 0,
      ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ with a valid winsize on our master.
    assert_eq!(
      unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &size) },
      0
    );
  }

  /// Everything the terminal showed. The test held the slave open all along,
  /// so nothing written to it can be lost; closing it now ends the output
  /// once the last byte is read (or, if a straggler still holds it, once
  /// nothing has come for a while). Dropping the master afterwards hangs the
  /// terminal up if the run still uses it.
  fn finish(mut self) -> Vec<u8> {
    drop(self.slave.take());
    self.stop.store(true, Ordering::SeqCst);
    self.output.finish()
  }
}

struct PtyReader {
  master: File,
  stop: Arc<AtomicBool>,
}

impl Read for PtyReader {
  fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
      let mut poll = libc::pollfd {
        fd: self.master.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
      };
      // SAFETY: one valid pollfd.
      let ready = unsafe { libc::poll(&mut poll, 1, 100) };
      if ready > 0 {
        // EIO once no one holds the slave any more: the end.
        return self.master.read(buf).or(Ok(0));
      }
      if self.stop.load(Ordering::SeqCst) {
        return Ok(0);
      }
    }
  }
}

/// `bytes` as the `OsString` of a command-line argument.
pub fn os(bytes: &[u8]) -> OsString {
  OsStr::from_bytes(bytes).to_owned()
}
