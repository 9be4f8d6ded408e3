//! Nothing secret leaves npmx, and nothing hostile reaches the terminal or a
//! CI runner.
//!
//! Every piece of text npmx prints or writes passes through [`Redactor::clean`]:
//! it replaces the secrets npmx knows of (values read from every `.npmrc`
//! layer and from token variables, with their decoded and percent-encoded
//! forms) and anything shaped like a credential (`shapes`), neutralises
//! control characters and escape sequences, and disarms workflow commands
//! (`text`), because a registry's reason or a log line is text a stranger
//! chose.

mod shapes;
mod text;

use memchr::memmem;

use crate::output::Clean;

pub(crate) use text::{neutralise, one_line, strip_ansi};

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

  /// A base64 secret (`_auth`, `_password`): the value itself, what it
  /// decodes to and, for `user:password`, the password alone.
  pub(crate) fn add_base64_secret(&mut self, value: &str) {
    self.add_secret(value);
    if let Some(decoded) = base64_decode(value.trim()) {
      self.add_secret(&decoded);
      if let Some((_, password)) = decoded.split_once(':') {
        self.add_secret(password);
      }
    }
  }

  /// `username` and a base64 `_password` for the same host: npm sends
  /// `Basic base64(user:password)`, so that is a secret too.
  pub(crate) fn add_basic_credentials(&mut self, user: &str, password_base64: &str) {
    if let Some(password) = base64_decode(password_base64.trim()) {
      self.add_secret(&base64_encode(format!("{user}:{password}").as_bytes()));
    }
  }

  /// Text fit to print: secrets masked, control characters made visible,
  /// workflow commands disarmed.
  /// The only way (besides npmx's own literals) to make a [`Clean`].
  pub(crate) fn clean(&self, text: &str) -> Clean {
    // Known secrets first on the raw text (an escape sequence next to one
    // must not eat part of it), and again once escape sequences are gone
    // (one inside a secret must not hide it).
    // Shapes likewise: a stray escape byte (`\u{9b}`) can eat a token's
    // first characters, and an escape sequence inside a token hides it.
    let text = self.mask_known(text);
    let text = shapes::mask(&text);
    let text = neutralise(&text);
    let text = self.mask_known(&text);
    let text = shapes::mask(&text);
    Clean::redacted(text::disarm_commands(&text).into_owned())
  }

  /// Every known secret masked, also where it is percent-encoded
  /// (`%2F`, `%2f`, or only partly encoded).
  fn mask_known(&self, text: &str) -> String {
    let mut text = text.to_owned();
    for secret in &self.known {
      if text.contains(secret.as_str()) {
        text = text.replace(secret.as_str(), MASK);
      }
    }
    if !text.contains('%') || self.known.is_empty() {
      return text;
    }
    // The text percent-decoded, each decoded byte remembering where it came from.
    let bytes = text.as_bytes();
    let (mut decoded, mut from) = (Vec::with_capacity(bytes.len()), Vec::new());
    let mut i = 0;
    while i < bytes.len() {
      let hex = |b: u8| (b as char).to_digit(16);
      let escape = (bytes[i] == b'%' && i + 2 < bytes.len())
        .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
        .flatten();
      from.push(i);
      match escape {
        Some(value) => {
          decoded.push(value as u8);
          i += 3;
        }
        None => {
          decoded.push(bytes[i]);
          i += 1;
        }
      }
    }
    from.push(bytes.len());
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for secret in &self.known {
      for start in memmem::find_iter(&decoded, secret.as_bytes()) {
        spans.push((from[start], from[start + secret.len()]));
      }
    }
    if spans.is_empty() {
      return text;
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
      if end <= at {
        continue;
      }
      if start >= at {
        out.push_str(&text[at..start]);
        out.push_str(MASK);
      }
      at = end;
    }
    out.push_str(&text[at..]);
    out
  }

  /// `line` cut to at most `max` bytes without cutting through a secret:
  /// the cut moves back to the start of any known secret it would split,
  /// then to the start of the word it falls in, so what is kept holds each
  /// secret whole (and masked when printed) or not at all.
  pub(crate) fn cut<'a>(&self, line: &'a str, max: usize) -> &'a str {
    if line.len() <= max {
      return line;
    }
    let mut end = max;
    loop {
      let before = end;
      for secret in &self.known {
        let from = end.saturating_sub(secret.len() * 3);
        let to = (end + secret.len() * 3).min(line.len());
        let window = &line.as_bytes()[from..to];
        let crossing = memmem::find_iter(window, secret.as_bytes())
          .map(|s| from + s)
          .find(|&s| s < end && s + secret.len() > end);
        if let Some(start) = crossing {
          end = start;
        }
      }
      // Back to the last character no token is made of.
      let token_byte = |b: u8| b.is_ascii_alphanumeric() || b"+/=_.~%-:@".contains(&b) || b >= 0x80;
      while end > 0 && token_byte(line.as_bytes()[end - 1]) && token_byte(line.as_bytes()[end]) {
        end -= 1;
      }
      if end == before {
        break;
      }
    }
    while !line.is_char_boundary(end) {
      end -= 1;
    }
    &line[..end]
  }
}

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard or URL-safe base64, padded or not, to text; `None` unless it
/// decodes to UTF-8.
fn base64_decode(text: &str) -> Option<String> {
  let mut bits = 0u32;
  let mut count = 0;
  let mut out = Vec::with_capacity(text.len() * 3 / 4);
  for b in text.trim_end_matches('=').bytes() {
    let value = match b {
      b'-' => 62,
      b'_' => 63,
      _ => BASE64.iter().position(|&c| c == b)? as u32,
    };
    bits = (bits << 6) | value;
    count += 6;
    if count >= 8 {
      count -= 8;
      out.push((bits >> count) as u8);
      bits &= (1 << count) - 1;
    }
  }
  String::from_utf8(out).ok().filter(|s| !s.is_empty())
}

#[cfg(test)]
pub(crate) fn tests_base64(bytes: &[u8]) -> String {
  base64_encode(bytes)
}

fn base64_encode(bytes: &[u8]) -> String {
  let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
  for chunk in bytes.chunks(3) {
    let n = chunk
      .iter()
      .enumerate()
      .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
    for i in 0..4 {
      if i <= chunk.len() {
        out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
      } else {
        out.push('=');
      }
    }
  }
  out
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
  fn decoded_and_percent_encoded_forms_are_masked() {
    let mut r = Redactor::default();
    // alice:p@ss/w0rd+x
    r.add_base64_secret("YWxpY2U6cEBzcy93MHJkK3g=");
    r.add_secret("tok/en+with=chars");
    for (input, want) in [
      ("user alice:p@ss/w0rd+x", "user ***"),
      ("pw p@ss/w0rd+x.", "pw ***."),
      (
        "GET https://r.example/?t=tok%2Fen%2bwith%3Dchars&x",
        "GET https://r.example/?t=***&x",
      ),
      ("partly tok/en%2Bwith=chars", "partly ***"),
      ("p%40ss%2Fw0rd%2Bx", "***"),
    ] {
      assert_eq!(r.clean(input).as_str(), want, "{input}");
    }
    let mut r = Redactor::default();
    r.add_basic_credentials("bob", &base64_encode(b"s3cret-pw"));
    assert_eq!(r.clean("Basic Ym9iOnMzY3JldC1wdw==").as_str(), "Basic ***");
    assert_eq!(
      base64_decode(&base64_encode(b"bob:s3cret-pw")).unwrap(),
      "bob:s3cret-pw"
    );
  }

  #[test]
  fn a_cut_never_splits_a_secret() {
    let mut r = Redactor::default();
    r.add_secret("p@ss word:with spaces");
    let line = format!("{}npm_{} more", "x ".repeat(10), "A1".repeat(40));
    for max in 0..line.len() {
      let kept = r.cut(&line, max);
      assert!(kept.len() <= max);
      assert!(
        !kept.contains("npm_") || kept.contains(&"A1".repeat(40)),
        "{kept}"
      );
    }
    let line = "aaa p@ss word:with spaces bbb";
    for max in 0..line.len() {
      let kept = r.cut(line, max);
      assert!(
        !kept.contains("p@ss") || kept.contains("spaces"),
        "{max}: {kept}"
      );
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
    assert_eq!(
      r.clean("reason: x\n::error::pwned ##[add-mask]y").as_str(),
      "reason: x\n\\::error::pwned #\\#[add-mask]y"
    );
  }
}
