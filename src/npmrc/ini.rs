//! The `ini` package's `decode` (`lib/ini.js`; ini 4–7, npm 9–12), ported
//! step by step, because npm's reading of an `.npmrc` is whatever this
//! function builds, corners included.
//!
//! - Lines split at any run of CR/LF. A line whose first non-blank is `;` or
//!   `#` is a comment. `key = value` splits at the first `=`; a line with no
//!   `=` is `key = true`; a line starting with `=` is ignored, and so is one
//!   whose value holds U+2028/U+2029 (the regex's `.*` stops there).
//! - Key and value are trimmed, then "unquoted" ([`unquote`]): a value in
//!   double quotes is a JSON string; one in single quotes has them removed
//!   and is then *also* tried as JSON (`'123'` is the number 123, `'[1,2]'` a
//!   list, `'abc'` stays `abc`); anything else ends at the first `;` or `#`
//!   not escaped with a backslash (`\;`, `\#`, `\\` are the escapes; any
//!   other backslash stays). So `registry=https://r/ ; mirror` is
//!   `https://r/`, but `registry="https://r/" ; mirror` keeps its quotes:
//!   the quotes must end the value to count. `true`, `false` and `null` are
//!   those values, quoted or not.
//! - `key[]=` lines make a list, and a plain `key=` after them adds to it;
//!   otherwise the last line for a key wins.
//! - A `[section]` header (at the very start of the line) sends every line
//!   after it into `out[section] = out[section] || {}`. npm reads nothing in
//!   an object as a setting, so mostly those lines are lost — but a key
//!   holding a truthy value keeps it, and when that value is a *list*, the
//!   section's `1=x` lines write into the list (`length=0` empties it).
//!   The section itself stays a key whose value is an object: npm takes it
//!   as that setting's value (`npm config get` fails on it), so it hides the
//!   same key in other files, and a `${VAR}` key that expands to its name.
//! - Last, every object-valued key (a section, `null`, single-quoted JSON
//!   `'{…}'`) whose name has dots moves under its first part: `[a.b]` or
//!   `a.b=null` turns `a` into an object; `[a\.b]` moves to the key `a.b`.
//!
//! Where `decode` throws (a section under a key that is `null`, a list's
//! `length` set to something not a length), npm stops before it does
//! anything; this says so ([`Decoded::npm_fails`]) and keeps what it has.
//! Lists longer than a million items are not followed. npm 8's `ini` 3 differs in two corners (a
//! blank line is the key `""`, and a section header may not end in spaces).

use crate::js::{self, Value};

/// One top-level key as `ini` leaves it, and the last line that wrote it.
#[derive(Debug)]
pub(super) struct Setting {
  pub(super) key: String,
  pub(super) value: Value,
  pub(super) line: usize,
}

/// What `ini.decode` makes of a file.
#[derive(Debug)]
pub(super) struct Decoded {
  /// The top-level keys, in the order `Object.entries` lists them (integer-like keys first, by value, then
  /// the order each key was *first* written).
  pub(super) settings: Vec<Setting>,
  /// `decode` throws here, and npm stops before it runs anything ("Exit
  /// prior to config file resolving"). `settings` is what came before.
  pub(super) npm_fails: bool,
}

pub(super) fn decode(text: &str) -> Decoded {
  let mut out = Out::default();
  // `p`, where a line's key is written.
  let mut target = Target::Top;
  for (number, line) in lines(text) {
    if line
      .trim_start_matches(js::is_space)
      .starts_with([';', '#'])
      || js::trim(line).is_empty()
    {
      continue;
    }
    if let Some(inner) = section_header(line) {
      let section = unquote(inner);
      if matches!(&section, Value::String(s) if s == "__proto__") {
        target = Target::Nowhere;
        continue;
      }
      let name = section.text();
      target = match out.get(&name) {
        Some(Value::Array(_)) => Target::Array(name, Vec::new()),
        Some(v) if v.truthy() => Target::Nowhere,
        _ => {
          out.set(&name, Value::Object, number);
          Target::Nowhere
        }
      };
      continue;
    }
    let (key_text, value_text) = match line.split_once('=') {
      Some(("", _)) => continue,
      Some((_, v)) if v.contains(['\u{2028}', '\u{2029}']) => continue,
      Some((k, v)) => (k, Some(v)),
      None => (line, None),
    };
    let key = unquote(key_text);
    let (key, is_list) = match key {
      Value::String(k) if k.len() > 2 && k.ends_with("[]") => (k[..k.len() - 2].to_owned(), true),
      Value::String(k) => (k, false),
      // A key that JSON made something else is a property named String(key).
      other => (other.text(), false),
    };
    if key == "__proto__" {
      continue;
    }
    let value = match value_text.map(unquote) {
      Some(Value::String(s)) if s == "true" => Value::Bool(true),
      Some(Value::String(s)) if s == "false" => Value::Bool(false),
      Some(Value::String(s)) if s == "null" => Value::Null,
      Some(v) => v,
      None => Value::Bool(true),
    };
    match &target {
      Target::Top => {
        if is_list {
          match out.get(&key) {
            None => out.set(&key, Value::Array(Vec::new()), number),
            Some(Value::Array(_)) => {}
            Some(old) => out.set(&key, Value::Array(vec![old.clone()]), number),
          }
        }
        // A plain `key=` after `key[]=` lines adds to the list.
        match out.get_mut(&key) {
          Some((Value::Array(items), line)) => {
            items.push(value);
            *line = number;
          }
          _ => out.set(&key, value, number),
        }
      }
      Target::Array(name, path) => {
        if let Some(items) = out.array_mut(name, path, number) {
          out.npm_fails |= !set_in_list(items, &key, Write::Line { is_list }, value);
        }
      }
      Target::Nowhere => {}
    }
  }
  nest_dotted(&mut out);
  let npm_fails = out.npm_fails;
  let mut settings: Vec<Setting> = out
    .keys
    .into_iter()
    .map(|(key, value, line)| Setting { key, value, line })
    .collect();
  settings.sort_by_key(|s| array_index(&s.key).map_or((1, 0), |i| (0, i)));
  Decoded {
    settings,
    npm_fails,
  }
}

/// ini's last step: `{"a.b": {…}}` becomes `{a: {b: {…}}}`, for every key
/// whose value is an object or `null` (`typeof` says "object" for both).
fn nest_dotted(out: &mut Out) {
  let mut remove = Vec::new();
  for key in out.keys_in_order() {
    let Some((value, line)) = out
      .get_mut(&key)
      .filter(|(v, _)| matches!(v, Value::Object | Value::Null))
      .map(|(v, l)| (v.clone(), *l))
    else {
      continue;
    };
    let mut parts = split_sections(&key);
    let last = parts.pop().unwrap_or_default();
    let unescaped = last.replace("\\.", ".");
    let mut target = Target::Top;
    for part in parts.iter().filter(|p| *p != "__proto__") {
      target = match descend(out, target, part, line) {
        Some(t) => t,
        None => {
          out.npm_fails = true;
          return;
        }
      };
    }
    match &target {
      Target::Top if unescaped == last => continue,
      Target::Top => out.set(&unescaped, value, line),
      Target::Array(name, path) => {
        if let Some(items) = out.array_mut(name, path, line) {
          if !set_in_list(items, &unescaped, Write::Assign, value) {
            out.npm_fails = true;
            return;
          }
        }
      }
      Target::Nowhere => {}
    }
    remove.push(key);
  }
  for key in remove {
    out.keys.retain(|(k, _, _)| *k != key);
  }
}

/// One step down `p = p[part]`, making `p[part]` an object unless it is one
/// (or a list) already. `None` where `p[part]` is `null`, where npm fails.
fn descend(out: &mut Out, target: Target, part: &str, line: usize) -> Option<Target> {
  match target {
    Target::Top => match out.get(part) {
      Some(Value::Null) => None,
      Some(Value::Array(_)) => Some(Target::Array(part.to_owned(), Vec::new())),
      Some(Value::Object) => Some(Target::Nowhere),
      _ => {
        out.set(part, Value::Object, line);
        Some(Target::Nowhere)
      }
    },
    Target::Array(name, mut path) => {
      let Some(items) = out.array_mut(&name, &path, line) else {
        return Some(Target::Nowhere);
      };
      let Some(i) = array_index(part).filter(|&i| i < MAX_LEN) else {
        // `length` is a number, so it becomes `{}`: a RangeError. Other
        // names are properties nothing ever shows.
        return (part != "length").then_some(Target::Nowhere);
      };
      match items.get(i) {
        Some(Value::Null) => None,
        Some(Value::Array(_)) => {
          path.push(i);
          Some(Target::Array(name, path))
        }
        Some(Value::Object) => Some(Target::Nowhere),
        _ => {
          set_in_list(items, part, Write::Assign, Value::Object);
          Some(Target::Nowhere)
        }
      }
    }
    Target::Nowhere => Some(Target::Nowhere),
  }
}

/// Longer lists than this are not followed: npm would print a string of a
/// million commas, or fail, and no real `.npmrc` asks for one.
const MAX_LEN: usize = 1 << 20;

/// How a value is written.
#[derive(Clone, Copy)]
enum Write {
  /// By a line, `key=` or `key[]=`: onto the end of a list already there.
  Line { is_list: bool },
  /// By ini's last step (`p[nl] = out[k]`): in place of what is there.
  Assign,
}

/// `p[key] = value` where `p` is a list: an index sets that item (a line
/// adds to a list there), `length` cuts or pads the list, and any other
/// name is a property `String()` never shows. `false` where npm throws (a
/// `length` that is no length).
fn set_in_list(items: &mut Vec<Value>, key: &str, write: Write, value: Value) -> bool {
  if let Some(i) = array_index(key).filter(|&i| i < MAX_LEN) {
    if items.len() <= i {
      // A hole, which `String()` prints as nothing, like `undefined`.
      items.resize(i + 1, Value::Undefined);
    }
    let item = &mut items[i];
    let Write::Line { is_list } = write else {
      *item = value;
      return true;
    };
    if is_list {
      *item = match std::mem::replace(item, Value::Undefined) {
        Value::Undefined => Value::Array(Vec::new()),
        list @ Value::Array(_) => list,
        other => Value::Array(vec![other]),
      };
    }
    match item {
      Value::Array(inner) => inner.push(value),
      other => *other = value,
    }
  } else if key == "length" {
    // (`length[]=`: `p.length = [p.length]` changes nothing, and then
    // `p.length` is no list, so the value is assigned all the same.)
    // Anything but a whole number in range is a RangeError in npm.
    let n = to_number(&value);
    if !(n >= 0.0 && n.fract() == 0.0 && n < f64::from(u32::MAX) + 1.0) {
      return false;
    }
    items.resize((n as usize).min(MAX_LEN), Value::Undefined);
  }
  true
}

/// JavaScript's `Number(value)`.
fn to_number(value: &Value) -> f64 {
  match value {
    Value::Null => 0.0,
    Value::Bool(b) => f64::from(u8::from(*b)),
    Value::Number(n) => *n,
    Value::String(_) | Value::Array(_) => js::number(&value.text()).unwrap_or(f64::NAN),
    Value::Undefined | Value::Object => f64::NAN,
  }
}

/// Where a line's key goes.
enum Target {
  /// The top level (`p = out`).
  Top,
  /// The list at this top-level key, then into the lists at these indexes.
  Array(String, Vec<usize>),
  /// Somewhere nothing is ever read from: an object, a primitive (writes to
  /// one are ignored outside strict mode), or the detached `[__proto__]`.
  Nowhere,
}

/// ini's `out`, keys in the order they were first written; a key holding
/// an object keeps no contents, as nothing in one is ever a setting (and
/// `String()` of any object is `[object Object]`).
#[derive(Default)]
struct Out {
  keys: Vec<(String, Value, usize)>,
  npm_fails: bool,
}

impl Out {
  fn get(&self, key: &str) -> Option<&Value> {
    self
      .keys
      .iter()
      .find(|(k, _, _)| k == key)
      .map(|(_, v, _)| v)
  }

  fn get_mut(&mut self, key: &str) -> Option<(&mut Value, &mut usize)> {
    self
      .keys
      .iter_mut()
      .find(|(k, _, _)| k == key)
      .map(|(_, v, l)| (v, l))
  }

  /// `out[key] = value`: in place if the key exists, else at the end.
  fn set(&mut self, key: &str, value: Value, line: usize) {
    match self.get_mut(key) {
      Some((v, l)) => (*v, *l) = (value, line),
      None => self.keys.push((key.to_owned(), value, line)),
    }
  }

  /// The list at `key`, then down `path`, noting `line` as the key's last.
  fn array_mut(&mut self, key: &str, path: &[usize], line: usize) -> Option<&mut Vec<Value>> {
    let (value, last) = self.get_mut(key)?;
    *last = line;
    let mut items = match value {
      Value::Array(items) => items,
      _ => return None,
    };
    for &i in path {
      items = match items.get_mut(i) {
        Some(Value::Array(inner)) => inner,
        _ => return None,
      };
    }
    Some(items)
  }

  /// `Object.keys(out)`.
  fn keys_in_order(&self) -> Vec<String> {
    let mut keys: Vec<String> = self.keys.iter().map(|(k, _, _)| k.clone()).collect();
    keys.sort_by_key(|k| array_index(k).map_or((1, 0), |i| (0, i)));
    keys
  }
}

/// ini's `splitSections(name, '.')`: at dots not preceded by a backslash.
fn split_sections(name: &str) -> Vec<String> {
  let mut parts = Vec::new();
  let mut start = 0;
  for (at, _) in name.match_indices('.') {
    if at > 0 && name.as_bytes()[at - 1] == b'\\' {
      continue;
    }
    parts.push(name[start..at].to_owned());
    start = at + 1;
  }
  parts.push(name[start..].to_owned());
  parts
}

/// A key JavaScript treats as an array index (and lists before all other
/// keys of an object): "0", "1", … up to 2³²−2, without leading zeros.
fn array_index(key: &str) -> Option<usize> {
  let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty());
  let n: u64 = key
    .bytes()
    .all(|b| b.is_ascii_digit())
    .then(|| key.parse().ok())
    .flatten()?;
  (canonical && n < u64::from(u32::MAX))
    .then(|| usize::try_from(n).ok())
    .flatten()
}

/// The file's lines with their 1-based numbers. ini splits at runs of CR
/// and LF; a lone CR ends a line too (and counts as one here).
fn lines(text: &str) -> Vec<(usize, &str)> {
  let mut out = Vec::new();
  let mut number = 1;
  let mut rest = text;
  while !rest.is_empty() {
    let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
    if end > 0 {
      out.push((number, &rest[..end]));
    }
    rest = &rest[end..];
    let newline = if rest.starts_with("\r\n") {
      2
    } else {
      1.min(rest.len())
    };
    rest = &rest[newline..];
    number += 1;
  }
  out
}

/// `[name]` followed by nothing but whitespace, at the very start of the line.
fn section_header(line: &str) -> Option<&str> {
  let inner = line.strip_prefix('[')?;
  let close = inner.find(']')?;
  js::trim(&inner[close + 1..])
    .is_empty()
    .then(|| &inner[..close])
}

/// ini's `unsafe()`: trim, then unquote or cut the comment off.
fn unquote(text: &str) -> Value {
  let text = js::trim(text);
  let quoted = |q: char| text.starts_with(q) && text.ends_with(q);
  if quoted('"') || quoted('\'') {
    // ini strips single quotes first and then tries JSON all the same.
    let inner = if text.starts_with('\'') {
      text.get(1..text.len().saturating_sub(1)).unwrap_or("")
    } else {
      text
    };
    return Value::from_json(inner).unwrap_or_else(|| Value::String(inner.to_owned()));
  }
  let mut out = String::with_capacity(text.len());
  let mut chars = text.chars();
  while let Some(c) = chars.next() {
    match c {
      ';' | '#' => break,
      '\\' => match chars.next() {
        Some(e @ ('\\' | ';' | '#')) => out.push(e),
        Some(other) => {
          out.push('\\');
          out.push(other);
        }
        None => out.push('\\'),
      },
      c => out.push(c),
    }
  }
  Value::String(js::trim(&out).to_owned())
}

#[cfg(test)]
mod tests;
