//! A run under way (signals, a terminal to type into) and a finished one.

use super::*;

/// A run under way.
pub struct Running {
  pub(super) _dir: Arc<tempfile::TempDir>,
  pub(super) child: Option<Child>,
  pub(super) pty: Option<Pty>,
  /// What the terminal showed before it was hung up.
  pub(super) hung_up: Vec<u8>,
  pub(super) stdout: Option<Output>,
  pub(super) stderr: Option<Output>,
  pub(super) stdin: Option<ChildStdin>,
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

  /// Closes stdin (a pipe): npm reads end of file.
  pub fn close_stdin(&mut self) {
    self.stdin.take();
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
  #[allow(clippy::zombie_processes)] // reaped by wait4, which gives its rusage
  pub fn wait(mut self) -> Done {
    let mut child = self.child.take().unwrap();
    let deadline = Instant::now() + TIMEOUT;
    // wait4 rather than `try_wait`, for the run's peak memory.
    let pid = child.id() as i32;
    let (status, peak_kib) = loop {
      let mut raw = 0;
      // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
      let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
      if unsafe { libc::wait4(pid, &mut raw, libc::WNOHANG, &mut usage) } == pid {
        // Reaped here: `child` must not wait for it again.
        std::mem::forget(child);
        break (ExitStatus::from_raw(raw), usage.ru_maxrss);
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
      peak_kib,
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
  /// The run's peak resident memory in KiB (`ru_maxrss`: the largest of the
  /// program and the children it waited for).
  pub peak_kib: i64,
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
