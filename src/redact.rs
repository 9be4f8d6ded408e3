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
  ///
  /// The forms a secret takes on its way out are known too: percent-encoded
  /// in a URL, and for base64 values (`_auth` is base64 of `user:password`,
  /// `_password` of the password) the decoded text and its password.
  pub(crate) fn add_secret(&mut self, value: &str) {
    let value = value.trim();
    if value.len() < 6 || value.starts_with("${") {
      return;
    }
    self.remember(value);
    if let Some(decoded) = base64_text(value) {
      self.remember(&decoded);
      if let Some((_, password)) = decoded.split_once(':') {
        self.remember(password);
      }
    }
  }

  /// A value and its percent-encoded form.
  fn remember(&mut self, value: &str) {
    for form in [value.to_owned(), percent_encode(value)] {
      if form.len() >= 6 && !self.known.contains(&form) {
        self.known.push(form);
      }
    }
    self.known.sort_by_key(|k| std::cmp::Reverse(k.len()));
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
    let text = mask_patterns(&text);
    Clean::redacted(crate::output::defuse_lines(&text).into_owned())
  }
}

/// `value` as it appears in a URL when percent-encoded.
fn percent_encode(value: &str) -> String {
  let mut out = String::with_capacity(value.len());
  for b in value.bytes() {
    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
      out.push(b as char);
    } else {
      out.push_str(&format!("%{b:02X}"));
    }
  }
  out
}

/// The text a base64 value stands for, if it is base64 of printable text.
fn base64_text(value: &str) -> Option<String> {
  const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let trimmed = value.trim_end_matches('=');
  if trimmed.len() < 8 || value.len() % 4 != 0 {
    return None;
  }
  let mut bits: u32 = 0;
  let mut count = 0;
  let mut bytes = Vec::with_capacity(trimmed.len() * 3 / 4);
  for c in trimmed.bytes() {
    let v = ALPHABET.iter().position(|&a| a == c)? as u32;
    bits = (bits << 6) | v;
    count += 6;
    if count >= 8 {
      count -= 8;
      bytes.push((bits >> count) as u8);
      bits &= (1 << count) - 1;
    }
  }
  let text = String::from_utf8(bytes).ok()?;
  text.chars().all(|c| !c.is_control()).then_some(text)
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
  // npm granular and legacy tokens, GitHub and GitLab tokens, Artifactory
  // API keys.
  (r"\bnpm_[A-Za-z0-9]{30,}", MASK),
  (r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}", MASK),
  (r"\bgithub_pat_[A-Za-z0-9_]{30,}", MASK),
  (r"\bglpat-[A-Za-z0-9_-]{20,}", MASK),
  (r"\bAKC[A-Za-z0-9]{60,}", MASK),
  // Long base64 tokens (AWS CodeArtifact, Azure) and Azure DevOps PATs
  // (52 characters of base32). An integrity hash (sha512-…, 88) is shorter.
  (r"\b[A-Za-z0-9+/]{100,}={0,2}", MASK),
  (r"\b[a-z2-7]{52}\b", MASK),
  // Quoted .npmrc secrets: `_authToken='X'`, `_auth="X"`.
  (
    r#"(?i)((?:_authToken|_auth|_password|:password|authToken)\s*[=:]\s*)(['"])[^$'"\s][^'"\s]*(['"])"#,
    "${1}${2}***${3}",
  ),
  // Tokens in query strings and challenges: `?token=`, `access_token=`,
  // `X-Amz-Security-Token=`, `token="…"`.
  (
    r#"(?i)\b((?:access_|auth_|id_|refresh_)?token|X-Amz-Security-Token|X-Amz-Credential|X-Amz-Signature|sig|signature)=("?)[^\s"&]{8,}"#,
    "${1}=${2}***",
  ),
  // `Authorization: token X` (GitHub's form).
  (r"(?i)\b(Authorization:\s*token)\s+\S+", "${1} ***"),
  // A token as a URL's user with no password: `https://:TOKEN@host`.
  (r"(?i)\b([a-z][a-z0-9+.-]*://):[^\s@/]+@", "${1}:***@"),
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
    r#"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]{12,}=*(\s|$|[",;)'\]}>])"#,
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

/// Adversarial: random secrets of every shape in random places, and random
/// hostile text, through the one function everything npmx writes passes.
#[cfg(test)]
mod adversarial {
  use super::*;

  /// xorshift: deterministic, so a failure can be replayed.
  struct Rng(u64);

  impl Rng {
    fn next(&mut self) -> u64 {
      self.0 ^= self.0 << 13;
      self.0 ^= self.0 >> 7;
      self.0 ^= self.0 << 17;
      self.0
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
      from[(self.next() % from.len() as u64) as usize]
    }
    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
      (0..n)
        .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
        .collect()
    }
  }

  const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const B32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
  const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  /// A token of a recognisable shape, and the text it is embedded as.
  fn shaped(rng: &mut Rng) -> (String, String) {
    let secret = rng.chars(ALNUM, 36);
    match rng.next() % 12 {
      0 => (secret.clone(), format!("npm_{secret}")),
      1 => (secret.clone(), format!("ghp_{secret}")),
      2 => (secret.clone(), format!("glpat-{secret}")),
      3 => (secret.clone(), format!("//r.example/:_authToken={secret}")),
      4 => (
        secret.clone(),
        format!("//r.example/:_authToken='{secret}'"),
      ),
      5 => (secret.clone(), format!("Authorization: Bearer {secret})")),
      6 => (
        secret.clone(),
        format!("WWW-Authenticate: Bearer realm=\"x\", token=\"{secret}\""),
      ),
      7 => (
        secret.clone(),
        format!("https://r.example/x.tgz?token={secret}&a=1"),
      ),
      8 => (secret.clone(), format!("X-Amz-Security-Token={secret}")),
      9 => (secret.clone(), format!("https://:{secret}@r.example/")),
      10 => (secret.clone(), format!("Authorization: token {secret}")),
      _ => {
        let long = rng.chars(B64, 160);
        (long.clone(), long)
      }
    }
  }

  fn leaks(out: &str, secret: &str) -> Option<String> {
    let bytes = secret.as_bytes();
    (0..bytes.len().saturating_sub(7))
      .map(|i| &secret[i..i + 8])
      .find(|piece| out.contains(piece))
      .map(str::to_owned)
  }

  #[test]
  fn no_shaped_token_or_eight_characters_of_it_survive() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let filler = [
      "npm error",
      "GET",
      "-",
      "reason:",
      "at",
      "\n",
      "  ",
      "(x)",
      "'",
      "\"",
    ];
    for round in 0..2000 {
      let (secret, embedded) = shaped(&mut rng);
      let text = format!(
        "{} {} {embedded} {} {}",
        rng.pick(&filler),
        rng.pick(&filler),
        rng.pick(&filler),
        rng.pick(&filler)
      );
      let out = Redactor::default().clean(&text);
      if let Some(piece) = leaks(out.as_str(), &secret) {
        panic!("round {round}: {piece:?} of {embedded:?} survived: {out}");
      }
    }
  }

  #[test]
  fn known_secrets_in_every_encoding_are_masked() {
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    for round in 0..500 {
      let user = rng.chars(ALNUM, 8);
      let password = format!("{}!@{}", rng.chars(ALNUM, 10), rng.chars(ALNUM, 6));
      let auth = base64(&format!("{user}:{password}"));
      let pat = rng.chars(B32, 52);
      let mut r = Redactor::default();
      r.add_secret(&auth);
      r.add_secret(&base64(&password));
      r.add_secret(&pat);
      let text = format!(
        "sent {user}:{password} and {auth}, url https://u:{}@h/ and pat {pat}",
        percent_encode(&password)
      );
      let out = r.clean(&text);
      for secret in [&password, &auth, &pat] {
        if let Some(piece) = leaks(out.as_str(), secret) {
          panic!("round {round}: {piece:?} survived: {out}");
        }
      }
    }
  }

  #[test]
  fn hostile_text_never_yields_a_control_character_or_a_runner_command() {
    let mut rng = Rng(0x5eed_1234_abcd_0003);
    let pieces = [
      "::error title=x::y",
      "##[error]boom",
      "##[add-mask]x",
      "##vso[task.setvariable]x",
      "::stop-commands::t",
      "\u{1b}]52;c;aGk=\u{7}",
      "\u{1b}]8;;https://evil\u{1b}\\",
      "\u{1b}[2J",
      "\r",
      "\n",
      "   ",
      "\u{202e}",
      "\u{0}",
      "word",
      "%0A",
    ];
    for round in 0..3000 {
      let text: String = (0..8).map(|_| rng.pick(&pieces)).collect();
      let out = Redactor::default().clean(&text);
      let out = out.as_str();
      assert!(
        !out
          .chars()
          .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "round {round}: control character in {out:?}"
      );
      for line in out.lines() {
        let body = line.trim_start();
        assert!(
          !body.starts_with("::") && !body.starts_with("##"),
          "round {round}: runner command line {line:?}"
        );
      }
      for line in Redactor::default().clean(&text).wrap(12) {
        let body = line.as_str().trim_start();
        assert!(
          !body.starts_with("::") && !body.starts_with("##"),
          "{body:?}"
        );
      }
    }
  }

  fn base64(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
      let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
      for i in 0..4 {
        if i <= chunk.len() {
          out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        } else {
          out.push('=');
        }
      }
    }
    out
  }
}
