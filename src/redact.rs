//! Nothing secret leaves npmx, and nothing hostile reaches the terminal.
//!
//! Every piece of text npmx prints or writes passes through [`Redactor::clean`]:
//! it replaces the secrets npmx knows of (token values read from `.npmrc` and
//! token variables) and anything shaped like a credential (npm and GitHub
//! tokens, `_authToken=` lines, passwords in URLs, `Bearer` values), and it
//! neutralises control characters and escape sequences, because a registry's
//! reason or a log line is text a stranger chose.

use std::{borrow::Cow, sync::LazyLock};

use regex::{Regex, RegexSet};

use crate::output::Clean;

const MASK: &str = "***";

#[derive(Clone, Debug, Default)]
pub(crate) struct Redactor {
  /// Exact secret values known from the config and environment, longest first.
  known: Vec<String>,
}

impl Redactor {
  /// Remembers a secret value; short values are ignored (masking "true" or a
  /// two-letter password everywhere would garble the text and protect nothing
  /// the patterns do not).
  pub(crate) fn add_secret(&mut self, value: &str) {
    let value = value.trim();
    if value.len() >= 6 && !value.starts_with("${") && !self.known.iter().any(|k| k == value) {
      self.known.push(value.to_owned());
      self.known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
  }

  /// Text fit to print: secrets masked, control characters made visible.
  /// The only way (besides npmx's own literals) to make a [`Clean`].
  pub(crate) fn clean(&self, text: &str) -> Clean {
    let mut text = neutralise(text).into_owned();
    for secret in &self.known {
      if text.contains(secret.as_str()) {
        text = text.replace(secret.as_str(), MASK);
      }
    }
    Clean::redacted(mask_patterns(&text).into_owned())
  }
}

/// Credential shapes, whatever their source.
fn mask_patterns(text: &str) -> Cow<'_, str> {
  static SET: LazyLock<RegexSet> =
    LazyLock::new(|| RegexSet::new(PATTERNS.iter().map(|(p, _)| p)).unwrap());
  static EACH: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    PATTERNS
      .iter()
      .map(|(p, _)| Regex::new(p).unwrap())
      .collect()
  });
  let hits = SET.matches(text);
  if !hits.matched_any() {
    return Cow::Borrowed(text);
  }
  let mut out = text.to_owned();
  for index in hits.iter() {
    out = EACH[index]
      .replace_all(&out, PATTERNS[index].1)
      .into_owned();
  }
  Cow::Owned(out)
}

/// (pattern, replacement). Keys are kept so the text still says what was there.
const PATTERNS: &[(&str, &str)] = &[
  // npm granular and legacy tokens, GitHub tokens.
  (r"\bnpm_[A-Za-z0-9]{30,}", MASK),
  (r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}", MASK),
  (r"\bgithub_pat_[A-Za-z0-9_]{30,}", MASK),
  // .npmrc secrets: `_authToken=`, `_auth=`, `_password=`, also `//host/:_authToken`.
  (
    // A `${VAR}` reference is not a secret and says where the secret comes from.
    r"(?i)((?:_authToken|_auth|_password|:password|authToken)\s*[=:]\s*)[^$\s'`][^\s'`]*",
    "${1}***",
  ),
  // Credentials in a URL.
  (
    r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@",
    "${1}***@",
  ),
  (r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s:/@]{16,}@", "${1}***@"),
  // Authorization header values: a token (base64 padding allowed) that ends
  // the word. A WWW-Authenticate challenge (`Bearer authorization_uri=https://…`,
  // `Basic realm="…"`) is not a secret and stays readable.
  (
    r#"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]{12,}=*(\s|$|[",;])"#,
    "${1} ***${2}",
  ),
  // JWTs (OIDC id tokens).
  (
    r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+",
    MASK,
  ),
];

/// Strips terminal escape sequences (CSI, OSC and two-byte ESC sequences).
pub(crate) fn strip_ansi(text: &str) -> Cow<'_, str> {
  if !text.contains('\u{1b}') && !text.contains('\u{9b}') {
    return Cow::Borrowed(text);
  }
  let mut out = String::with_capacity(text.len());
  let mut chars = text.chars().peekable();
  while let Some(c) = chars.next() {
    match c {
      '\u{1b}' => match chars.next() {
        Some('[') => skip_csi(&mut chars),
        Some(']') => skip_osc(&mut chars),
        _ => {}
      },
      '\u{9b}' => skip_csi(&mut chars),
      c => out.push(c),
    }
  }
  Cow::Owned(out)
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars>) {
  for c in chars.by_ref() {
    if ('\u{40}'..='\u{7e}').contains(&c) {
      break;
    }
  }
}

fn skip_osc(chars: &mut std::iter::Peekable<std::str::Chars>) {
  while let Some(c) = chars.next() {
    if c == '\u{7}' || (c == '\u{1b}' && chars.peek() == Some(&'\\')) {
      chars.next_if_eq(&'\\');
      break;
    }
  }
}

/// Escape sequences removed, every remaining control character (and the
/// bidirectional overrides that can disguise text) shown as `\u{..}`.
pub(crate) fn neutralise(text: &str) -> Cow<'_, str> {
  let stripped = strip_ansi(text);
  let dangerous = |c: char| {
    (c.is_control() && c != '\t' && c != '\n')
      || ('\u{202a}'..='\u{202e}').contains(&c)
      || ('\u{2066}'..='\u{2069}').contains(&c)
  };
  if !stripped.chars().any(dangerous) {
    return stripped;
  }
  let mut out = String::with_capacity(stripped.len());
  for c in stripped.chars() {
    if dangerous(c) {
      out.push_str(&format!("\\u{{{:x}}}", c as u32));
    } else {
      out.push(c);
    }
  }
  Cow::Owned(out)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn known_secrets_and_shapes_are_masked() {
    let mut r = Redactor::default();
    r.add_secret("s3cr3t-value-from-npmrc");
    r.add_secret("true");
    let cases = [
      ("token s3cr3t-value-from-npmrc here", "token *** here"),
      (
        "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789",
        "//registry.npmjs.org/:_authToken=***",
      ),
      (
        "use npm_abcdefghijklmnopqrstuvwxyz0123456789 now",
        "use *** now",
      ),
      (
        "https://alice:hunter2@npm.acme.com/",
        "https://alice:***@npm.acme.com/",
      ),
      ("_auth = YWxpY2U6aHVudGVyMg==", "_auth = ***"),
      (
        "Authorization: Bearer abcdef123456789xyz",
        "Authorization: Bearer ***",
      ),
      ("ghp_0123456789abcdefghijklmnopqrstuvwxyz", "***"),
      ("strict-ssl=true", "strict-ssl=true"),
      (
        "//npm.acme.com/:_authToken=${ACME_TOKEN}",
        "//npm.acme.com/:_authToken=${ACME_TOKEN}",
      ),
    ];
    for (input, want) in cases {
      assert_eq!(r.clean(input).as_str(), want, "{input}");
    }
  }

  #[test]
  fn hostile_text_is_neutralised() {
    let r = Redactor::default();
    assert_eq!(r.clean("red \u{1b}[31mtext\u{1b}[0m").as_str(), "red text");
    assert_eq!(
      r.clean("title \u{1b}]0;pwned\u{7}done").as_str(),
      "title done"
    );
    assert_eq!(
      r.clean("bell\u{7} cr\r nul\u{0}").as_str(),
      "bell\\u{7} cr\\u{d} nul\\u{0}"
    );
    assert_eq!(r.clean("abc\u{202e}fed").as_str(), "abc\\u{202e}fed");
    assert_eq!(r.clean("tab\tand\nnewline").as_str(), "tab\tand\nnewline");
  }

  #[test]
  fn strip_ansi_keeps_text() {
    assert_eq!(
      strip_ansi("\u{1b}[1mnpm\u{1b}[22m \u{1b}[31merror\u{1b}[39m code E403"),
      "npm error code E403"
    );
  }
}
