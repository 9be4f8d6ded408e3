//! What JavaScript does with text, where npm's own code relies on it:
//! `trim()`, `Number()`, `String()` and `JSON.parse()`. Rust's nearest
//! equivalents differ at the edges (Rust's whitespace has U+0085 and not the
//! BOM; `"0x1f".parse::<f64>()` fails; `format!("{}", 1e21)` has no
//! exponent), and those edges are exactly what a hand-edited `.npmrc` or an
//! odd command line reaches.

/// JavaScript's whitespace and line terminators (`\s`, what `trim()` removes).
pub(crate) fn is_space(c: char) -> bool {
  matches!(
    c,
    '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
      ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
  )
}

/// `text.trim()`: removes a BOM too, which is how npm ignores one at the
/// start of an `.npmrc`.
pub(crate) fn trim(text: &str) -> &str {
  text.trim_matches(is_space)
}

/// `Number(text)`, or `None` where JavaScript gives `NaN`. Accepts what
/// JavaScript accepts: surrounding whitespace, nothing at all (0), `0x1f`,
/// `0o17`, `0b1`, `1e3`, `.5`, `5.`, `-Infinity`; not `1_000`, `inf`, `NaN`.
pub(crate) fn number(text: &str) -> Option<f64> {
  let text = trim(text);
  if text.is_empty() {
    return Some(0.0);
  }
  let bytes = text.as_bytes();
  if bytes.len() > 2 && bytes[0] == b'0' {
    let radix = match bytes[1] {
      b'x' | b'X' => Some(16),
      b'o' | b'O' => Some(8),
      b'b' | b'B' => Some(2),
      _ => None,
    };
    if let Some(radix) = radix {
      let digits = &text[2..];
      if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
      }
      return Some(digits.chars().fold(0.0, |n, c| {
        n * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
      }));
    }
  }
  let (sign, unsigned) = match text.as_bytes()[0] {
    b'-' => (-1.0, &text[1..]),
    b'+' => (1.0, &text[1..]),
    _ => (1.0, text),
  };
  if unsigned == "Infinity" {
    return Some(sign * f64::INFINITY);
  }
  let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
  let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
    Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
    None => (unsigned, None),
  };
  let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
  let valid = digits(whole)
    && digits(fraction)
    && !(whole.is_empty() && fraction.is_empty())
    && exponent.is_none_or(|e| !e.is_empty() && digits(e));
  // What is left is a decimal Rust reads the same way (it takes `5.`, `.5`).
  valid.then(|| text.parse::<f64>().ok()).flatten()
}

/// `String(number)`: no exponent from 1e-6 up to 1e21, `1e+21` beyond.
pub(crate) fn number_text(n: f64) -> String {
  if n == 0.0 {
    return "0".into(); // -0 too
  }
  if n.is_infinite() {
    return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
  }
  if n.is_nan() {
    return "NaN".into();
  }
  if (1e-6..1e21).contains(&n.abs()) {
    // Both print the shortest digits that read back as the same number.
    return format!("{n}");
  }
  let text = format!("{n:e}");
  match text.split_once('e') {
    Some((mantissa, exponent)) if !exponent.starts_with('-') => format!("{mantissa}e+{exponent}"),
    _ => text,
  }
}

/// A JavaScript value, as far as npm's config ever holds one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
  Undefined,
  Null,
  Bool(bool),
  Number(f64),
  String(String),
  Array(Vec<Value>),
  /// Only ever printed, and `String()` of any object is `[object Object]`.
  Object,
}

impl Value {
  /// `JSON.parse(text)`, or `None` where it throws. Hand-written rather
  /// than serde_json, which differs from JavaScript at the edges a config
  /// file reaches: `1e400` is `Infinity` to JavaScript and an error to
  /// serde_json, and a lone surrogate (`"\ud800"`) is a string to
  /// JavaScript (npm prints it as U+FFFD, as it is here) and an error to
  /// serde_json.
  pub(crate) fn from_json(text: &str) -> Option<Value> {
    let mut json = Json {
      chars: text.chars().peekable(),
    };
    let value = json.value(0)?;
    json.space();
    json.chars.peek().is_none().then_some(value)
  }

  /// `String(value)`, which is what `npm config get` prints: a list is its
  /// elements joined with commas (`null` and `undefined` as nothing).
  pub(crate) fn text(&self) -> String {
    match self {
      Value::Undefined => "undefined".into(),
      Value::Null => "null".into(),
      Value::Bool(b) => b.to_string(),
      Value::Number(n) => number_text(*n),
      Value::String(s) => s.clone(),
      Value::Array(items) => items
        .iter()
        .map(|v| match v {
          Value::Undefined | Value::Null => String::new(),
          v => v.text(),
        })
        .collect::<Vec<_>>()
        .join(","),
      Value::Object => "[object Object]".into(),
    }
  }

  /// JavaScript's truthiness.
  pub(crate) fn truthy(&self) -> bool {
    match self {
      Value::Undefined | Value::Null => false,
      Value::Bool(b) => *b,
      Value::Number(n) => *n != 0.0 && !n.is_nan(),
      Value::String(s) => !s.is_empty(),
      Value::Array(_) | Value::Object => true,
    }
  }
}

/// A JSON reader with `JSON.parse`'s grammar: no comments, no trailing
/// commas, whitespace is space, tab, CR and LF.
struct Json<'a> {
  chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Json<'_> {
  /// Deeper than this is taken for an error (JavaScript's own limit is
  /// its stack), so that no file can overflow npmx's.
  const MAX_DEPTH: usize = 512;

  fn space(&mut self) {
    while self
      .chars
      .next_if(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
      .is_some()
    {}
  }

  fn eat(&mut self, word: &str) -> Option<()> {
    word
      .chars()
      .all(|w| self.chars.next() == Some(w))
      .then_some(())
  }

  fn value(&mut self, depth: usize) -> Option<Value> {
    if depth > Self::MAX_DEPTH {
      return None;
    }
    self.space();
    match *self.chars.peek()? {
      'n' => self.eat("null").map(|()| Value::Null),
      't' => self.eat("true").map(|()| Value::Bool(true)),
      'f' => self.eat("false").map(|()| Value::Bool(false)),
      '"' => self.string().map(Value::String),
      '[' => {
        self.chars.next();
        let mut items = Vec::new();
        self.space();
        if self.chars.next_if_eq(&']').is_some() {
          return Some(Value::Array(items));
        }
        loop {
          items.push(self.value(depth + 1)?);
          self.space();
          match self.chars.next()? {
            ',' => {}
            ']' => return Some(Value::Array(items)),
            _ => return None,
          }
        }
      }
      '{' => {
        self.chars.next();
        self.space();
        if self.chars.next_if_eq(&'}').is_some() {
          return Some(Value::Object);
        }
        loop {
          self.space();
          self.string()?;
          self.space();
          self.eat(":")?;
          self.value(depth + 1)?;
          self.space();
          match self.chars.next()? {
            ',' => {}
            '}' => return Some(Value::Object),
            _ => return None,
          }
        }
      }
      _ => self.number(),
    }
  }

  /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, read as JavaScript
  /// reads it (beyond the largest double is Infinity, as in Rust).
  fn number(&mut self) -> Option<Value> {
    let mut text = String::new();
    let digits = |json: &mut Self, text: &mut String| {
      let start = text.len();
      while let Some(d) = json.chars.next_if(char::is_ascii_digit) {
        text.push(d);
      }
      text.len() > start
    };
    if let Some(minus) = self.chars.next_if_eq(&'-') {
      text.push(minus);
    }
    if let Some(zero) = self.chars.next_if_eq(&'0') {
      text.push(zero);
    } else if !digits(self, &mut text) {
      return None;
    }
    if let Some(dot) = self.chars.next_if_eq(&'.') {
      text.push(dot);
      if !digits(self, &mut text) {
        return None;
      }
    }
    if let Some(e) = self.chars.next_if(|c| matches!(c, 'e' | 'E')) {
      text.push(e);
      if let Some(sign) = self.chars.next_if(|c| matches!(c, '+' | '-')) {
        text.push(sign);
      }
      if !digits(self, &mut text) {
        return None;
      }
    }
    text.parse().ok().map(Value::Number)
  }

  /// A JSON string; a `\u` escape that is half of a surrogate pair with no
  /// other half becomes U+FFFD.
  fn string(&mut self) -> Option<String> {
    self.eat("\"")?;
    let mut out = String::new();
    // A high surrogate waiting for its low half.
    let mut high: Option<u32> = None;
    loop {
      let c = self.chars.next()?;
      let unit = match c {
        '\\' => match self.chars.next()? {
          'u' => {
            let mut unit = 0;
            for _ in 0..4 {
              unit = unit * 16 + self.chars.next()?.to_digit(16)?;
            }
            Some(unit)
          }
          e => {
            out.extend(high.take().map(|_| '\u{fffd}'));
            out.push(match e {
              '"' => '"',
              '\\' => '\\',
              '/' => '/',
              'b' => '\u{8}',
              'f' => '\u{c}',
              'n' => '\n',
              'r' => '\r',
              't' => '\t',
              _ => return None,
            });
            continue;
          }
        },
        '"' => {
          out.extend(high.take().map(|_| '\u{fffd}'));
          return Some(out);
        }
        // Control characters must be escaped.
        c if c < ' ' => return None,
        c => {
          out.extend(high.take().map(|_| '\u{fffd}'));
          out.push(c);
          continue;
        }
      };
      let Some(unit) = unit else { continue };
      match (high.take(), unit) {
        (Some(h), 0xDC00..=0xDFFF) => {
          let code = 0x10000 + ((h - 0xD800) << 10) + (unit - 0xDC00);
          out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
        }
        (h, 0xD800..=0xDBFF) => {
          out.extend(h.map(|_| '\u{fffd}'));
          high = Some(unit);
        }
        (h, _) => {
          out.extend(h.map(|_| '\u{fffd}'));
          out.push(char::from_u32(unit).unwrap_or('\u{fffd}'));
        }
      }
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn trim_like_javascript() {
    assert_eq!(trim("\u{feff} a \u{3000}"), "a");
    assert_eq!(trim("\u{85}a"), "\u{85}a");
  }

  #[test]
  fn numbers_like_javascript() {
    let cases = [
      ("", Some(0.0)),
      (" 3 ", Some(3.0)),
      ("0x1F", Some(31.0)),
      ("0o17", Some(15.0)),
      ("0b101", Some(5.0)),
      ("1e3", Some(1000.0)),
      ("-Infinity", Some(f64::NEG_INFINITY)),
      (".5", Some(0.5)),
      ("5.", Some(5.0)),
      ("+1.5E-3", Some(0.0015)),
      ("x", None),
      ("0x", None),
      ("-0x1", None),
      ("1_000", None),
      ("inf", None),
      ("NaN", None),
      (".", None),
      ("1e", None),
      ("e3", None),
      ("1 2", None),
    ];
    for (text, expected) in cases {
      assert_eq!(number(text), expected, "{text:?}");
    }
  }

  #[test]
  fn number_text_like_javascript() {
    let cases = [
      (3.0, "3"),
      (-0.0, "0"),
      (0.1 + 0.2, "0.30000000000000004"),
      (1e21, "1e+21"),
      (1.5e-7, "1.5e-7"),
      (123456789012345680000.0, "123456789012345680000"),
      (0.000001, "0.000001"),
    ];
    for (n, expected) in cases {
      assert_eq!(number_text(n), expected);
    }
  }

  #[test]
  fn string_of_values() {
    let v = Value::from_json(r#"[1, "a", null, [true, 2.5], {"b": 1}]"#).unwrap();
    assert_eq!(v.text(), "1,a,,true,2.5,[object Object]");
    assert_eq!(Value::from_json("'x'"), None);
  }

  #[test]
  fn json_like_javascript() {
    let text = |json: &str| Value::from_json(json).map(|v| v.text());
    assert_eq!(text("1e400").as_deref(), Some("Infinity"));
    assert_eq!(
      text("[-1e400, 0.1, -0]").as_deref(),
      Some("-Infinity,0.1,0")
    );
    assert_eq!(text(r#""a\ud800b""#).as_deref(), Some("a\u{fffd}b"));
    assert_eq!(
      text(r#""\ud83d\ude00\udc00""#).as_deref(),
      Some("😀\u{fffd}")
    );
    assert_eq!(text(r#""\ud83d\n""#).as_deref(), Some("\u{fffd}\n"));
    assert_eq!(
      text(r#"" \"\\\/\b\f\n\r\t\u0041""#).as_deref(),
      Some(" \"\\/\u{8}\u{c}\n\r\tA")
    );
    assert_eq!(
      text(" {\"a\": [1, {}]} ").as_deref(),
      Some("[object Object]")
    );
    assert_eq!(text("[]").as_deref(), Some(""));
    for bad in [
      "",
      "01",
      "1.",
      ".5",
      "+1",
      "1e",
      "[1,]",
      "{\"a\":1,}",
      "\"\t\"",
      "\"\\x\"",
      "\"\\u12\"",
      "nul",
      "true false",
      "\u{a0}1",
      "'x'",
      "[1",
      "{1:2}",
      "NaN",
      "Infinity",
    ] {
      assert_eq!(Value::from_json(bad), None, "{bad:?}");
    }
    let deep = "[".repeat(100_000);
    assert_eq!(Value::from_json(&deep), None);
    assert!(!Value::String(String::new()).truthy());
    assert!(Value::Array(vec![]).truthy());
  }
}
