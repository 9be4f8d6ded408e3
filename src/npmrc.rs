//! One `.npmrc` file, read the way npm reads it, keeping the line each key
//! came from so advice can say "your project .npmrc line 3".
//!
//! npm reads a file in two steps, and so does this module:
//!
//! 1. [`decode`]: the `ini` package (`lib/ini.js`, `decode` and `unsafe`;
//!    ini 4–7, npm 9–12). Lines split at any run of CR/LF. A line whose
//!    first non-blank is `;` or `#` is a comment. `key = value` splits at the
//!    first `=`; a line with no `=` is `key = true`; a line starting with `=`
//!    is ignored. Key and value are trimmed, then "unquoted": a value in
//!    double quotes is a JSON string; one in single quotes has them removed
//!    and is then *also* tried as JSON (`'123'` is the number 123, `'[1,2]'`
//!    a list, `'abc'` stays `abc`); anything else ends at the first `;` or
//!    `#` not escaped with a backslash (`\;`, `\#` and `\\` are the escapes;
//!    any other backslash stays). So `registry=https://r/ ; mirror` is
//!    `https://r/`, but `registry="https://r/" ; mirror` keeps its quotes:
//!    the quotes must end the value to count. `true`, `false` and `null` are
//!    those values, quoted or not. `key[]=` lines make a list, and a plain
//!    `key=` after them adds to it; otherwise the last line for a key wins.
//!    A `[section]` header (at the very start of the line) sends every line
//!    after it into that section, and npm reads nothing from a section as a
//!    setting (it keeps the section as a key whose value is an object, which
//!    `npm config get` prints as `[object Object]`; npmx keeps no entry).
//! 2. [`load`]: `@npmcli/config` (`#loadObject`, `parse-field.js`,
//!    `env-replace.js`) takes each key in the order JavaScript lists an
//!    object's keys (integer-like keys first, then the order each key was
//!    *first* written), replaces `${VAR}` in the key, and reads the value by
//!    the key's type: trimmed again; for a type with `Array`, split at blank
//!    lines; `${VAR}` replaced (in text only: never in a list written with
//!    `key[]=` for a key whose type has no `Array`); an empty Boolean is
//!    `true`; a Number type's number-like text is that number.
//!
//! An [`Entry`]'s value is then the text `npm config get KEY` prints for it
//! (a list is its items joined with commas, which is also how npm hands
//! `noproxy` on). Not modelled: path types are resolved by `Config`, not
//! here; `Date` and `Umask` values stay text; npm's commands other than
//! `npm config` drop (with a warning) values their type rejects. npm 8's
//! `ini` 3 differs in two corners (a blank line is the key `""`, and a
//! section header may not end in spaces), and npm ≤ 10 has no `${VAR?}`
//! (it stays literal).

use crate::{Env, js, npm_flags};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
  /// The key after `${VAR}` expansion (per-host keys look like `//host/:_authToken`).
  pub(crate) key: String,
  /// The value npm uses, as `npm config get` prints it: after unquoting and
  /// `${VAR}` expansion; a list (`key[]=a`, `key[]=b`) is `a,b`. May be a secret.
  pub(crate) value: String,
  /// The value as written, unquoted and without its comment, before
  /// `${VAR}` expansion (a list's items joined with commas).
  pub(crate) raw: String,
  /// 1-based line number of the key (the last line that set it).
  pub(crate) line: usize,
  /// Every `${VAR}` the key and value refer to, and what it was here.
  pub(crate) vars: Vec<VarRef>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VarRef {
  pub(crate) name: String,
  pub(crate) state: VarState,
  /// `${VAR?}`: an unset variable becomes the empty string instead of staying literal.
  pub(crate) optional: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VarState {
  Unset,
  Empty,
  Set,
}

/// A variable's value, or `None` when unset.
pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub(crate) fn parse(text: &str, env: &Env) -> Vec<Entry> {
  parse_with(text, &|name| env.get(name).map(str::to_owned))
}

pub(crate) fn parse_with(text: &str, env: Lookup) -> Vec<Entry> {
  decode(text)
    .into_iter()
    .map(|setting| load(setting, env))
    .collect()
}

/// One top-level key as `ini` leaves it.
#[derive(Debug)]
struct Setting {
  key: String,
  value: js::Value,
  raw: Vec<String>,
  line: usize,
}

/// `ini.decode`: the file's top-level keys, in the order `Object.entries`
/// would list them.
fn decode(text: &str) -> Vec<Setting> {
  let mut out: Vec<Setting> = Vec::new();
  let mut sections: Vec<String> = Vec::new();
  let mut in_section = false;
  for (number, line) in lines(text) {
    let blank = js::trim(line).is_empty();
    if blank
      || line
        .trim_start_matches(js::is_space)
        .starts_with([';', '#'])
    {
      continue;
    }
    if let Some(name) = section_header(line) {
      let name = unquote(name).text();
      // `p = out[section] = out[section] || {}`: a key holding a falsy value
      // (empty, false, null, 0) becomes the section; a truthy one stays what
      // it was, and the section's lines go nowhere.
      let kept = out.iter().any(|s| s.key == name && s.value.truthy());
      if !kept {
        out.retain(|s| s.key != name);
        sections.push(name);
      }
      in_section = true;
      continue;
    }
    if in_section {
      continue;
    }
    let (key_text, value_text) = match line.split_once('=') {
      Some(("", _)) => continue,
      // The value is matched with `.*`, which stops at U+2028/U+2029, so
      // the whole line fails to match and is ignored.
      Some((_, v)) if v.contains(['\u{2028}', '\u{2029}']) => continue,
      Some((k, v)) => (k, Some(v)),
      None => (line, None),
    };
    let key = unquote(key_text);
    let is_list = matches!(&key, js::Value::String(k) if k.len() > 2 && k.ends_with("[]"));
    let mut key = key.text();
    if is_list {
      key.truncate(key.len() - 2);
    }
    if key == "__proto__" {
      continue;
    }
    let value = match value_text {
      Some(v) => match unquote(v) {
        js::Value::String(s) if s == "true" => js::Value::Bool(true),
        js::Value::String(s) if s == "false" => js::Value::Bool(false),
        js::Value::String(s) if s == "null" => js::Value::Null,
        v => v,
      },
      None => js::Value::Bool(true),
    };
    let raw = value.text();
    let at = out.iter().position(|s| s.key == key);
    let setting = match at {
      Some(at) => &mut out[at],
      None => {
        out.push(Setting {
          key,
          value: js::Value::Undefined,
          raw: Vec::new(),
          line: number,
        });
        out.last_mut().expect("just pushed")
      }
    };
    if is_list && !matches!(setting.value, js::Value::Array(_)) {
      let old = std::mem::replace(&mut setting.value, js::Value::Undefined);
      setting.value = js::Value::Array(if at.is_some() { vec![old] } else { vec![] });
    }
    // A plain `key=` after `key[]=` lines adds to the list, as ini does.
    if let js::Value::Array(items) = &mut setting.value {
      items.push(value);
      setting.raw.push(raw);
    } else {
      setting.value = value;
      setting.raw = vec![raw];
    }
    setting.line = number;
  }
  for name in &sections {
    drop_keys_a_section_takes(&mut out, name);
  }
  // Integer-like keys come first in an object's key order, by value.
  out.sort_by_key(|s| array_index(&s.key).map_or((1, 0), |i| (0, i)));
  out
}

/// ini's last step nests section `[a.b]` under `a`, which turns a top-level
/// `a` into an object (unless it is a list); `[a\.b]` moves to the key `a.b`.
fn drop_keys_a_section_takes(out: &mut Vec<Setting>, name: &str) {
  let mut parts = split_sections(name);
  let last = parts.pop().unwrap_or_default();
  parts.retain(|p| p != "__proto__");
  match parts.first() {
    Some(first) => out.retain(|s| &s.key != first || matches!(s.value, js::Value::Array(_))),
    None => {
      let unescaped = last.replace("\\.", ".");
      if unescaped != last {
        out.retain(|s| s.key != unescaped);
      }
    }
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

/// A key JavaScript lists before all others: "0", "1", … up to 2³²−2.
fn array_index(key: &str) -> Option<u64> {
  let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty());
  let n: u64 = key
    .bytes()
    .all(|b| b.is_ascii_digit())
    .then(|| key.parse().ok())
    .flatten()?;
  (canonical && n < u64::from(u32::MAX)).then_some(n)
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
fn unquote(text: &str) -> js::Value {
  let text = js::trim(text);
  let quoted = |q: char| text.starts_with(q) && text.ends_with(q);
  if quoted('"') || quoted('\'') {
    // ini strips single quotes first and then tries JSON all the same.
    let inner = if text.starts_with('\'') {
      text.get(1..text.len().saturating_sub(1)).unwrap_or("")
    } else {
      text
    };
    return js::Value::from_json(inner).unwrap_or_else(|| js::Value::String(inner.to_owned()));
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
  js::Value::String(js::trim(&out).to_owned())
}

/// `@npmcli/config` loading one key: `${VAR}` in the key, then the value
/// read by the key's type (`parseField`).
fn load(setting: Setting, env: Lookup) -> Entry {
  let mut vars = Vec::new();
  let key = expand(&setting.key, env, &mut vars);
  let ty = npm_flags::flag_type(&key);
  let value = parse_field(setting.value, ty, false, env, &mut vars);
  Entry {
    key,
    value: value.text(),
    raw: setting.raw.join(","),
    line: setting.line,
    vars,
  }
}

/// `parse-field.js`. An unknown key counts as a type with nothing in it.
fn parse_field(
  value: js::Value,
  ty: Option<npm_flags::Type>,
  element: bool,
  env: Lookup,
  vars: &mut Vec<VarRef>,
) -> js::Value {
  let has = |f: fn(&npm_flags::Type) -> bool| ty.as_ref().is_some_and(f);
  let list = !element && has(|t| t.array);
  match value {
    // A list for a key whose type has no Array is left exactly as it is.
    js::Value::Array(items) if list => js::Value::Array(
      items
        .into_iter()
        .map(|item| parse_field(item, ty, true, env, vars))
        .collect(),
    ),
    js::Value::String(text) => {
      let text = js::trim(&text);
      if list {
        // How list types travel through the environment, with blank lines
        // between items (a cafile's certificates, say).
        let items = text
          .split("\n\n")
          .map(|item| js::Value::String(item.to_owned()))
          .collect();
        return parse_field(js::Value::Array(items), ty, false, env, vars);
      }
      if has(|t| t.boolean && !t.string) && text.is_empty() {
        return js::Value::Bool(true);
      }
      if !has(|t| t.string || t.number) {
        match text {
          "true" => return js::Value::Bool(true),
          "false" => return js::Value::Bool(false),
          "null" => return js::Value::Null,
          "undefined" => return js::Value::Undefined,
          _ => {}
        }
      }
      let text = expand(text, env, vars);
      if has(|t| t.number) {
        if let Some(n) = js::number(&text) {
          return js::Value::Number(n);
        }
      }
      js::Value::String(text)
    }
    other => other,
  }
}

/// `${NAME}` and `${NAME?}`, with backslash escapes, as `@npmcli/config`'s
/// env-replace does: an unset variable without `?` stays literally `${NAME}`,
/// and npm then sends that text as the token.
pub(crate) fn expand(text: &str, env: Lookup, vars: &mut Vec<VarRef>) -> String {
  let mut out = String::with_capacity(text.len());
  let mut rest = text;
  while let Some(start) = rest.find("${") {
    let Some(len) = rest[start + 2..].find('}') else {
      break;
    };
    let inner = &rest[start + 2..start + 2 + len];
    let (name, optional) = match inner.strip_suffix('?') {
      Some(name) => (name, true),
      None => (inner, false),
    };
    if name.is_empty() || name.contains(['$', '{', '?']) {
      out.push_str(&rest[..start + 2]);
      rest = &rest[start + 2..];
      continue;
    }
    // Backslashes right before `$`: an odd count escapes it.
    let before = &rest[..start];
    let escapes = before.len() - before.trim_end_matches('\\').len();
    out.push_str(&before[..before.len() - escapes]);
    out.push_str(&"\\".repeat(escapes / 2));
    let whole = &rest[start..start + 3 + len];
    if escapes % 2 == 1 {
      out.push_str(whole);
    } else {
      let value = env(name);
      let state = match value.as_deref() {
        None => VarState::Unset,
        Some("") => VarState::Empty,
        Some(_) => VarState::Set,
      };
      vars.push(VarRef {
        name: name.to_owned(),
        state,
        optional,
      });
      match value {
        Some(value) => out.push_str(&value),
        None if optional => {}
        None => out.push_str(&format!("${{{name}}}")),
      }
    }
    rest = &rest[start + 3 + len..];
  }
  out.push_str(rest);
  out
}

#[cfg(test)]
mod tests {
  use super::*;

  fn values(text: &str, env: &[(&str, &str)]) -> Vec<(String, String, usize)> {
    let env = Env::from_pairs(env.iter().copied());
    parse(text, &env)
      .into_iter()
      .map(|e| (e.key, e.value, e.line))
      .collect()
  }

  fn value(text: &str, key: &str) -> Option<String> {
    let env = Env::from_pairs([("SET", "abc"), ("HOME", "/home/me")]);
    parse(text, &env)
      .into_iter()
      .rev()
      .find(|e| e.key == key)
      .map(|e| e.value)
  }

  #[test]
  fn keys_values_comments_and_lines() {
    let env = Env::from_pairs([]);
    let text = "; comment\n# another\nregistry = https://r.example/\n\n@acme:registry=\"https://npm.acme.com/\"\nstrict-ssl\n[section]\nignored=1\n";
    let entries = parse(text, &env);
    let pairs: Vec<_> = entries
      .iter()
      .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
      .collect();
    assert_eq!(
      pairs,
      [
        ("registry", "https://r.example/", 3),
        ("@acme:registry", "https://npm.acme.com/", 5),
        ("strict-ssl", "true", 6)
      ]
    );
  }

  #[test]
  fn inline_comments_quotes_and_escapes() {
    let v = |text| value(text, "k");
    assert_eq!(
      v("k=https://r.example/ ; mirror").as_deref(),
      Some("https://r.example/")
    );
    assert_eq!(v("k=a#b").as_deref(), Some("a"));
    assert_eq!(v(r"k=a\;b\#c\\d\e").as_deref(), Some(r"a;b#c\d\e"));
    assert_eq!(v(r"k=trailing\").as_deref(), Some(r"trailing\"));
    // The quotes count only when they end the value.
    assert_eq!(v(r#"k = "a ; b""#).as_deref(), Some("a ; b"));
    assert_eq!(v(r#"k="a" ; c"#).as_deref(), Some(r#""a""#));
    assert_eq!(v(r#"k="\u0041\n""#).as_deref(), Some("A"));
    assert_eq!(v(r#"k="unterminated"#).as_deref(), Some(r#""unterminated"#));
    // Single quotes are removed, and then the inside is tried as JSON.
    assert_eq!(v("k='a ; b'").as_deref(), Some("a ; b"));
    assert_eq!(v("k='0x10'").as_deref(), Some("0x10"));
    assert_eq!(v("k='1e3'").as_deref(), Some("1000"));
    assert_eq!(v("k='[1,\"a\",null]'").as_deref(), Some("1,a,"));
    assert_eq!(v("k='").as_deref(), Some(""));
    assert_eq!(v("k=a=b=c").as_deref(), Some("a=b=c"));
    assert_eq!(v("k=").as_deref(), Some(""));
    assert_eq!(v("k").as_deref(), Some("true"));
    assert_eq!(v("=k").as_deref(), None);
    assert_eq!(v(" k;x = 1").as_deref(), Some("1"));
  }

  #[test]
  fn lines_bom_and_line_endings() {
    let got = values("\u{feff}a=1\r\nb=2\r\rc=3\n\u{feff}[s]\n", &[]);
    let want = [
      ("a", "1", 1),
      ("b", "2", 2),
      ("c", "3", 4),
      ("[s]", "true", 5),
    ];
    let want: Vec<_> = want
      .iter()
      .map(|(k, v, l)| (k.to_string(), v.to_string(), *l))
      .collect();
    assert_eq!(got, want);
    // `.*` stops at U+2028, so that line is not a setting at all.
    assert_eq!(value("k=a\u{2028}b", "k"), None);
  }

  #[test]
  fn duplicates_lists_and_key_order() {
    assert_eq!(value("k=1\nk=2", "k").as_deref(), Some("2"));
    assert_eq!(value("k[]=1\nk[]=2", "k").as_deref(), Some("1,2"));
    assert_eq!(value("k=1\nk[]=2\nk=3", "k").as_deref(), Some("1,2,3"));
    let env = Env::from_pairs([("K", "x")]);
    // `x` keeps the place where it was first written, so the `${K}` line,
    // read after it, wins over the later `x=3`.
    let entries = parse("x=1\n${K}=2\nx=3\n", &env);
    let last = entries.iter().rev().find(|e| e.key == "x").unwrap();
    assert_eq!((last.value.as_str(), last.line), ("2", 2));
    // Integer-like keys come first.
    let keys: Vec<_> = parse("b=1\n10=1\n2=1\n02=1\n", &env)
      .into_iter()
      .map(|e| e.key)
      .collect();
    assert_eq!(keys, ["2", "10", "b", "02"]);
  }

  #[test]
  fn sections() {
    // Nothing in a section is a setting; an empty key becomes the section.
    assert_eq!(value("k=\n[k]\nx=1", "k"), None);
    assert_eq!(value("k=v\n[k]\nx=1", "k").as_deref(), Some("v"));
    assert_eq!(value("[s]\nk=1", "k"), None);
    assert_eq!(value("a=1\n[a.b]", "a"), None);
    assert_eq!(value("a.b=1\n[a\\.b]", "a.b"), None);
    // Indented, it is no header but a key.
    assert_eq!(value("  [s]\nk=1", "k").as_deref(), Some("1"));
    assert_eq!(value("[s] \nk=1", "k"), None);
  }

  #[test]
  fn values_by_type() {
    // Array types split at blank lines and expand each item.
    assert_eq!(
      value("noproxy[]=a\nnoproxy[]= ${SET} ", "noproxy").as_deref(),
      Some("a,abc")
    );
    assert_eq!(
      value("noproxy=\"a\\n\\nb\"", "noproxy").as_deref(),
      Some("a,b")
    );
    // Without Array in its type, a list is left alone.
    assert_eq!(value("foo[]=${SET}", "foo").as_deref(), Some("${SET}"));
    assert_eq!(value("strict-ssl=", "strict-ssl").as_deref(), Some("true"));
    assert_eq!(
      value("fetch-retries=\" 03 \"", "fetch-retries").as_deref(),
      Some("3")
    );
    assert_eq!(
      value("fetch-retries=", "fetch-retries").as_deref(),
      Some("0")
    );
    assert_eq!(
      value("registry=undefined", "registry").as_deref(),
      Some("undefined")
    );
    assert_eq!(value("tag=\" null \"", "tag").as_deref(), Some("null"));
  }

  #[test]
  fn env_expansion_like_npm() {
    let env = |name: &str| match name {
      "SET" => Some("abc".to_owned()),
      "EMPTY" => Some(String::new()),
      _ => None,
    };
    let mut vars = Vec::new();
    assert_eq!(expand("${SET}", &env, &mut vars), "abc");
    assert_eq!(expand("${EMPTY}", &env, &mut vars), "");
    assert_eq!(expand("${UNSET}", &env, &mut vars), "${UNSET}");
    assert_eq!(expand("x${UNSET?}y", &env, &mut vars), "xy");
    assert_eq!(expand("\\${SET}", &env, &mut vars), "${SET}");
    assert_eq!(expand("\\\\${SET}", &env, &mut vars), "\\abc");
    let states: Vec<_> = vars.iter().map(|v| (v.name.as_str(), v.state)).collect();
    assert_eq!(
      states,
      [
        ("SET", VarState::Set),
        ("EMPTY", VarState::Empty),
        ("UNSET", VarState::Unset),
        ("UNSET", VarState::Unset),
        ("SET", VarState::Set)
      ]
    );
  }

  #[test]
  fn token_line_records_its_variable() {
    let env = Env::from_pairs([]);
    let entries = parse("//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n", &env);
    assert_eq!(entries[0].key, "//registry.npmjs.org/:_authToken");
    assert_eq!(entries[0].value, "${NPM_TOKEN}");
    assert_eq!(entries[0].vars[0].state, VarState::Unset);
  }
}
