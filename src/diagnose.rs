//! Deciding causes: signatures first, then the situation.
//!
//! Every signature that fits npm's error block is a candidate; specific ones
//! silence the fallbacks, each cause counts once at its best weight, and a
//! candidate far behind the best is dropped. The causes' rules then refine
//! what npm's text cannot tell apart — a 401 with no credential for that host
//! is "not logged in", a refused connection at the proxy's address is the
//! proxy's setting — and a cause supersedes the ones that are its effects.
//!
//! This module knows no cause by name: everything particular to a cause is
//! in its entry under `causes/`.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

use crate::{
  advice::{Advice, Step},
  causes::{self, Cause, Signature},
  context::Context,
  facts::{Block, Facts, Request},
  situation::Situation,
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

pub(crate) fn diagnose(facts: &Facts, ctx: &Context, succeeded: bool) -> Vec<Diagnosis> {
  let mut out: Vec<Diagnosis> = Vec::new();
  if succeeded || facts.blocks.is_empty() {
    // npm succeeded, but the registry said the token is dead: the next
    // publish or private install will fail.
    if succeeded && facts.token_expired_notice().is_some() {
      let situation = Situation::new(facts, None, ctx);
      out.push(build(&causes::auth::TOKEN_EXPIRED, 90, &situation, true));
    }
    return out;
  }
  for block in &facts.blocks {
    let situation = Situation::new(facts, Some(block), ctx);
    let mut found = candidates(block, facts);
    apply_rules(&mut found, &situation);
    supersede(&mut found);
    for (cause, weight) in found {
      if let Some(existing) = out.iter_mut().find(|d| d.cause.is(cause)) {
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
  // A git command's exit code is a number too (`code 128`), but npm's
  // block for it says which git command, not "command failed".
  block.code.as_deref().is_some_and(|c| {
    c == "ELIFECYCLE"
      || (!c.is_empty()
        && c.bytes().all(|b| b.is_ascii_digit())
        && block.lines.iter().any(|l| l.trim() == "command failed"))
  })
}

type Found = Vec<(&'static Cause, u8)>;

/// The most steps a diagnosis gives.
const MAX_STEPS: usize = 4;

fn candidates(block: &Block, facts: &Facts) -> Found {
  let matched: Vec<(&'static Cause, &Signature)> = causes::all()
    .flat_map(|c| c.signatures.iter().map(move |s| (c, s)))
    .filter(|(_, s)| matches(s, block, facts))
    .collect();
  let specific = matched.iter().any(|(_, s)| !s.fallback);
  let mut found: Found = Vec::new();
  for (cause, s) in matched {
    if specific && s.fallback {
      continue;
    }
    match found.iter_mut().find(|(c, _)| c.is(cause)) {
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

fn matches(s: &Signature, block: &Block, facts: &Facts) -> bool {
  let r: &Request = &block.request;
  // A signature must ask for something (a path alone will do for a
  // script's block, whose path is npm's own line).
  let asks = !s.codes.is_empty()
    || s.status.is_some()
    || s.text.is_some()
    || s.notice.is_some()
    || (s.script && s.path.is_some());
  if !asks {
    return false;
  }
  if s.script != script_failed(block) {
    return false;
  }
  if !s.codes.is_empty() && !r.code.as_deref().is_some_and(|c| s.codes.contains(&c)) {
    return false;
  }
  if s.status.is_some() && s.status != r.status {
    return false;
  }
  if !s.methods.is_empty() && !r.method.as_deref().is_some_and(|m| s.methods.contains(&m)) {
    return false;
  }
  // A block with no code of npm's only counts if npm closed it, or if it is
  // npm's own network failure sentence.
  if r.code.is_none() && r.status.is_none() && !block.closed && !block.fetch_error {
    return false;
  }
  let hit = |pattern: Option<&str>, text: &str| pattern.is_none_or(|p| regex(p).is_match(text));
  hit(s.text, &block.text)
    && hit(s.reason, r.reason.as_deref().unwrap_or(""))
    && hit(s.host, r.host.as_deref().unwrap_or(""))
    && hit(s.path, block.path.as_deref().unwrap_or(""))
    && s
      .notice
      .is_none_or(|p| facts.notices.iter().any(|n| regex(p).is_match(n)))
}

/// Signature regexes, compiled once and only when a failure needs them.
fn regex(pattern: &str) -> &'static Regex {
  static CACHE: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    causes::all()
      .flat_map(|c| c.signatures)
      .flat_map(|s| [s.text, s.reason, s.host, s.notice, s.path])
      .flatten()
      .map(|p| {
        let re = RegexBuilder::new(p)
          .case_insensitive(true)
          .build()
          .expect("signature regex");
        (p, re)
      })
      .collect()
  });
  &CACHE
    .iter()
    .find(|(p, _)| *p == pattern)
    .expect("pattern is a signature's")
    .1
}

/// The causes' rules, until none has more to say. A rule fires at most once,
/// so rules that feed each other (auth-rejected → not-logged-in → trusted
/// publishing) settle in a few passes and can never loop.
fn apply_rules(found: &mut Found, s: &Situation) {
  let mut fired: Vec<(&'static str, usize)> = Vec::new();
  loop {
    let mut changed = false;
    for cause in causes::all() {
      for (i, rule) in cause.rules.iter().enumerate() {
        if fired.contains(&(cause.id, i))
          || !rule.from.iter().any(|f| found.iter().any(|(c, _)| c.is(f)))
          || !(rule.when)(s)
        {
          continue;
        }
        fired.push((cause.id, i));
        changed = true;
        if rule.replaces {
          found.retain(|(c, _)| !rule.from.iter().any(|f| c.is(f)));
        }
        match found.iter_mut().find(|(c, _)| c.is(cause)) {
          Some((_, w)) => *w = (*w).max(rule.weight),
          // Ahead of the others: on equal weight the situation's finding
          // is more particular than the text's.
          None => found.insert(0, (cause, rule.weight)),
        }
      }
    }
    if !changed {
      break;
    }
  }
  found.sort_by_key(|f| std::cmp::Reverse(f.1));
}

/// A cause and its effects: only the cause is said.
fn supersede(found: &mut Found) {
  let effects: Vec<&'static Cause> = found
    .iter()
    .flat_map(|(c, _)| c.supersedes.iter().copied())
    .collect();
  found.retain(|(c, _)| !effects.iter().any(|e| e.is(c)));
}

fn build(cause: &'static Cause, weight: u8, s: &Situation, warning: bool) -> Diagnosis {
  let mut evidence = Vec::new();
  let summary = summary(s);
  if !summary.is_empty() {
    evidence.push(summary.clone());
  }
  if let Some(notice) = s.facts.token_expired_notice() {
    evidence.push(format!("npm notice: {notice}"));
  }
  if let Some(block) = s.block {
    evidence.extend(
      sentences(&block.lines)
        .into_iter()
        .map(|l| format!("npm error: {l}")),
    );
  }
  if let Some(version) = &s.facts.npm_version {
    let node = s
      .facts
      .node_version
      .as_ref()
      .map(|n| format!(", Node.js {n}"))
      .unwrap_or_default();
    evidence.push(format!("npm {version}{node}"));
  }
  let mut advice = Advice::new(s);
  (cause.advise)(&mut advice);
  // Three or four steps, the likeliest fix first: a fifth is never read.
  advice.steps.truncate(MAX_STEPS);
  evidence.append(&mut advice.evidence);
  Diagnosis {
    cause,
    code: s.request.code.clone(),
    summary: if warning {
      "npm notice: Access token expired or revoked".into()
    } else {
      summary
    },
    evidence,
    steps: advice.steps,
    weight,
    warning,
  }
}

/// How many of npm's sentences the evidence keeps: the ones that decided
/// come first; npm's usage text and long lists after them decide nothing.
const MAX_SENTENCES: usize = 6;

/// npm's lines as whole sentences: npm hard-wraps its messages at about 80
/// columns, so a line that goes on in lower case continues the one before
/// ("…package.json and package-lock.json or" / "npm-shrinkwrap.json are in
/// sync"). Stops at npm's usage text, which follows its description line.
fn sentences(lines: &[String]) -> Vec<String> {
  let mut out: Vec<String> = Vec::new();
  let mut open = false;
  for line in lines {
    let text = line.trim();
    if text.is_empty() {
      open = false;
      continue;
    }
    // A stack trace and the error object Node.js prints after it say
    // nothing the first line did not.
    let dump = text.starts_with("at ")
      || text == "}"
      || text.ends_with('{')
      || (text.ends_with(',') && text.contains(": "));
    if dump {
      open = false;
      continue;
    }
    if text == "Usage:" {
      // The line before "Usage:" is the command's one-line description.
      if !open {
        out.pop();
      }
      break;
    }
    let continues = open
      && text.starts_with(|c: char| c.is_ascii_lowercase())
      && !line.starts_with(char::is_whitespace)
      && out.last().is_some_and(|l| !l.ends_with(':'));
    match out.last_mut() {
      Some(last) if continues => {
        last.push(' ');
        last.push_str(text);
      }
      _ => out.push(text.to_owned()),
    }
    open = true;
  }
  out.truncate(MAX_SENTENCES);
  out
}

/// "PUT to registry.npmjs.org answered 403 Forbidden: You cannot publish over…"
fn summary(s: &Situation) -> String {
  let r = s.request;
  let Some(block) = s.block else {
    return String::new();
  };
  if let (Some(status), Some(http)) = (r.status, &block.http) {
    // The host with its port: two registries on one host differ by port.
    let host = r.url.as_deref().and_then(crate::url::host_of);
    let what = match (&r.method, &host) {
      (Some(m), Some(h)) => format!("{m} to {h} answered {status}"),
      (None, Some(h)) => format!("{h} answered {status}"),
      _ => format!("the registry answered {status}"),
    };
    let text = if http.status_text.is_empty() {
      String::new()
    } else {
      format!(" {}", http.status_text)
    };
    return match &r.reason {
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
  match (&r.code, r.status, &r.host) {
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
  fn evidence_is_npm_s_sentences_whole_without_the_usage_text() {
    let lines: Vec<String> = [
      "`npm ci` can only install packages when your package.json and package-lock.json or",
      "npm-shrinkwrap.json are in sync. Please update your lock file with `npm install`",
      "before continuing.",
      "",
      "Missing: left-pad@1.3.0 from lock file",
      "",
      "Clean install a project",
      "",
      "Usage:",
      "npm ci",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(
      sentences(&lines),
      [
        "`npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.",
        "Missing: left-pad@1.3.0 from lock file",
      ]
    );
  }

  #[test]
  fn npm_s_own_block_with_the_same_words_is() {
    let ids = from_log(&[
      "20 error You cannot publish over the previously published versions: 1.0.0.",
      "21 error A complete log of this run can be found in: /h/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log",
    ]);
    assert_eq!(ids, ["version-exists"]);
  }

  #[test]
  fn a_refused_401_with_no_token_and_an_oidc_failure_is_trusted_publishing() {
    // Rules feed each other: auth-rejected → not-logged-in → trusted publishing.
    let ids = from_log(&[
      "10 verbose oidc Failed token exchange request with body message: no trusted publisher",
      "20 error code ENEEDAUTH",
      "21 error need auth This command requires you to be logged in to https://registry.npmjs.org/",
      "22 error A complete log of this run can be found in: /h/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log",
    ]);
    assert_eq!(ids.first(), Some(&"trusted-publishing-failed"), "{ids:?}");
    assert!(!ids.contains(&"not-logged-in"), "{ids:?}");
  }
}
