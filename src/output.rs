//! The one way out of npmx.
//!
//! Everything npmx prints or writes — its text on stderr, the report, GitHub
//! annotations and step summary, `--npmx-doctor` — is a [`Clean`], and the
//! writers below take nothing else. A `Clean` can only be made by
//! [`Redactor::clean`](crate::redact::Redactor::clean) (secrets masked,
//! control characters and escape sequences neutralised), from a literal in
//! npmx's own source, or by the [`clean!`] macro, whose format string is a
//! literal and whose arguments must themselves be `Clean` (or numbers). So
//! text from a registry, a log or a cloned repository cannot reach a writer
//! without passing the redactor, whatever path it took through the code.

use std::{borrow::Cow, fmt, fs::OpenOptions, io::Write, path::Path, sync::mpsc, time::Duration};

use owo_colors::OwoColorize;

/// Text fit to leave npmx.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Clean(String);

/// `clean!("{}. {}", n, step)`: formats `Clean` pieces (and numbers) with a
/// literal format string of npmx's own; the result is `Clean`.
macro_rules! clean {
  ($fmt:literal $(, $arg:expr)* $(,)?) => {
    $crate::output::Clean::__formatted(format!($fmt $(, $crate::output::Piece::piece(&$arg))*))
  };
}
pub(crate) use clean;

/// What [`clean!`] accepts as an argument: text already clean, or a number.
pub(crate) trait Piece {
  fn piece(&self) -> &dyn fmt::Display;
}

impl Piece for Clean {
  fn piece(&self) -> &dyn fmt::Display {
    &self.0
  }
}

impl Piece for &Clean {
  fn piece(&self) -> &dyn fmt::Display {
    &self.0
  }
}

macro_rules! number_pieces {
  ($($t:ty),*) => {$(
    impl Piece for $t {
      fn piece(&self) -> &dyn fmt::Display {
        self
      }
    }
  )*};
}
number_pieces!(u8, u16, u32, u64, usize, i32, i64);

impl Clean {
  /// npmx's own words: a literal from npmx's source.
  pub(crate) fn ours(text: &'static str) -> Clean {
    Clean(text.to_owned())
  }

  /// Only the [`clean!`] macro calls this: its format string is a literal
  /// and every argument a `Piece`.
  #[doc(hidden)]
  pub(crate) fn __formatted(text: String) -> Clean {
    Clean(text)
  }

  /// Made by [`Redactor::clean`](crate::redact::Redactor::clean), and only there.
  pub(crate) fn redacted(text: String) -> Clean {
    Clean(text)
  }

  pub(crate) fn as_str(&self) -> &str {
    &self.0
  }

  /// Without leading white space: a piece of clean text is clean.
  pub(crate) fn trim_start(&self) -> Clean {
    Clean(self.0.trim_start().to_owned())
  }

  pub(crate) fn push(&mut self, other: &Clean) {
    self.0.push_str(&other.0);
  }

  pub(crate) fn push_ours(&mut self, text: &'static str) {
    self.0.push_str(text);
  }

  /// Word-wrapped to `width` columns; a word longer than that stays whole.
  /// Each line is a piece of clean text, so it stays clean.
  pub(crate) fn wrap(&self, width: usize) -> Vec<Clean> {
    let mut lines = Vec::new();
    for paragraph in self.0.split('\n') {
      let mut line = String::new();
      for word in paragraph.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
          let done = std::mem::take(&mut line);
          lines.push(Clean(defuse_line(&done).into_owned()));
        }
        if !line.is_empty() {
          line.push(' ');
        }
        line.push_str(word);
      }
      lines.push(Clean(defuse_line(&line).into_owned()));
    }
    lines
  }

  /// The same text in colour (npmx's own escape sequences).
  pub(crate) fn paint(&self, paint: Paint) -> Clean {
    let text = &self.0;
    Clean(match paint {
      Paint::Heading => text.bold().red().to_string(),
      Paint::Warning => text.bold().yellow().to_string(),
      Paint::Dim => text.dimmed().to_string(),
      Paint::Command => text.cyan().to_string(),
    })
  }

  /// A transformation that only escapes (GitHub's `%0A`, Markdown's `&lt;`):
  /// `escape` must map clean text to clean text, which the callers in
  /// `annotate` guarantee by replacing characters with ASCII escapes only.
  pub(crate) fn escaped(&self, escape: impl Fn(&str) -> String) -> Clean {
    Clean(escape(&self.0))
  }
}

/// In a report, clean text is a JSON string like any other.
impl serde::Serialize for Clean {
  fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&self.0)
  }
}

/// A value as pretty JSON, with a final newline. Its strings must be `Clean`
/// or npmx's own literals (the report's are); JSON escapes every control
/// character, so the result is clean too.
pub(crate) fn json(value: &impl serde::Serialize) -> Clean {
  let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into());
  text.push('\n');
  Clean(text)
}

impl fmt::Display for Clean {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(&self.0)
  }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Paint {
  Heading,
  Warning,
  Dim,
  Command,
}

/// No line npmx wraps may read as a CI runner's command: GitHub runs
/// `::name …::` and `##[name]` at the start of any line of a step's output
/// (after white space), and Azure `##vso[`. The redactor already escapes
/// such words; this keeps a wrapped line from starting with one that a
/// mid-line position made harmless. The first character is set apart with a
/// visible space.
pub(crate) fn defuse_line(line: &str) -> Cow<'_, str> {
  let body = line.trim_start();
  if body.starts_with("::") || body.starts_with("##") {
    let lead = &line[..line.len() - body.len()];
    Cow::Owned(format!("{lead}{} {}", &body[..1], &body[1..]))
  } else {
    Cow::Borrowed(line)
  }
}

/// npmx's text on stderr; a closed stderr is not npmx's problem to report.
pub(crate) fn stderr(text: &Clean) {
  let _ = std::io::stderr().lock().write_all(text.0.as_bytes());
}

/// npmx's text on stdout (offline modes only: npm owns stdout while it runs).
pub(crate) fn stdout(text: &Clean) {
  let _ = std::io::stdout().lock().write_all(text.0.as_bytes());
}

/// How long a write to a file may take. A FIFO nobody reads, or a file on a
/// hung network mount, must not keep npmx (and so the person's shell) waiting.
const WRITE_LIMIT: Duration = Duration::from_secs(2);

/// Writes (or appends) `text` to `path` on a thread of its own, waiting at
/// most [`WRITE_LIMIT`]; a write that does not finish in time is abandoned.
pub(crate) fn write_file(path: &Path, text: &Clean, append: bool) -> std::io::Result<()> {
  let (tx, rx) = mpsc::channel();
  let (path, bytes) = (path.to_owned(), text.0.clone().into_bytes());
  std::thread::Builder::new()
    .name("npmx-write".into())
    .spawn(move || {
      let result = OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .open(&path)
        .and_then(|mut f| f.write_all(&bytes));
      let _ = tx.send(result);
    })?;
  rx.recv_timeout(WRITE_LIMIT).unwrap_or_else(|_| {
    Err(std::io::Error::new(
      std::io::ErrorKind::TimedOut,
      "the write did not finish within 2 s",
    ))
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn wraps_prose_at_word_boundaries() {
    let text = Clean::ours("one two three four five");
    let lines: Vec<String> = text.wrap(9).iter().map(|l| l.to_string()).collect();
    assert_eq!(lines, ["one two", "three", "four five"]);
    let long = Clean::ours("https://a-very-long-url.example/path");
    assert_eq!(long.wrap(10).len(), 1);
  }

  #[test]
  fn the_macro_joins_clean_pieces_and_numbers() {
    let a = Clean::ours("step");
    assert_eq!(clean!("{}. {}", 2, a).as_str(), "2. step");
  }

  #[test]
  fn a_fifo_nobody_reads_does_not_hang_the_write() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let started = std::time::Instant::now();
    assert!(write_file(&fifo, &Clean::ours("x"), false).is_err());
    assert!(started.elapsed() < Duration::from_secs(5));
  }
}
