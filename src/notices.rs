//! Speaking up while npm is still trying: a failed attempt npm is retrying,
//! a request that hangs, a run stopped while it waited.
//!
//! npm logs a failed attempt at once (`http fetch GET <url> attempt 1 failed
//! with ECONNRESET`) and then waits — 10 s to a minute between attempts with
//! its defaults, five minutes per attempt before a timeout — so a dead proxy
//! or a black-holed registry costs minutes before npm's error block. These
//! notices say what is going on while that happens. The full diagnosis still
//! comes at the end if npm fails.
//!
//! Precision first: a retry notice waits [`RETRY_GRACE`] so that npm failing
//! at once (no retries left) gets the diagnosis alone, and is given once per
//! host and failure; a stall is a registry request started and neither
//! answered nor failed with no log line at all for [`STALL`]. A script that
//! runs long (a native build) logs no request, so it is never a stall.

use std::time::{Duration, Instant};

use crate::{
  line::{Level, NpmLine},
  url,
};

/// How long after a failed attempt the notice comes, if npm has not failed
/// by then. npm's shortest back-off (`fetch-retry-mintimeout`) is 10 s.
pub(crate) const RETRY_GRACE: Duration = Duration::from_millis(1500);

/// How long a registry request may be in flight with no log line at all.
/// A packument is a few kilobytes to a few megabytes: healthy fetches take
/// well under a second here and a few seconds on a slow link, and npm logs
/// other work (other packuments, tarballs, placements) meanwhile. Twenty
/// seconds of total silence with a request open is far outside that, and
/// far inside npm's own five-minute `fetch-timeout`.
pub(crate) const STALL: Duration = Duration::from_secs(20);

#[derive(Debug)]
pub(crate) struct Notices {
  /// [`STALL`], unless `NPMX_STALL_SECS` says otherwise.
  stall: Duration,
  /// Requests started and not yet answered: (package name, what to call
  /// it — a URL, or npm 7–10's spec — since when).
  in_flight: Vec<(String, String, Instant)>,
  last_line: Option<Instant>,
  /// A failed attempt whose notice is due at `.1`.
  retry: Option<(Retry, Instant)>,
  told: Vec<String>,
  stall_told: bool,
  /// npm's error block has begun: the diagnosis speaks from now on.
  failed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Retry {
  method: String,
  url: String,
  attempt: String,
  /// npm's code or the HTTP status.
  what: String,
}

impl Default for Notices {
  fn default() -> Notices {
    Notices::new(STALL)
  }
}

impl Notices {
  pub(crate) fn new(stall: Duration) -> Notices {
    Notices {
      stall,
      in_flight: Vec::new(),
      last_line: None,
      retry: None,
      told: Vec::new(),
      stall_told: false,
      failed: false,
    }
  }

  pub(crate) fn line(&mut self, line: &NpmLine, now: Instant) {
    self.last_line = Some(now);
    let text = line.text.as_str();
    match line.level {
      Level::Error => self.failed = true,
      Level::Http => {
        // `fetch GET <url> attempt 1 failed with ECONNRESET`
        if let Some(retry) = parse_retry(text) {
          self.finish_url(&retry.url);
          if self.retry.is_none() && !self.told.contains(&key(&retry)) {
            self.retry = Some((retry, now + RETRY_GRACE));
          }
        } else if let Some(url) = answered(text) {
          // `fetch GET 200 <url> 12ms (cache miss)`, `cache <url> 3ms (cache hit)`
          self.finish_url(url);
        }
      }
      Level::Silly => {
        // npm 11: `packumentCache full:<url> cache-miss`; npm 7–10:
        // `fetch manifest <spec>` before the request.
        if let Some(url) = text
          .strip_prefix("packumentCache full:")
          .and_then(|r| r.strip_suffix(" cache-miss"))
        {
          if let Some(name) = url::package_from_url(url) {
            self.in_flight.push((name, url.to_owned(), now));
          }
        } else if let Some(spec) = text.strip_prefix("fetch manifest ") {
          let name = crate::details::split_spec(spec).map_or_else(|| spec.to_owned(), |(n, _)| n);
          self.in_flight.push((name, spec.to_owned(), now));
        }
      }
      _ => {}
    }
    // Keep the list bounded whatever npm logs.
    if self.in_flight.len() > 64 {
      self.in_flight.drain(..32);
    }
  }

  fn finish_url(&mut self, url: &str) {
    if let Some(name) = url::package_from_url(url) {
      self.in_flight.retain(|(n, _, _)| *n != name);
    }
  }

  /// A notice due now, if any: once per host and failure, once per stall.
  pub(crate) fn due(&mut self, now: Instant) -> Option<String> {
    if self.failed {
      return None;
    }
    if let Some((retry, at)) = &self.retry {
      if now >= *at {
        let retry = retry.clone();
        self.retry = None;
        self.told.push(key(&retry));
        return Some(retry_notice(&retry));
      }
    }
    let quiet = self
      .last_line
      .is_some_and(|t| now.duration_since(t) >= self.stall);
    if !self.stall_told && quiet {
      if let Some((_, what, since)) = self.waiting_on() {
        let notice = stall_notice(what, now.duration_since(*since));
        self.stall_told = true;
        return Some(notice);
      }
    }
    None
  }

  /// The oldest request in flight, named by its URL where npm logged one
  /// (npm 11 logs the spec, then the URL, for the same package).
  fn waiting_on(&self) -> Option<&(String, String, Instant)> {
    let first = self.in_flight.first()?;
    let with_url = self
      .in_flight
      .iter()
      .find(|(name, what, _)| *name == first.0 && url::host_of(what).is_some());
    Some(with_url.unwrap_or(first))
  }

  /// npm was stopped by a signal: what it was waiting on, if anything.
  pub(crate) fn stopped(&self, signal: &str, now: Instant) -> Option<String> {
    let (_, what, since) = self.waiting_on()?;
    let waited = now.duration_since(*since);
    Some(format!(
      "npm was stopped ({signal}) after waiting {} for {}: no answer came. {}",
      human(waited),
      target(what),
      WAIT_CAUSES
    ))
  }
}

const WAIT_CAUSES: &str = "Usually a proxy that is needed and not set (or set and dead), a firewall \
  that drops packets, or an IPv6 address without a route; try \
  `NODE_OPTIONS=--dns-result-order=ipv4first`, and check `npm config get proxy https-proxy`.";

fn key(r: &Retry) -> String {
  format!("{} {}", url::host_of(&r.url).unwrap_or_default(), r.what)
}

fn parse_retry(text: &str) -> Option<Retry> {
  let rest = text.strip_prefix("fetch ")?;
  let (method, rest) = rest.split_once(' ')?;
  let (url, rest) = rest.split_once(" attempt ")?;
  let (attempt, what) = rest.split_once(" failed with ")?;
  Some(Retry {
    method: method.to_owned(),
    url: url.to_owned(),
    attempt: attempt.to_owned(),
    what: what.trim().to_owned(),
  })
}

fn answered(text: &str) -> Option<&str> {
  if let Some(rest) = text.strip_prefix("cache ") {
    return rest.split(' ').next();
  }
  let rest = text.strip_prefix("fetch ")?;
  let mut words = rest.split(' ');
  let _method = words.next()?;
  let status = words.next()?;
  status.parse::<u16>().ok()?;
  words.next()
}

fn retry_notice(r: &Retry) -> String {
  let host = url::host_of(&r.url).unwrap_or_else(|| r.url.clone());
  let check = match r.what.as_str() {
    "ECONNRESET" | "EPIPE" => {
      "the connection was cut: a proxy or firewall in between is the usual suspect"
    }
    "ECONNREFUSED" => {
      "nothing listens there: a registry that is down, or a proxy setting pointing at nothing"
    }
    "ENOTFOUND" | "EAI_AGAIN" => {
      "the host name does not resolve: DNS, a VPN, or a typo in the registry URL"
    }
    "ETIMEDOUT" | "FETCH_ERROR" | "ERR_SOCKET_TIMEOUT" => {
      "no answer in time: a firewall dropping packets, a dead proxy, or IPv6 without a route"
    }
    "429" => "the registry is rate-limiting: npm will back off",
    s if s.starts_with('5') => {
      if host.contains("registry.npmjs.org") {
        "the registry is failing: see https://status.npmjs.org/"
      } else {
        "the registry (or a proxy in front of it) is failing"
      }
    }
    _ => "npm will try again",
  };
  format!(
    "npm is retrying: {} {host} failed with {} (attempt {}); {check}.",
    r.method, r.what, r.attempt
  )
}

fn stall_notice(what: &str, waited: Duration) -> String {
  format!(
    "npm has been waiting {} for {} with no progress. {WAIT_CAUSES}",
    human(waited),
    target(what)
  )
}

/// `GET host/path` for a URL, `the registry (spec)` for a spec.
fn target(what: &str) -> String {
  match url::host_of(what) {
    Some(host) => format!("{host} ({what})"),
    None => format!("the registry (to fetch {what})"),
  }
}

fn human(d: Duration) -> String {
  let s = d.as_secs();
  if s >= 60 {
    format!("{}m{:02}s", s / 60, s % 60)
  } else {
    format!("{s}s")
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn http(text: &str) -> NpmLine {
    NpmLine {
      level: Level::Http,
      text: text.into(),
    }
  }

  fn silly(text: &str) -> NpmLine {
    NpmLine {
      level: Level::Silly,
      text: text.into(),
    }
  }

  #[test]
  fn a_retry_is_told_once_after_the_grace_unless_npm_fails_first() {
    let t0 = Instant::now();
    let mut n = Notices::default();
    n.line(
      &http("fetch GET http://r.example/x attempt 1 failed with ECONNRESET"),
      t0,
    );
    assert_eq!(n.due(t0 + Duration::from_millis(500)), None);
    let notice = n.due(t0 + RETRY_GRACE).unwrap();
    assert!(
      notice.starts_with("npm is retrying: GET r.example failed with ECONNRESET (attempt 1)")
    );
    n.line(
      &http("fetch GET http://r.example/x attempt 2 failed with ECONNRESET"),
      t0 + RETRY_GRACE,
    );
    assert_eq!(
      n.due(t0 + RETRY_GRACE * 3),
      None,
      "once per host and failure"
    );

    let mut n = Notices::default();
    n.line(
      &http("fetch GET http://r.example/x attempt 1 failed with 503"),
      t0,
    );
    n.line(
      &NpmLine {
        level: Level::Error,
        text: "code E503".into(),
      },
      t0,
    );
    assert_eq!(
      n.due(t0 + RETRY_GRACE),
      None,
      "npm failed: the diagnosis speaks"
    );
  }

  #[test]
  fn a_request_with_no_log_line_for_the_stall_time_is_told_once() {
    let t0 = Instant::now();
    let mut n = Notices::default();
    n.line(
      &silly("packumentCache full:http://r.example/x cache-miss"),
      t0,
    );
    assert_eq!(n.due(t0 + STALL / 2), None);
    let notice = n.due(t0 + STALL).unwrap();
    assert!(
      notice.contains("waiting 20s for r.example (http://r.example/x)"),
      "{notice}"
    );
    assert_eq!(n.due(t0 + STALL * 2), None);
  }

  #[test]
  fn an_answered_request_is_not_a_stall() {
    let t0 = Instant::now();
    let mut n = Notices::default();
    n.line(
      &silly("packumentCache full:http://r.example/x cache-miss"),
      t0,
    );
    n.line(
      &http("fetch GET 200 http://r.example/x 12ms (cache miss)"),
      t0,
    );
    assert_eq!(n.due(t0 + STALL * 2), None);
    assert_eq!(n.stopped("SIGTERM", t0 + STALL), None);
  }

  #[test]
  fn npm_7_s_spec_is_answered_by_its_package_s_url() {
    let t0 = Instant::now();
    let mut n = Notices::default();
    n.line(&silly("fetch manifest @a/b@^1"), t0);
    n.line(
      &http("fetch GET 200 https://r.example/@a%2fb 12ms (cache miss)"),
      t0,
    );
    assert_eq!(n.due(t0 + STALL * 2), None);
  }

  #[test]
  fn stopped_while_waiting_says_for_what_and_how_long() {
    let t0 = Instant::now();
    let mut n = Notices::default();
    n.line(&silly("fetch manifest left-pad@^1"), t0);
    let said = n.stopped("SIGTERM", t0 + Duration::from_secs(125)).unwrap();
    assert!(
      said.starts_with(
        "npm was stopped (SIGTERM) after waiting 2m05s for the registry (to fetch left-pad@^1)"
      ),
      "{said}"
    );
  }
}
