//! What npm said, as typed facts: the only place npm's text is read.
//!
//! `transcript` cuts npm's lines into error blocks and keeps the log lines
//! that can matter; this module turns each block into a [`Block`] whose
//! fields say what npm reported — the code, the HTTP status, method, URL and
//! the registry's reason, the address refused, the path denied, the version
//! asked for — and each phrase that changes the advice into a [`Hint`].
//! Everything downstream (signatures, rules, advice) reads these fields and
//! never searches npm's text itself, so a change in npm's wording is fixed
//! here, once.

use std::sync::LazyLock;

use regex::Regex;

pub(crate) use crate::details::{Details, Hint};
use crate::{details::after, shape::Shape};

/// Everything a run of npm (or a saved output of one) says.
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts {
  /// npm's own error blocks, in order. Usually one.
  pub(crate) blocks: Vec<Block>,
  pub(crate) notices: Vec<String>,
  pub(crate) warnings: Vec<String>,
  pub(crate) fetches: Vec<Fetch>,
  pub(crate) npm_version: Option<String>,
  pub(crate) node_version: Option<String>,
  /// npm's arguments as its debug log records them.
  pub(crate) argv: Option<Vec<String>>,
  /// The config files npm loaded (`silly config load:file:`).
  pub(crate) config_files: Vec<String>,
  /// `verbose exit N`.
  pub(crate) exit_code: Option<i32>,
  /// `verbose oidc …` / `silly oidc …`: why trusted publishing did not happen.
  pub(crate) oidc: Vec<String>,
  pub(crate) pkgid: Option<String>,
  pub(crate) cwd: Option<String>,
  /// Where a saved log came from: the CI system, the OS, a container build.
  pub(crate) shape: Shape,
  /// npm prompted for a one-time password and one was typed (`Enter OTP:`).
  pub(crate) otp_entered: bool,
}

/// One failed request, from npm's summary line `<status> <text> - <METHOD> <url>[ - <reason>]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct HttpError {
  pub(crate) status: u16,
  pub(crate) status_text: String,
  pub(crate) method: Option<String>,
  pub(crate) url: Option<String>,
  /// The registry's own words (the body's `error` field).
  pub(crate) reason: Option<String>,
}

/// An `http fetch` line: a request npm made, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fetch {
  pub(crate) method: String,
  pub(crate) status: Option<u16>,
  pub(crate) url: String,
  /// `attempt 1 failed with ECONNREFUSED`
  pub(crate) failed_with: Option<String>,
}

/// The request a block is about, with the gaps in npm's block filled from
/// the rest of the log (npm's text for a 401 names no URL; its fetch lines do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Request {
  pub(crate) code: Option<String>,
  pub(crate) status: Option<u16>,
  pub(crate) method: Option<String>,
  pub(crate) url: Option<String>,
  /// The URL's host without its port.
  pub(crate) host: Option<String>,
  pub(crate) reason: Option<String>,
}

/// One npm error block, understood.
#[derive(Clone, Debug, Default)]
pub(crate) struct Block {
  pub(crate) code: Option<String>,
  pub(crate) syscall: Option<String>,
  pub(crate) errno: Option<String>,
  pub(crate) http: Option<HttpError>,
  /// The block's text after its code/syscall/errno lines, line by line.
  pub(crate) lines: Vec<String>,
  /// Those lines joined with single spaces: npm hard-wrapped its hints up to
  /// 11.11.0, so phrases are matched on this.
  pub(crate) text: String,
  /// The file a filesystem error is about (npm's `path` line, or the path in
  /// "permission denied, open '…'").
  pub(crate) path: Option<String>,
  /// The URL the failure is about, from wherever the block names it.
  pub(crate) url: Option<String>,
  /// What the registry asked for in `WWW-Authenticate` (`Unable to authenticate, need: …`).
  pub(crate) challenge: Option<String>,
  /// npm closed the block ("A complete log of this run …").
  pub(crate) closed: bool,
  /// Closed with a "complete log" line whose path is not npm's log-file name:
  /// a script's imitation of npm's block.
  pub(crate) imitation: bool,
  /// The text is npm's network failure sentence (`request to <url> failed, reason: …`).
  pub(crate) fetch_error: bool,
  /// The request the block is about.
  pub(crate) request: Request,
  /// The particulars npm's sentences carry.
  pub(crate) details: Details,
}

impl Block {
  pub(crate) fn has(&self, hint: Hint) -> bool {
    self.details.hints.contains(&hint)
  }
}

/// npm's debug-log file name, in every version since 5: `…/2026-01-01T00_00_00_000Z-debug-0.log`.
static LOG_PATH: LazyLock<Regex> = LazyLock::new(|| {
  Regex::new(r"\d{4}-\d\d-\d\dT\d\d_\d\d_\d\d_\d{3}Z-debug(?:-\d+)?\.log\s*$").unwrap()
});

/// npm's fetch failure, in every version's words.
static FETCH_ERROR: LazyLock<Regex> =
  LazyLock::new(|| Regex::new(r"request to https?://\S+ failed, reason: ").unwrap());

pub(crate) const CLOSING: [&str; 2] = [
  "A complete log of this run can be found in",
  "Log files were not written",
];

/// One error block's lines (npm's prefix removed) as a [`Block`]; its
/// `request` is completed by [`Facts::finish`].
pub(crate) fn parse_block(lines: &[&str]) -> Block {
  let mut block = Block::default();
  // The last `code` line is npm's; a script's imitation can only come earlier.
  let start = lines
    .iter()
    .rposition(|l| l.starts_with("code "))
    .unwrap_or(0);
  for (i, line) in lines.iter().enumerate().skip(start) {
    // The first word only: pasted logs trail timestamps and noise.
    let word = |v: &str| v.split_whitespace().next().unwrap_or("").to_owned();
    if i == start && line.starts_with("code ") {
      block.code = Some(word(&line["code ".len()..]));
    } else if let Some(v) = line
      .strip_prefix("syscall ")
      .filter(|_| block.syscall.is_none())
    {
      block.syscall = Some(word(v));
    } else if let Some(v) = line
      .strip_prefix("errno ")
      .filter(|_| block.errno.is_none())
    {
      block.errno = Some(word(v));
    } else if let Some(v) = line.strip_prefix("path ").filter(|_| block.path.is_none()) {
      block.path = Some(v.trim().to_owned());
    } else if CLOSING.iter().any(|c| line.starts_with(c)) {
      block.closed = true;
      let inline = line
        .split_once("can be found in:")
        .map(|(_, p)| p.trim())
        .unwrap_or("");
      let path = if inline.is_empty() {
        lines.get(i + 1).map(|l| l.trim()).unwrap_or("")
      } else {
        inline
      };
      block.imitation = !path.is_empty() && !LOG_PATH.is_match(path);
    } else {
      block.lines.push((*line).to_owned());
    }
  }
  // npm ≤ 6 printed the log path on its own line after the closing sentence.
  if block.closed {
    block
      .lines
      .retain(|l| !(l.trim_start().starts_with('/') && l.trim_end().ends_with(".log")));
  }
  // npm 6 printed no code line for some network errors; errno says the same.
  if block.code.is_none() {
    block.code = block
      .errno
      .clone()
      .filter(|e| e.starts_with(|c: char| c.is_ascii_uppercase()));
  }
  block.text = join_words(&block.lines);
  block.fetch_error = FETCH_ERROR.is_match(&block.text);
  block.http = block.lines.iter().find_map(|l| parse_http(l));
  block.challenge = after(&block.text, r"Unable to authenticate, need: (.+)$");
  block.url = block
    .http
    .as_ref()
    .and_then(|h| h.url.clone())
    .or_else(|| failing_url(&block.text));
  if block.path.is_none() {
    block.path = after(&block.text, r"permission denied, \w+ '([^']+)'");
  }
  let reason = block.http.as_ref().and_then(|h| h.reason.as_deref());
  block.details = crate::details::read(&block.text, reason.unwrap_or(""));
  block
}

fn join_words(lines: &[String]) -> String {
  let mut text = String::new();
  for word in lines.iter().flat_map(|l| l.split_whitespace()) {
    if !text.is_empty() {
      text.push(' ');
    }
    text.push_str(word);
  }
  text
}

/// `403 Forbidden - PUT https://r/x - reason`, after npm's title (`403 `), in
/// every form npm has used: npm ≤ 5 `publish Failed PUT 403`, npm ≤ 6.5
/// `403 Forbidden: pkg@latest`.
pub(crate) fn parse_http(line: &str) -> Option<HttpError> {
  static SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\s)([1-5]\d\d) (.*?) - (GET|PUT|POST|DELETE|PATCH|HEAD) (\S+)(?: - (.*))?$")
      .unwrap()
  });
  static OLD_PUBLISH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"publish Failed (PUT) ([1-5]\d\d)").unwrap());
  static OLD_INSTALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[1-5]\d\d )?([1-5]\d\d) ([A-Za-z][A-Za-z ]*): (\S+@\S*)$").unwrap()
  });
  if let Some(c) = SUMMARY.captures(line) {
    let status: u16 = c[1].parse().ok()?;
    let text = c[2].trim();
    let text = text.strip_prefix(&format!("{status} ")).unwrap_or(text);
    return Some(HttpError {
      status,
      status_text: text.to_owned(),
      method: Some(c[3].to_owned()),
      url: Some(c[4].to_owned()),
      reason: c
        .get(5)
        .map(|r| r.as_str().trim().to_owned())
        .filter(|r| !r.is_empty()),
    });
  }
  if let Some(c) = OLD_PUBLISH.captures(line) {
    return Some(HttpError {
      status: c[2].parse().ok()?,
      method: Some(c[1].to_owned()),
      ..HttpError::default()
    });
  }
  let c = OLD_INSTALL.captures(line.trim())?;
  Some(HttpError {
    status: c[1].parse().ok()?,
    status_text: c[2].to_owned(),
    method: Some("GET".into()),
    ..HttpError::default()
  })
}

/// The URL npm says it failed on, in npm's own phrasings; never any URL the
/// text happens to mention (npm's hints link to its website).
fn failing_url(text: &str) -> Option<String> {
  static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
      r"(?:request to|trying to fetch|network timeout at:?|logged in to|fetch (?:GET|PUT|POST)) (https?://[^\s'`,)]+)",
    )
    .unwrap()
  });
  URL
    .captures(text)
    .map(|c| c[1].trim_end_matches(['.', ':']).to_owned())
}

pub(crate) fn parse_fetch(text: &str) -> Option<Fetch> {
  static FETCH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
      r"^fetch (GET|PUT|POST|DELETE|PATCH|HEAD) (?:(\d{3}) )?(\S+)(?:.*? failed with (\S+))?",
    )
    .unwrap()
  });
  let c = FETCH.captures(text)?;
  Some(Fetch {
    method: c[1].to_owned(),
    status: c.get(2).and_then(|s| s.as_str().parse().ok()),
    url: c[3].to_owned(),
    failed_with: c.get(4).map(|m| m.as_str().to_owned()),
  })
}

/// The notice npmjs.com sends with every answer to a dead token.
const NOTICE_EXPIRED: &str = "access token expired or revoked";

impl Facts {
  /// Completes each block's request from the log's fetch lines, once every
  /// line is in.
  pub(crate) fn finish(&mut self) {
    let fetches = std::mem::take(&mut self.fetches);
    for block in &mut self.blocks {
      block.request = request(block, &fetches);
    }
    self.fetches = fetches;
  }

  /// The block npm ended on.
  #[cfg(test)]
  pub(crate) fn last_block(&self) -> Option<&Block> {
    self.blocks.last()
  }

  /// npm's notice that the token it sent has expired or was revoked.
  pub(crate) fn token_expired_notice(&self) -> Option<&str> {
    self
      .notices
      .iter()
      .find(|n| n.to_ascii_lowercase().contains(NOTICE_EXPIRED))
      .map(String::as_str)
  }

  /// npm tried trusted publishing and it failed. "Skipped" (the job could not
  /// have used it) and "Successfully" are no failed attempt.
  pub(crate) fn oidc_failed(&self) -> bool {
    self
      .oidc
      .iter()
      .any(|l| !l.contains("Skipped") && !l.contains("Successfully"))
      || self
        .fetches
        .iter()
        .any(|f| f.url.contains("/oidc/token/exchange") && f.status.is_some_and(|st| st >= 400))
  }

  /// The registry told npm's OIDC exchange it does not know the package.
  pub(crate) fn oidc_package_missing(&self) -> bool {
    self
      .oidc
      .iter()
      .any(|l| l.to_ascii_lowercase().contains("package not found"))
  }

  /// A one-time password was sent and refused: npm prompted for one, or its
  /// log shows the write retried after a 401 (the retry carries the code).
  pub(crate) fn otp_refused(&self) -> bool {
    self.otp_entered
      || self
        .fetches
        .iter()
        .filter(|f| f.method == "PUT" && f.status == Some(401))
        .count()
        >= 2
  }

  /// npm's argv asked for a global install.
  pub(crate) fn global(&self) -> bool {
    self
      .argv
      .as_ref()
      .is_some_and(|argv| argv.iter().any(|a| a == "--global" || a == "-g"))
  }
}

fn request(block: &Block, fetches: &[Fetch]) -> Request {
  let code = block.code.clone();
  let status = block.http.as_ref().map(|h| h.status).or_else(|| {
    let code = code.as_deref()?.strip_prefix('E')?;
    (code.len() == 3).then(|| code.parse().ok()).flatten()
  });
  let fetch = fetches.iter().rev().find(|f| {
    status.is_some_and(|s| f.status == Some(s))
      || (status.is_none() && f.failed_with.is_some() && f.failed_with == code)
  });
  let method = block
    .http
    .as_ref()
    .and_then(|h| h.method.clone())
    .or_else(|| fetch.map(|f| f.method.clone()));
  let url = block.url.clone().or_else(|| fetch.map(|f| f.url.clone()));
  Request {
    code,
    status,
    method,
    host: url.as_deref().and_then(crate::url::hostname),
    url,
    reason: block.http.as_ref().and_then(|h| h.reason.clone()),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn block(text: &str) -> Block {
    let lines: Vec<&str> = text.lines().collect();
    parse_block(&lines)
  }

  #[test]
  fn details_from_npm_s_sentences() {
    let b = block(
      "code ECONNREFUSED\nFetchError: request to https://r.example/x failed, reason: connect ECONNREFUSED 127.0.0.1:4999",
    );
    assert_eq!(b.details.refused.as_deref(), Some("127.0.0.1:4999"));
    assert_eq!(b.details.refused_port(), Some(4999));
    assert_eq!(b.url.as_deref(), Some("https://r.example/x"));
    let b = block("code ETARGET\nNo matching version found for @acme/ui@^9.0.0.");
    assert_eq!(
      b.details.wanted,
      Some(("@acme/ui".to_owned(), "^9.0.0".to_owned()))
    );
    let b = block(
      "code E403\n403 403 Forbidden - PUT https://r/x - You cannot publish over the previously published versions: 3.4.0-outreach4.",
    );
    assert_eq!(
      b.details.published_version.as_deref(),
      Some("3.4.0-outreach4")
    );
    let b = block(
      "code EACCES\nsyscall mkdir\nError: EACCES: permission denied, mkdir '/usr/lib/node_modules/x'",
    );
    assert_eq!(b.path.as_deref(), Some("/usr/lib/node_modules/x"));
    let b = block("code EUSAGE\n`npm ci` can only install with an existing package-lock.json");
    assert!(b.has(Hint::NoLockfile) && !b.has(Hint::TwoFactor));
    let b = block("code ETIMEDOUT\nconnect ETIMEDOUT 2606:4700::6810:123:443");
    assert!(b.has(Hint::Ipv6));
    let b = block("code ETIMEDOUT\nconnect ETIMEDOUT 104.16.1.1:443");
    assert!(!b.has(Hint::Ipv6));
  }

  #[test]
  fn old_http_forms() {
    assert_eq!(parse_http("publish Failed PUT 403").unwrap().status, 403);
    let old = parse_http("403 Forbidden: cli-table@^0.3.1").unwrap();
    assert_eq!((old.status, old.method.as_deref()), (403, Some("GET")));
    let nexus =
      parse_http("403 403 Requested item is quarantined - GET https://n/repository/x.tgz").unwrap();
    assert_eq!(nexus.status_text, "Requested item is quarantined");
    assert_eq!(nexus.reason, None);
  }
}
