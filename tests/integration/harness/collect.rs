//! Collecting a run's output from pipes as it comes.

use super::*;

/// Bytes arriving on a pipe or terminal, gathered by a thread.
#[derive(Clone, Default)]
struct Buffer(Arc<(Mutex<Received>, Condvar)>);

#[derive(Default)]
struct Received {
  pub(super) bytes: Vec<u8>,
  /// The writing side is closed: nothing more will come.
  pub(super) closed: bool,
}

impl Buffer {
  /// The bytes so far. A test that failed while waiting poisons the lock;
  /// the reader thread must not fail with it.
  pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Received> {
    self.0.0.lock().unwrap_or_else(|e| e.into_inner())
  }

  pub(super) fn push(&self, bytes: &[u8]) {
    self.lock().bytes.extend_from_slice(bytes);
    self.0.1.notify_all();
  }

  pub(super) fn close(&self) {
    self.lock().closed = true;
    self.0.1.notify_all();
  }

  pub(super) fn text(&self) -> String {
    String::from_utf8_lossy(&self.lock().bytes).into_owned()
  }

  /// Waits until the bytes so far contain `needle`; returns them as text.
  pub(super) fn expect(&self, needle: &str) -> String {
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

  pub(super) fn expect_closed(&self) {
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

  pub(super) fn take(&self) -> Vec<u8> {
    std::mem::take(&mut self.lock().bytes)
  }
}

pub(super) struct Output {
  buffer: Buffer,
  thread: JoinHandle<()>,
}

impl Output {
  pub(super) fn collect(mut source: impl Read + Send + 'static) -> Output {
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

  pub(super) fn expect(&self, needle: &str) -> String {
    self.buffer.expect(needle)
  }

  pub(super) fn text(&self) -> String {
    self.buffer.text()
  }

  /// Everything, once every writer has closed the pipe: the pipe stays open
  /// as long as any process holds it, npm included.
  pub(super) fn finish(self) -> Vec<u8> {
    self.buffer.expect_closed();
    self.thread.join().unwrap();
    self.buffer.take()
  }
}
