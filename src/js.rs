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
  /// `JSON.parse(text)`, or `None` where it throws.
  pub(crate) fn from_json(text: &str) -> Option<Value> {
    fn convert(v: serde_json::Value) -> Value {
      match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(a) => Value::Array(a.into_iter().map(convert).collect()),
        serde_json::Value::Object(_) => Value::Object,
      }
    }
    serde_json::from_str(text).ok().map(convert)
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
    assert!(!Value::String(String::new()).truthy());
    assert!(Value::Array(vec![]).truthy());
  }
}
