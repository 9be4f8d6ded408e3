//! Following npm's debug log while npm runs: when to look, how often, and
//! handing npm's exit to the observer. Where the log is and how it is read
//! is `debug_log`.

use std::{
  ffi::OsString,
  path::{Path, PathBuf},
  process::ExitStatus,
  sync::{Arc, Condvar, Mutex, mpsc},
  thread,
  time::{Duration, Instant, SystemTime},
};

use crate::{
  Evidence, Observer,
  debug_log::{Reader, Spec},
};

/// How often npmx reads what npm added to its log while npm runs.
const POLL: Duration = Duration::from_millis(100);
/// How long npm may linger after its error block before npmx speaks anyway.
const LINGER: Duration = Duration::from_millis(250);
/// How long npmx waits, after npm exits, for the last lines and the diagnosis.
const FINISH: Duration = Duration::from_secs(2);

/// Following npm's log: on a thread of its own once npm has run for a
/// while ([`Follow::start`]), or, for a run that was over sooner, once, by
/// whoever calls [`Follow::finish`]. Short runs (most `npm run` and `npx`
/// calls that fail early, and every call in the start-up benchmark) thus
/// cost no thread at all.
pub(crate) struct Follow {
  job: Option<Job>,
  thread: Option<Running>,
}

/// Works out, from npm's arguments, where its log will be.
type SpecFn = Box<dyn FnOnce(&[OsString]) -> Spec + Send>;

/// What following needs, until it starts.
struct Job {
  argv: Vec<OsString>,
  spec: SpecFn,
  observer: Box<dyn Observer>,
}

/// The thread, started.
struct Running {
  state: Arc<(Mutex<Option<ExitStatus>>, Condvar)>,
  done: mpsc::Receiver<()>,
}

/// Not started yet: see [`Follow::start`] and [`Follow::finish`]. `spec`
/// reads npm's configuration to find the log directory.
pub(crate) fn follow(
  argv: Vec<OsString>,
  spec: impl FnOnce(&[OsString]) -> Spec + Send + 'static,
  observer: Box<dyn Observer>,
) -> Follow {
  Follow {
    job: Some(Job {
      argv,
      spec: Box::new(spec),
      observer,
    }),
    thread: None,
  }
}

impl Follow {
  /// Follows on a thread from now on, looking for the log first after
  /// `first_look` (the time npm is left alone to start, if it has not had
  /// it already).
  pub(crate) fn start(&mut self, first_look: Duration) {
    let Some(job) = self.job.take() else {
      return;
    };
    let state = Arc::new((Mutex::new(None), Condvar::new()));
    let (tx, done) = mpsc::channel();
    let shared = Arc::clone(&state);
    let spawned = thread::Builder::new()
      .name("npmx-log".into())
      .spawn(move || {
        // Where the log will be, worked out while npm runs; a run over
        // within `first_look` is read once, at its end.
        job.follow(
          |reader, observer| match wait_for_exit(&shared, first_look) {
            Some(status) => status,
            None => watch(reader, observer, &shared),
          },
        );
        let _ = tx.send(());
      });
    // No thread, no evidence: npm runs on regardless.
    if spawned.is_ok() {
      self.thread = Some(Running { state, done });
    }
  }

  /// npm has exited: let the thread read the rest, deliver the exit, and
  /// finish, waiting for it a bounded time; or, if it never started, read
  /// the log once here.
  ///
  /// A run that never needed the thread and succeeded is not read at all,
  /// unless the observer needs every exit (a report to write): a successful
  /// run is diagnosed only for an expired token the registry named, and no
  /// npm gets as far as a registry's answer within [`FIRST_LOOK`] (Node.js
  /// alone takes most of it to start); reading npm's configuration to look
  /// would only slow down every such run.
  pub(crate) fn finish(mut self, status: ExitStatus) {
    if let Some(Running { state, done }) = self.thread.take() {
      let (lock, cond) = &*state;
      *lock.lock().unwrap_or_else(|e| e.into_inner()) = Some(status);
      cond.notify_all();
      let _ = done.recv_timeout(FINISH);
      return;
    }
    let Some(job) = self.job.take() else {
      return;
    };
    if status.success() && !job.observer.needs_every_exit() {
      return;
    }
    job.follow(|_, _| status);
  }
}

impl Job {
  /// The observer learns npm's arguments and the reader where the log is;
  /// `until_exit` gives npm's exit status (watching the log meanwhile, or
  /// not); then the rest of the log is read and the exit delivered.
  fn follow(self, until_exit: impl FnOnce(&mut Reader, &mut dyn Observer) -> ExitStatus) {
    let Job {
      argv,
      spec,
      mut observer,
    } = self;
    observer.observe(Evidence::Started { argv: &argv });
    let mut reader = Reader::new(spec(&argv));
    let status = until_exit(&mut reader, observer.as_mut());
    reader.poll(observer.as_mut(), true);
    observer.observe(Evidence::Exited(status));
  }
}

/// When npmx first looks for the log, unless npm has exited before.
pub(crate) const FIRST_LOOK: Duration = Duration::from_millis(50);

/// npm's exit status, if it exits within `timeout`.
fn wait_for_exit(
  state: &(Mutex<Option<ExitStatus>>, Condvar),
  timeout: Duration,
) -> Option<ExitStatus> {
  let (lock, cond) = state;
  let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
  let (guard, _) = cond
    .wait_timeout_while(guard, timeout, |s| s.is_none())
    .unwrap_or_else(|e| e.into_inner());
  *guard
}

/// Reads what npm has added every `POLL` until npm exits; once npm's error
/// block is closed, watches for npm lingering. Returns the exit status.
fn watch(
  reader: &mut Reader,
  observer: &mut dyn Observer,
  state: &(Mutex<Option<ExitStatus>>, Condvar),
) -> ExitStatus {
  let mut block_done_at: Option<Instant> = None;
  let mut lingering_told = false;
  loop {
    reader.poll(observer, false);
    observer.observe(Evidence::Tick);
    let mut interval = POLL;
    if observer.error_block_complete() {
      let at = *block_done_at.get_or_insert_with(Instant::now);
      if !lingering_told && at.elapsed() >= LINGER {
        observer.observe(Evidence::Lingering);
        lingering_told = true;
      }
      interval = LINGER / 5;
    }
    if let Some(status) = wait_for_exit(state, interval) {
      return status;
    }
  }
}

/// For tests: follow the log of an npm run in `dirs` the way a live run does,
/// and return the lines seen.
#[doc(hidden)]
pub fn follow_for_test(
  npm: &Path,
  args: &[OsString],
  dirs: Vec<PathBuf>,
) -> std::io::Result<(ExitStatus, Vec<String>)> {
  #[derive(Default)]
  struct Record(Arc<Mutex<Vec<String>>>);
  impl Observer for Record {
    fn observe(&mut self, evidence: Evidence<'_>) {
      if let Evidence::LogLine(line) = evidence {
        self.0.lock().unwrap().push(line.to_owned());
      }
    }
  }
  let lines = Arc::new(Mutex::new(Vec::new()));
  let started = SystemTime::now();
  let mut child = std::process::Command::new(npm).args(args).spawn()?;
  let mut follow = follow(
    args.to_vec(),
    move |argv| Spec::new(dirs, started, argv),
    Box::new(Record(Arc::clone(&lines))),
  );
  follow.start(FIRST_LOOK);
  let status = child.wait()?;
  follow.finish(status);
  let lines = lines.lock().unwrap().clone();
  Ok((status, lines))
}
