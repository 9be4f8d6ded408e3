//! Deciding causes: signatures first, then the situation.
//!
//! Every signature that fits npm's error block is a candidate; specific ones
//! silence the fallbacks, each cause counts once at its best weight, and a
//! candidate far behind the best is dropped. The context then refines what
//! npm's text cannot tell apart: a 401 with no credential for that host is
//! "not logged in", a 403 while a proxy applies may be the proxy's, a refused
//! connection at the proxy's address is the proxy's setting.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

use crate::{
  advice,
  catalogue::{self, Cause},
  context::{self, Context},
  signature::{SIGNATURES, Signature},
  transcript::{Block, Facts},
};

#[derive(Clone, Debug)]
pub(crate) struct Diagnosis {
  pub(crate) cause: &'static Cause,
  /// npm's code, when it printed one.
  pub(crate) code: Option<String>,
  /// One line: what npm or the registry said.
  pub(crate) summary: String,
  /// The facts behind it, short first; `NPMX_VERBOSE` shows them all.
  pub(crate) evidence: Vec<String>,
  pub(crate) steps: Vec<Step>,
  pub(crate) weight: u8,
  /// npm succeeded: a warning about what fails next, not an explanation.
  pub(crate) warning: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
  pub(crate) text: String,
  pub(crate) command: Option<String>,
}

impl Step {
  pub(crate) fn say(text: impl Into<String>) -> Step {
    Step {
      text: text.into(),
      command: None,
    }
  }
  pub(crate) fn run(text: impl Into<String>, command: impl Into<String>) -> Step {
    Step {
      text: text.into(),
      command: Some(command.into()),
    }
  }
}

/// What one error block shows, with gaps filled from the rest of the log.
#[derive(Clone, Debug, Default)]
pub(crate) struct Observed {
  pub(crate) code: Option<String>,
  pub(crate) status: Option<u16>,
  pub(crate) method: Option<String>,
  pub(crate) url: Option<String>,
  pub(crate) host: Option<String>,
  pub(crate) reason: Option<String>,
}

/// Everything advice may look at.
pub(crate) struct Situation<'a> {
  pub(crate) facts: &'a Facts,
  pub(crate) block: Option<&'a Block>,
  pub(crate) observed: &'a Observed,
  pub(crate) ctx: &'a Context,
}

const NOTICE_EXPIRED: &str = "access token expired or revoked";

pub(crate) fn diagnose(facts: &Facts, ctx: &Context, succeeded: bool) -> Vec<Diagnosis> {
  let mut out: Vec<Diagnosis> = Vec::new();
  if succeeded || facts.blocks.is_empty() {
    if succeeded
      && facts
        .notices
        .iter()
        .any(|n| n.to_ascii_lowercase().contains(NOTICE_EXPIRED))
    {
      let observed = Observed::default();
      let situation = Situation {
        facts,
        block: None,
        observed: &observed,
        ctx,
      };
      out.push(build(
        catalogue::find("token-expired").unwrap(),
        90,
        &situation,
        true,
      ));
    }
    return out;
  }
  for block in facts.blocks.iter().filter(|b| !script_failed(b)) {
    let observed = observe(block, facts);
    let situation = Situation {
      facts,
      block: Some(block),
      observed: &observed,
      ctx,
    };
    for (cause, weight) in refine(candidates(block, &observed, facts), &situation) {
      if let Some(existing) = out.iter_mut().find(|d| d.cause.id == cause.id) {
        existing.weight = existing.weight.max(weight);
        continue;
      }
      out.push(build(cause, weight, &situation, false));
    }
  }
  out.sort_by_key(|d| std::cmp::Reverse(d.weight));
  out
}

/// A lifecycle script failed: npm's code is the script's exit status (npm 7+)
/// or ELIFECYCLE (npm ≤ 6). Whatever the script printed, npm captured it into
/// this block; a nested npmx already spoke about a nested npm's failure, and a
/// failing test is a failing test, not a registry problem.
fn script_failed(block: &Block) -> bool {
  block
    .code
    .as_deref()
    .is_some_and(|c| c == "ELIFECYCLE" || (!c.is_empty() && c.bytes().all(|b| b.is_ascii_digit())))
}

fn observe(block: &Block, facts: &Facts) -> Observed {
  let code = block.code.clone();
  let status = block.http.as_ref().map(|h| h.status).or_else(|| {
    let code = code.as_deref()?.strip_prefix('E')?;
    (code.len() == 3).then(|| code.parse().ok()).flatten()
  });
  // npm's text for a 401 or an EOTP names no URL; its log's fetch lines do.
  let fetch = facts.fetches.iter().rev().find(|f| {
    status.is_some_and(|s| f.status == Some(s))
      || (status.is_none() && f.failed_with.is_some() && f.failed_with == code)
  });
  let method = block
    .http
    .as_ref()
    .and_then(|h| h.method.clone())
    .or_else(|| fetch.map(|f| f.method.clone()));
  let url = block.url.clone().or_else(|| fetch.map(|f| f.url.clone()));
  Observed {
    code,
    status,
    method,
    host: url.as_deref().and_then(context::hostname),
    url,
    reason: block.http.as_ref().and_then(|h| h.reason.clone()),
  }
}

fn candidates(block: &Block, observed: &Observed, facts: &Facts) -> Vec<(&'static Cause, u8)> {
  let matched: Vec<&Signature> = SIGNATURES
    .iter()
    .filter(|s| matches(s, block, observed, facts))
    .collect();
  let specific = matched.iter().any(|s| !s.fallback);
  let mut found: Vec<(&'static Cause, u8)> = Vec::new();
  for s in matched
    .into_iter()
    .filter(|s| s.fallback != specific || !specific)
  {
    let cause = catalogue::find(s.cause).expect("signatures name known causes");
    match found.iter_mut().find(|(c, _)| c.id == cause.id) {
      Some((_, w)) => *w = (*w).max(s.weight),
      None => found.push((cause, s.weight)),
    }
  }
  found.sort_by_key(|f| std::cmp::Reverse(f.1));
  if let Some(&(_, top)) = found.first() {
    found.retain(|&(_, w)| w + 40 >= top);
  }
  found
}

fn matches(s: &Signature, block: &Block, observed: &Observed, facts: &Facts) -> bool {
  if s.codes.is_empty() && s.status.is_none() && s.text.is_none() && s.notice.is_none() {
    return false;
  }
  if !s.codes.is_empty()
    && !observed
      .code
      .as_deref()
      .is_some_and(|c| s.codes.contains(&c))
  {
    return false;
  }
  if s.status.is_some() && s.status != observed.status {
    return false;
  }
  if !s.methods.is_empty()
    && !observed
      .method
      .as_deref()
      .is_some_and(|m| s.methods.contains(&m))
  {
    return false;
  }
  // A block with no code of npm's only counts if npm closed it, or if it is
  // npm's own network failure sentence.
  if observed.code.is_none() && observed.status.is_none() && !block.closed && !block.fetch_error {
    return false;
  }
  let hit = |pattern: Option<&str>, text: &str| pattern.is_none_or(|p| regex(p).is_match(text));
  hit(s.text, &block.text)
    && hit(s.reason, observed.reason.as_deref().unwrap_or(""))
    && hit(s.host, observed.host.as_deref().unwrap_or(""))
    && s
      .notice
      .is_none_or(|p| facts.notices.iter().any(|n| regex(p).is_match(n)))
}

/// Signature regexes, compiled once and only when a failure needs them.
fn regex(pattern: &str) -> &'static Regex {
  static CACHE: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    SIGNATURES
      .iter()
      .flat_map(|s| [s.text, s.reason, s.host, s.notice])
      .flatten()
      .map(|p| {
        (
          p,
          RegexBuilder::new(p)
            .case_insensitive(true)
            .build()
            .expect("signature regex"),
        )
      })
      .collect()
  });
  &CACHE
    .iter()
    .find(|(p, _)| *p == pattern)
    .expect("pattern is a signature's")
    .1
}

/// The context's say on what npm's text cannot tell apart.
fn refine(mut found: Vec<(&'static Cause, u8)>, s: &Situation) -> Vec<(&'static Cause, u8)> {
  let cause = |id| catalogue::find(id).expect("known cause");
  let has = |found: &[(&Cause, u8)], id: &str| found.iter().any(|(c, _)| c.id == id);
  let url = s.observed.url.clone();

  // A refused 401 with nothing sent for that host: nobody logged in.
  if has(&found, "auth-rejected") && s.ctx.config.is_some() {
    if let Some(url) = &url {
      if s.ctx.credential_for(url).is_none() {
        found.retain(|(c, _)| c.id != "auth-rejected");
        found.insert(0, (cause("not-logged-in"), 90));
      }
    }
  }

  // A 403 on a read while a proxy applies: the proxy may have sent it.
  if has(&found, "registry-forbidden") && url.as_deref().and_then(|u| s.ctx.proxy_for(u)).is_some()
  {
    found.insert(0, (cause("proxy-forbidden"), 80));
  }

  // Refused, timed out or unresolvable at the proxy's own address.
  let network = [
    "connection-refused",
    "network-timeout",
    "dns-failure",
    "network-unreachable",
    "connection-reset",
  ];
  if let Some(proxy) = url.as_deref().and_then(|u| s.ctx.proxy_for(u)) {
    let proxy_host = context::hostname(&proxy.url);
    let text = s.block.map(|b| b.text.as_str()).unwrap_or("");
    let at_proxy = proxy_host.as_deref().is_some_and(|h| text.contains(h))
      || found
        .iter()
        .any(|(c, _)| c.id == "connection-refused" || c.id == "dns-failure");
    if at_proxy && found.iter().any(|(c, _)| network.contains(&c.id)) {
      found.retain(|(c, _)| !network.contains(&c.id) || c.id == "network-timeout");
      found.insert(0, (cause("proxy-misconfigured"), 95));
    }
  }

  // Without the configuration (a saved log): npm refused at another port than
  // the registry URL's went through a proxy. Name resolution can change the
  // address, never the port.
  if has(&found, "connection-refused") && !has(&found, "proxy-misconfigured") {
    let text = s.block.map(|b| b.text.as_str()).unwrap_or("");
    let refused_port = text
      .split_once("connect ECONNREFUSED ")
      .and_then(|(_, r)| r.split_whitespace().next())
      .and_then(|a| a.rsplit(':').next())
      .and_then(|p| p.trim_end_matches(['.', ',']).parse::<u16>().ok());
    let url_port = url.as_deref().and_then(port_of);
    if let (Some(refused), Some(wanted)) = (refused_port, url_port) {
      if refused != wanted {
        found.retain(|(c, _)| c.id != "connection-refused");
        found.insert(0, (cause("proxy-misconfigured"), 93));
      }
    }
  }

  // npm tried trusted publishing and it failed: npm then publishes with
  // whatever token it has (a 404 on PUT) or none (ENEEDAUTH). npm's debug log
  // says so in its oidc lines; "Skipped" (the job could not have used it) and
  // "Successfully" are no failed attempt.
  let oidc_attempted = s
    .facts
    .oidc
    .iter()
    .any(|l| !l.contains("Skipped") && !l.contains("Successfully"))
    || s
      .facts
      .fetches
      .iter()
      .any(|f| f.url.contains("/oidc/token/exchange") && f.status.is_some_and(|st| st >= 400));
  let publishing = s.ctx.command.publishes()
    || s.observed.method.as_deref() == Some("PUT")
    || s.observed.code.as_deref() == Some("ENEEDAUTH");
  if oidc_attempted
    && publishing
    && (has(&found, "not-logged-in") || has(&found, "publish-not-found"))
  {
    found.retain(|(c, _)| c.id != "not-logged-in");
    found.insert(0, (cause("trusted-publishing-failed"), 96));
  }

  // The registry said the token expired: the refusal is its effect, not a
  // second cause.
  if has(&found, "token-expired") {
    let effects = [
      "auth-rejected",
      "publish-not-found",
      "package-not-found",
      "registry-forbidden",
      "publish-forbidden",
      "not-logged-in",
    ];
    found.retain(|(c, _)| !effects.contains(&c.id));
  }

  let mut seen = Vec::new();
  found.retain(|(c, _)| {
    let new = !seen.contains(&c.id);
    seen.push(c.id);
    new
  });
  found.sort_by_key(|f| std::cmp::Reverse(f.1));
  found
}

/// The port a URL connects to, default ports included.
fn port_of(url: &str) -> Option<u16> {
  let host = context::host_of(url)?;
  match host.rsplit_once(':') {
    Some((_, port)) if !host.ends_with(']') => port.parse().ok(),
    _ if url.starts_with("https:") => Some(443),
    _ if url.starts_with("http:") => Some(80),
    _ => None,
  }
}

fn build(cause: &'static Cause, weight: u8, s: &Situation, warning: bool) -> Diagnosis {
  let mut evidence = Vec::new();
  let summary = summary(s);
  if !summary.is_empty() {
    evidence.push(summary.clone());
  }
  if let Some(notice) = s
    .facts
    .notices
    .iter()
    .find(|n| n.to_ascii_lowercase().contains(NOTICE_EXPIRED))
  {
    evidence.push(format!("npm notice: {notice}"));
  }
  if let Some(block) = s.block {
    evidence.extend(
      block
        .lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("npm error: {l}")),
    );
  }
  if let Some(version) = &s.facts.npm_version {
    evidence.push(format!(
      "npm {version}{}",
      s.facts
        .node_version
        .as_ref()
        .map(|n| format!(", Node.js {n}"))
        .unwrap_or_default()
    ));
  }
  let steps = advice::steps(cause.id, s, &mut evidence);
  Diagnosis {
    cause,
    code: s.observed.code.clone(),
    summary: if warning {
      "npm notice: Access token expired or revoked".into()
    } else {
      summary
    },
    evidence,
    steps,
    weight,
    warning,
  }
}

/// "PUT to registry.npmjs.org answered 403 Forbidden: You cannot publish over…"
fn summary(s: &Situation) -> String {
  let o = s.observed;
  let Some(block) = s.block else {
    return String::new();
  };
  if let (Some(status), Some(http)) = (o.status, &block.http) {
    // The host with its port: two registries on one host differ by port.
    let host = o.url.as_deref().and_then(context::host_of);
    let what = match (&o.method, &host) {
      (Some(m), Some(h)) => format!("{m} to {h} answered {status}"),
      (None, Some(h)) => format!("{h} answered {status}"),
      _ => format!("the registry answered {status}"),
    };
    let text = if http.status_text.is_empty() {
      String::new()
    } else {
      format!(" {}", http.status_text)
    };
    return match &o.reason {
      Some(reason) if !reason.eq_ignore_ascii_case(&http.status_text) => {
        format!("{what}{text}: {reason}")
      }
      _ => format!("{what}{text}"),
    };
  }
  let first = block
    .lines
    .iter()
    .map(|l| l.trim())
    .find(|l| !l.is_empty() && !l.starts_with("at "))
    .unwrap_or("");
  let first = first.strip_prefix("FetchError: ").unwrap_or(first);
  match (&o.code, o.status, &o.host) {
    (Some(code), Some(status), Some(host)) if first.is_empty() => {
      format!("{host} answered {status} ({code})")
    }
    (Some(code), _, _) if first.is_empty() => format!("npm error code {code}"),
    (Some(code), _, _) => format!("{code}: {first}"),
    (None, _, _) => first.to_owned(),
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::{line, transcript::Transcript};

  fn from_log(lines: &[&str]) -> Vec<&'static str> {
    let mut t = Transcript::default();
    for l in lines {
      t.push_npm(line::from_log(l).unwrap());
    }
    diagnose(&t.facts(), &Context::default(), false)
      .iter()
      .map(|d| d.cause.id)
      .collect()
  }

  #[test]
  fn a_failed_install_script_that_ran_npm_is_not_diagnosed_again() {
    // An install script ran `npm publish`, whose npmx already reported the
    // failure; the outer npm captured that output into its own block.
    let ids = from_log(&[
      "40 error code 1",
      "41 error path /app/node_modules/x",
      "42 error command failed",
      "43 error command sh -c npm publish",
      "44 error npm error You cannot publish over the previously published versions: 1.0.0.",
      "45 error A complete log of this run can be found in: /h/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log",
    ]);
    assert!(ids.is_empty(), "{ids:?}");
  }

  #[test]
  fn npm_s_own_block_with_the_same_words_is() {
    let ids = from_log(&[
      "20 error You cannot publish over the previously published versions: 1.0.0.",
      "21 error A complete log of this run can be found in: /h/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log",
    ]);
    assert_eq!(ids, ["version-exists"]);
  }
}
