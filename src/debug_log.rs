//! Following npm's debug log while npm runs.
//!
//! npm ≥ 7 opens `<logs-dir>/<start time>-debug-0.log` as soon as its config
//! is loaded and appends every log line synchronously, at every level, with
//! its sequence number: `16 error code ECONNREFUSED`. The last line of a
//! failed run is `error A complete log of this run can be found in: …`,
//! written without a newline. Long runs continue in `-debug-1.log` and so on.
//!
//! This run's file is the earliest one stamped after npm was started whose
//! `verbose argv` line carries npm's arguments: a lifecycle script's nested
//! npm starts later, and an unrelated npm in another terminal has other
//! arguments. Everything here happens on its own thread, after npm has
//! started, so npm never waits for it; failures only mean less evidence.

use std::{
  collections::HashSet,
  ffi::OsString,
  fs::{self, File},
  io::{Read, Seek, SeekFrom},
  path::{Path, PathBuf},
  time::{Duration, Instant, SystemTime},
};

use crate::{Evidence, Observer, log_identity, prefix, time::log_stamp};

/// A longer line is cut here; the rest up to its newline is skipped.
const MAX_LINE: usize = 64 * 1024;
/// How long npmx relies on the OS alone to name npm's log (see `discover`).
const IDENTITY_GRACE: Duration = Duration::from_secs(1);

/// What identifies this run's log among the others in the directory.
pub(crate) struct Spec {
  pub(crate) dirs: Vec<PathBuf>,
  /// npm was started at or after this stamp.
  pub(crate) since: String,
  /// Plain words from npm's arguments that its `verbose argv` line must hold.
  pub(crate) words: Vec<String>,
  /// npm's process, when the OS can say which log it holds open.
  pub(crate) pid: Option<i32>,
}

impl Spec {
  /// npm takes its stamp from the same clock a moment after it starts, so a
  /// log stamped before `started` is another run's. No slack: a log from a
  /// run just before this one (`npm view x || npm view x`) has the same
  /// arguments, and would be taken for this run's.
  pub(crate) fn new(dirs: Vec<PathBuf>, started: SystemTime, args: &[OsString]) -> Spec {
    Spec {
      dirs,
      since: log_stamp(started),
      words: plain_words(args),
      pid: None,
    }
  }

  /// npm runs as `pid`: ask the OS for its log first.
  pub(crate) fn with_pid(mut self, pid: i32) -> Spec {
    self.pid = Some(pid).filter(|_| log_identity::available());
    self
  }
}

/// Arguments npm will log verbatim. npm logs its arguments as its option
/// parser "cooked" them (`-g` as `--global`, `--reg` as `--registry`, `-D` as
/// `--save-dev`), so option names are left out and only the positional
/// arguments and option values count; `--k=v` counts as its value, as npm
/// logs it apart. Also left out: anything npm would redact (URLs with
/// credentials, npm tokens, UUIDs) or might rewrite (paths).
fn plain_words(args: &[OsString]) -> Vec<String> {
  args
    .iter()
    .filter_map(|a| a.to_str())
    .take_while(|a| *a != "--")
    .filter_map(|a| match a.strip_prefix('-') {
      Some(option) => option.split_once('=').map(|(_, value)| value),
      None => Some(a),
    })
    .filter(|w| {
      !w.is_empty()
        && w.len() <= 100
        && w
          .bytes()
          .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !redacted_by_npm(w)
    })
    .map(str::to_owned)
    .collect()
}

/// npm's log redaction (`@npmcli/redact`) replaces npm tokens (`npm_…`) and
/// UUIDs even in its argument list.
fn redacted_by_npm(word: &str) -> bool {
  let lower = word.to_ascii_lowercase();
  let uuid = |w: &[u8]| {
    w.iter().enumerate().all(|(i, b)| match i {
      8 | 13 | 18 | 23 => *b == b'-',
      _ => b.is_ascii_hexdigit(),
    })
  };
  lower.contains("npm_") || lower.contains("npms_") || lower.as_bytes().windows(36).any(uuid)
}

pub(crate) struct Reader {
  spec: Spec,
  looking_since: Instant,
  current: Option<Current>,
  rejected: HashSet<PathBuf>,
  /// Where the global npmrc of the Node.js npm really runs on puts the logs
  /// (asked of the OS while npm runs: behind a version manager's shim it is
  /// not the `node` on PATH).
  node_dirs: Option<Vec<PathBuf>>,
}

struct Current {
  /// `…/<stamp>-debug-`; files are `<prefix><n>.log`.
  prefix: String,
  index: u32,
  file: File,
  partial: Vec<u8>,
  /// Skipping the rest of a line longer than `MAX_LINE`.
  skipping: bool,
  /// npm numbers its log lines, never going back, and starts with its
  /// command line. Two npms started in the same millisecond have the same
  /// stamp and append to one file; a number going back, or a second
  /// command line, is the other one's, and from then on no line here can be
  /// told to be this run's (`mixed`): npmx says nothing rather than the
  /// other run's diagnosis.
  last_number: u64,
  heads: usize,
  mixed: bool,
}

impl Reader {
  pub(crate) fn new(spec: Spec) -> Reader {
    Reader {
      spec,
      looking_since: Instant::now(),
      current: None,
      rejected: HashSet::new(),
      node_dirs: None,
    }
  }

  /// Feeds every complete new line to the observer; at the end (`last`) the
  /// unterminated last line too. Returns whether anything was read.
  pub(crate) fn poll(&mut self, observer: &mut dyn Observer, last: bool) -> bool {
    if self.current.is_none() {
      self.current = self.discover(last);
    }
    let Some(current) = &mut self.current else {
      return false;
    };
    let mut any = false;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
      match current.file.read(&mut buf) {
        Ok(0) | Err(_) => {
          // Continued in the next file? npm rotates at a line limit.
          let next = format!("{}{}.log", current.prefix, current.index + 1);
          match File::open(&next) {
            Ok(file) => {
              current.flush_partial(observer);
              current.file = file;
              current.index += 1;
              current.last_number = 0;
              continue;
            }
            Err(_) => break,
          }
        }
        Ok(n) => {
          any = true;
          current.feed(&buf[..n], observer);
        }
      }
    }
    if last {
      current.flush_partial(observer);
    }
    any
  }

  /// npm's log. While npm runs and the OS can say, only the file npm holds
  /// open counts (two npms in one directory each get their own); once npm
  /// has exited (`last`), or where the OS cannot say, the stamp and argv.
  fn discover(&mut self, last: bool) -> Option<Current> {
    if let Some(pid) = self.spec.pid {
      if let Some(path) = log_identity::open_log(pid) {
        return Current::open(path);
      }
      if self.node_dirs.is_none() {
        self.node_dirs = log_identity::node_exe(pid)
          .map(|node| prefix::logs_dirs_of_node(&node, crate::Env::current().home().as_deref()));
      }
      // npm opens its log at once; one that holds none a while later
      // writes it otherwise (whole at exit, or not held open): then the
      // stamp and the arguments decide.
      if !last && self.looking_since.elapsed() < IDENTITY_GRACE {
        return None;
      }
    }
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    let extra = self.node_dirs.iter().flatten();
    for dir in self.spec.dirs.iter().chain(extra) {
      let Ok(entries) = fs::read_dir(dir) else {
        continue;
      };
      for entry in entries.flatten() {
        // A FIFO or a directory named like a log must not stall discovery:
        // opening a FIFO to read waits for a writer.
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
          continue;
        }
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stamp) = name
          .strip_suffix("-debug-0.log")
          .or_else(|| name.strip_suffix("-debug.log"))
        else {
          continue;
        };
        if stamp.len() == 24 && stamp >= self.spec.since.as_str() {
          found.push((stamp.to_owned(), entry.path()));
        }
      }
    }
    found.sort();
    found.dedup();
    // Of the logs that carry all of this run's words, the one with the
    // fewest words besides, then the earliest: `npm install` and `npm
    // install beta` started together each take their own.
    let mut best: Option<(usize, PathBuf)> = None;
    for (_, path) in found {
      if self.rejected.contains(&path) {
        continue;
      }
      match self.confirm(&path) {
        // The stamp and the arguments fit, but another live process (an
        // npm started beside this one) holds the file: it is that npm's.
        Some(Some(_))
          if self
            .spec
            .pid
            .is_some_and(|pid| log_identity::held_elsewhere(&path, pid)) =>
        {
          self.rejected.insert(path);
        }
        Some(Some(others)) => {
          if best.as_ref().is_none_or(|(fewest, _)| others < *fewest) {
            best = Some((others, path));
          }
        }
        Some(None) => {
          self.rejected.insert(path);
        }
        // Not enough written yet to tell: look at the next one (an
        // earlier file that later confirms is picked up on a later poll only
        // if no later one matched).
        None => continue,
      }
    }
    best.and_then(|(_, path)| Current::open(path))
  }

  /// Whether the log's `verbose argv` line carries this run's words, and if
  /// so how many plain words it has besides; `None` if that line is not
  /// written yet.
  fn confirm(&self, path: &Path) -> Option<Option<usize>> {
    let mut head = Vec::new();
    // A long command line (30 KB of arguments), or a log npm wrote whole at
    // exit with argv near its end (npm 6–8.2): read far enough.
    File::open(path)
      .ok()?
      .take(4 * 1024 * 1024)
      .read_to_end(&mut head)
      .ok()?;
    let head = String::from_utf8_lossy(&head);
    let argv = head
      .lines()
      .find_map(|l| l.split_once(" verbose argv ").map(|(_, rest)| rest));
    let Some(argv) = argv else {
      // npm 8.3–8.5 log argv only at exit: no argv yet says nothing.
      return None;
    };
    let args: Vec<String> = serde_json::Deserializer::from_str(argv)
      .into_iter::<String>()
      .map_while(Result::ok)
      .collect();
    let logged: HashSet<&str> = args.iter().flat_map(|a| a.splitn(2, '=')).collect();
    if !self.spec.words.iter().all(|w| logged.contains(w.as_str())) {
      return Some(None);
    }
    let args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
    Some(Some(
      plain_words(&args)
        .len()
        .saturating_sub(self.spec.words.len()),
    ))
  }
}

impl Current {
  fn open(path: PathBuf) -> Option<Current> {
    let mut file = File::open(&path).ok()?;
    file.seek(SeekFrom::Start(0)).ok()?;
    let name = path.to_string_lossy();
    let prefix = match name.strip_suffix("0.log") {
      Some(p) if name.ends_with("-debug-0.log") => p.to_owned(),
      _ => format!("{}-", name.strip_suffix(".log").unwrap_or(&name)),
    };
    Some(Current {
      prefix,
      index: 0,
      file,
      partial: Vec::new(),
      skipping: false,
      last_number: 0,
      heads: 0,
      mixed: false,
    })
  }

  fn feed(&mut self, mut bytes: &[u8], observer: &mut dyn Observer) {
    while let Some(newline) = memchr::memchr(b'\n', bytes) {
      self.push(&bytes[..newline]);
      self.skipping = false;
      self.flush_partial(observer);
      bytes = &bytes[newline + 1..];
    }
    self.push(bytes);
  }

  fn push(&mut self, bytes: &[u8]) {
    if self.skipping {
      return;
    }
    let room = MAX_LINE.saturating_sub(self.partial.len());
    self
      .partial
      .extend_from_slice(&bytes[..bytes.len().min(room)]);
    if bytes.len() > room {
      self.skipping = true;
    }
  }

  fn flush_partial(&mut self, observer: &mut dyn Observer) {
    if self.partial.is_empty() {
      return;
    }
    let line = String::from_utf8_lossy(&self.partial);
    let line = line.strip_suffix('\r').unwrap_or(&line);
    let number = line
      .split_once(' ')
      .and_then(|(n, _)| n.parse::<u64>().ok());
    if let Some(n) = number {
      // A number going back, or a second run's first line: `0 verbose cli
      // <node> <npm>` (npm 8+), or the opening `verbose cli [` of npm 6–7,
      // which spread the command line over indented lines up to `verbose
      // cli ]`.
      let head = n <= 1
        && line
          .split_once(" verbose cli ")
          .is_some_and(|(_, rest)| !rest.starts_with(' ') && rest.trim() != "]");
      self.mixed |= n < self.last_number || (head && self.heads > 0);
      self.heads += usize::from(head);
      self.last_number = n;
    }
    if !self.mixed {
      observer.observe(Evidence::LogLine(line));
    }
    self.partial.clear();
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[derive(Default)]
  struct Lines(Vec<String>);
  impl Observer for Lines {
    fn observe(&mut self, evidence: Evidence<'_>) {
      if let Evidence::LogLine(l) = evidence {
        self.0.push(l.to_owned());
      }
    }
  }

  fn spec(dir: &Path, words: &[&str]) -> Spec {
    Spec {
      dirs: vec![dir.to_owned()],
      since: "2026-01-01T00_00_00_000Z".into(),
      words: words.iter().map(|w| w.to_string()).collect(),
      pid: None,
    }
  }

  #[test]
  fn of_logs_with_all_our_words_the_one_with_no_others_wins() {
    // `npm install beta` and `npm install` started together, the first
    // stamped first: each run takes its own log.
    let dir = tempfile::tempdir().unwrap();
    let log = |stamp: &str, body: &str| {
      fs::write(dir.path().join(format!("{stamp}-debug-0.log")), body).unwrap()
    };
    log(
      "2026-01-01T00_00_01_000Z",
      "0 verbose argv \"install\" \"beta\"\n1 error code E404\n",
    );
    log(
      "2026-01-01T00_00_01_001Z",
      "0 verbose argv \"install\"\n1 error code ECONNREFUSED\n",
    );
    for (words, want) in [
      (&["install"][..], "1 error code ECONNREFUSED"),
      (&["install", "beta"][..], "1 error code E404"),
    ] {
      let mut reader = Reader::new(spec(dir.path(), words));
      let mut lines = Lines::default();
      reader.poll(&mut lines, true);
      assert_eq!(lines.0.last().unwrap(), want, "{words:?}");
    }
  }

  #[test]
  fn picks_the_earliest_new_log_with_our_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let log = |stamp: &str, body: &str| {
      fs::write(dir.path().join(format!("{stamp}-debug-0.log")), body).unwrap()
    };
    log(
      "2025-12-31T23_59_59_999Z",
      "0 verbose argv \"view\" \"x\"\n1 error old\n",
    );
    log(
      "2026-01-01T00_00_01_000Z",
      "0 verbose argv \"install\"\n1 error other\n",
    );
    log(
      "2026-01-01T00_00_02_000Z",
      "0 verbose argv \"view\" \"--registry\" \"http://r\" \"x\"\n1 error code E404\n2 error partial",
    );
    log(
      "2026-01-01T00_00_03_000Z",
      "0 verbose argv \"view\" \"x\"\n1 error nested\n",
    );
    let mut reader = Reader::new(spec(dir.path(), &["view", "x"]));
    let mut lines = Lines::default();
    reader.poll(&mut lines, false);
    assert_eq!(lines.0.last().unwrap(), "1 error code E404");
    reader.poll(&mut lines, true);
    assert_eq!(lines.0.last().unwrap(), "2 error partial");
  }

  #[test]
  fn npm_6_s_command_line_over_several_lines_is_one_run() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
      dir.path().join("2026-01-01T00_00_01_000Z-debug.log"),
      "0 info it worked if it ends with ok\n1 verbose cli [\n1 verbose cli   '/usr/bin/node',\n\
       1 verbose cli   'ci'\n1 verbose cli ]\n2 info using npm@6.14.18\n3 verbose stack Error: x\n\
       3 verbose stack     at y\n4 verbose argv \"ci\"\n5 error code E404\n",
    )
    .unwrap();
    let mut reader = Reader::new(spec(dir.path(), &["ci"]));
    let mut lines = Lines::default();
    reader.poll(&mut lines, true);
    assert_eq!(lines.0.last().unwrap(), "5 error code E404");
  }

  #[test]
  fn a_log_two_npms_write_at_once_is_nobody_s() {
    // Same stamp, one file: the second npm's numbering starts again.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
      dir.path().join("2026-01-01T00_00_01_000Z-debug-0.log"),
      "0 verbose cli node npm\n0 verbose cli   more\n1 verbose argv \"ci\"\n\
       0 verbose cli node npm\n2 error code E404\n1 verbose argv \"ci\"\n2 error code ECONNREFUSED\n",
    )
    .unwrap();
    let mut reader = Reader::new(spec(dir.path(), &["ci"]));
    let mut lines = Lines::default();
    reader.poll(&mut lines, true);
    assert_eq!(
      lines.0,
      [
        "0 verbose cli node npm",
        "0 verbose cli   more",
        "1 verbose argv \"ci\""
      ]
    );
  }

  #[test]
  fn follows_into_the_next_file_and_bounds_long_lines() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("2026-02-01T00_00_00_000Z-debug-0.log");
    let long = "x".repeat(MAX_LINE * 3);
    fs::write(
      &first,
      format!("0 verbose argv \"ci\"\n1 silly {long}\n2 info a\n"),
    )
    .unwrap();
    fs::write(
      dir.path().join("2026-02-01T00_00_00_000Z-debug-1.log"),
      "3 error code E403",
    )
    .unwrap();
    let mut reader = Reader::new(spec(dir.path(), &["ci"]));
    let mut lines = Lines::default();
    reader.poll(&mut lines, true);
    assert_eq!(lines.0.len(), 4);
    assert_eq!(lines.0[1].len(), MAX_LINE);
    assert_eq!(lines.0[2], "2 info a");
    assert_eq!(lines.0[3], "3 error code E403");
  }

  #[test]
  fn plain_words_leave_out_what_npm_may_redact_or_rewrite() {
    let words = |args: &[&str]| plain_words(&args.iter().map(OsString::from).collect::<Vec<_>>());
    assert_eq!(
      words(&[
        "publish",
        "--otp=123456",
        "--registry",
        "https://u:p@r/",
        "./dir",
        "--",
        "x",
      ]),
      ["publish", "123456"]
    );
    // Option names, which npm logs expanded (`-D` as `--save-dev`).
    assert_eq!(
      words(&[
        "i",
        "-D",
        "--reg=http://r/",
        "--fetch-retries=0",
        "-gD",
        "left-pad"
      ]),
      ["i", "0", "left-pad"]
    );
    // What npm's log redaction replaces.
    assert_eq!(
      words(&[
        "view",
        "npm_abcdefghijklmnopqrstuvwxyz0123456789",
        "123e4567-e89b-12d3-a456-426614174000",
        "is-number",
      ]),
      ["view", "is-number"]
    );
  }
}
