//! The pseudo-terminal a run can get as its controlling terminal.

use super::*;

/// A pseudo-terminal: the test holds the master side, the run gets the slave
/// as its controlling terminal.
pub(super) struct Pty {
  pub(super) master: File,
  pub(super) slave: Option<OwnedFd>,
  pub(super) output: Output,
  pub(super) stop: Arc<AtomicBool>,
}

impl Pty {
  pub(super) fn open((cols, rows): (u16, u16)) -> Pty {
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

  pub(super) fn slave(&self) -> OwnedFd {
    self.slave.as_ref().unwrap().try_clone().unwrap()
  }

  pub(super) fn send(&self, bytes: &[u8]) {
    (&self.master).write_all(bytes).unwrap();
  }

  pub(super) fn resize(&self, (cols, rows): (u16, u16)) {
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
  pub(super) fn finish(mut self) -> Vec<u8> {
    drop(self.slave.take());
    self.stop.store(true, Ordering::SeqCst);
    self.output.finish()
  }
}

pub(super) struct PtyReader {
  pub(super) master: File,
  pub(super) stop: Arc<AtomicBool>,
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
