//! One line of npm's, wherever it was found.
//!
//! npm writes the same record two ways: to its debug log as `16 error code
//! E403`, and to stderr as `npm error code E403` (`npm ERR! code E403` up to
//! npm 10.5). Pasted and CI logs add their own noise in front: timestamps
//! (`2025-08-14T17:32:21.8216130Z `), tool prefixes (`npm: `, `lerna `),
//! Docker build steps (`#8 12.34 `), colour codes. Every source is reduced to
//! a level and the text after npm's prefix, so nothing downstream cares where
//! a line came from.

use std::sync::LazyLock;

use regex::Regex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
  Error,
  Warn,
  Notice,
  Http,
  Info,
  Verbose,
  Silly,
  Timing,
}

impl Level {
  fn parse(word: &str) -> Option<Level> {
    Some(match word {
      "error" | "ERR!" => Level::Error,
      "warn" | "WARN" => Level::Warn,
      "notice" => Level::Notice,
      "http" => Level::Http,
      "info" => Level::Info,
      "verbose" | "verb" => Level::Verbose,
      "silly" | "sill" => Level::Silly,
      "timing" => Level::Timing,
      _ => return None,
    })
  }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NpmLine {
  pub(crate) level: Level,
  /// Everything after npm's prefix and one space; may be empty.
  pub(crate) text: String,
}

/// A line of npm's debug log: `<seq> <level> <text>`.
pub(crate) fn from_log(line: &str) -> Option<NpmLine> {
  let (seq, rest) = line.split_once(' ')?;
  if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
    return None;
  }
  let (level, text) = rest.split_once(' ').unwrap_or((rest, ""));
  Some(NpmLine {
    level: Level::parse(level)?,
    text: text.to_owned(),
  })
}

/// A line of npm's terminal output as someone saved it, noise and all.
/// Colour codes must already be gone (see `redact::strip_ansi`).
pub(crate) fn from_output(line: &str) -> Option<NpmLine> {
  static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
      r#"(?:^|[\s:\]|>"])npm (ERR!|error|WARN|warn|notice|http|info|verb|verbose|sill|silly|timing)(?: |$)"#,
    )
    .unwrap()
  });
  // A debug log pasted whole, possibly behind a timestamp.
  static LOG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
      r"^(?:\S*\d\S*Z\s+)?(\d+ (?:error|warn|notice|http|info|verbose|silly|timing)(?: .*)?)$",
    )
    .unwrap()
  });
  let line = line.strip_suffix('\r').unwrap_or(line);
  if let Some(found) = PREFIX.captures(line) {
    let whole = found.get(0).unwrap();
    let level = Level::parse(&found[1])?;
    return Some(NpmLine {
      level,
      text: line[whole.end()..].to_owned(),
    });
  }
  LOG
    .captures(line)
    .and_then(|c| from_log(c.get(1).unwrap().as_str()))
}

#[cfg(test)]
mod tests {
  use super::*;

  fn out(line: &str) -> Option<(Level, String)> {
    from_output(line).map(|l| (l.level, l.text))
  }

  #[test]
  fn every_prefix_and_noise() {
    let e403 = Some((Level::Error, "code E403".to_owned()));
    assert_eq!(out("npm ERR! code E403"), e403);
    assert_eq!(out("npm error code E403"), e403);
    assert_eq!(
      out("2025-08-14T17:32:21.8216130Z npm error code E403"),
      e403
    );
    assert_eq!(out("npm: npm error code E403"), e403);
    assert_eq!(out("#8 12.34 npm ERR! code E403"), e403);
    assert_eq!(out("[build] npm ERR! code E403\r"), e403);
    assert_eq!(out("17 error code E403"), e403);
    assert_eq!(out("2025-08-14T17:32:21.8216130Z 17 error code E403"), e403);
    assert_eq!(out("npm error"), Some((Level::Error, String::new())));
    assert_eq!(
      out("npm notice Publishing to https://r/"),
      Some((Level::Notice, "Publishing to https://r/".into()))
    );
    assert_eq!(
      out("npm WARN deprecated x"),
      Some((Level::Warn, "deprecated x".into()))
    );
  }

  #[test]
  fn prose_is_not_npm() {
    assert_eq!(out("Installing with npm"), None);
    assert_eq!(out("see the npmerror docs"), None);
    assert_eq!(out("npm ci"), None);
    assert_eq!(out("403 Forbidden"), None);
  }

  #[test]
  fn nested_npm_output_keeps_its_inner_prefix() {
    // An install script that ran npm: its output is text of npm's error line.
    assert_eq!(
      out("npm error npm error code E403"),
      Some((Level::Error, "npm error code E403".into()))
    );
  }

  #[test]
  fn log_lines() {
    assert_eq!(
      from_log("12 http fetch PUT 403 https://r/x 5ms")
        .unwrap()
        .level,
      Level::Http
    );
    assert_eq!(from_log("20 error").unwrap().text, "");
    assert_eq!(from_log("x error y"), None);
    assert_eq!(
      from_log("19 error   code: 'ECONNREFUSED',").unwrap().text,
      "  code: 'ECONNREFUSED',"
    );
  }
}
