//! One `.npmrc` file, read the way npm reads it, keeping the line each key
//! came from so advice can say "your project .npmrc line 3".
//!
//! npm reads a file in two steps, and so does this module:
//!
//! 1. [`ini::decode`]: the `ini` package turns the text into an object
//!    (comments, quotes, escapes, `key[]=` lists, sections; see there).
//! 2. [`load`]: `@npmcli/config` (`#loadObject`, `parse-field.js`,
//!    `env-replace.js`) takes each key in the order JavaScript lists the
//!    object's keys, replaces `${VAR}` in the key, and reads the value by
//!    the key's type: trimmed again; for a type with `Array`, split at blank
//!    lines; `${VAR}` replaced (in text only: never in a list written with
//!    `key[]=` for a key whose type has no `Array`); an empty Boolean is
//!    `true`; `true`, `false`, `null` and `undefined` are those values for a
//!    type with neither String nor Number; a Number type's number-like text
//!    is that number.
//!
//! An [`Entry`]'s value is then the text `npm config get KEY` prints for it:
//! a list is its items joined with commas (which is also how npm hands
//! `noproxy` on), and a section, which npm holds as an object, is
//! `[object Object]` (where `npm config get` itself fails).
//!
//! Not modelled: path-typed values are resolved later, by `Config` (npm
//! never turns one into `true` or `null`, but the text is the same either
//! way); `Date` and `Umask` values stay text; npm's commands other than
//! `npm config` drop (with a warning) values their type rejects; npm
//! rewrites `omit` and `include` once every file is read (no repeats, `omit`
//! less `include`); and npm ≤ 10 has no `${VAR?}` (it stays literal).

mod ini;

use crate::{Env, js, npm_flags};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
  /// The key after `${VAR}` expansion (per-host keys look like `//host/:_authToken`).
  pub(crate) key: String,
  /// The value npm uses, as `npm config get` prints it: after unquoting and
  /// `${VAR}` expansion; a list (`key[]=a`, `key[]=b`) is `a,b`. May be a secret.
  pub(crate) value: String,
  /// The value as `ini` leaves it (unquoted, without its comment), before
  /// `${VAR}` expansion, as text (a list's items joined with commas).
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
  ini::decode(text)
    .settings
    .into_iter()
    .map(|setting| load(setting, env))
    .collect()
}

/// npm stops with an error before it does anything, because `ini` throws
/// on this text (a `[section]` under a key that is `null`, say).
pub(crate) fn npm_cannot_read(text: &str) -> bool {
  ini::decode(text).npm_fails
}

/// `@npmcli/config` loading one key: `${VAR}` in the key, then the value
/// read by the key's type (`parseField`).
fn load(setting: ini::Setting, env: Lookup) -> Entry {
  let mut vars = Vec::new();
  let key = expand(&setting.key, env, &mut vars);
  let ty = npm_flags::flag_type(&key);
  let raw = setting.value.text();
  let value = parse_field(setting.value, ty, false, env, &mut vars);
  Entry {
    key,
    value: value.text(),
    raw,
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
        ("strict-ssl", "true", 6),
        // npm holds the section as the setting `section`, an object.
        ("section", "[object Object]", 7)
      ]
    );
  }

  #[test]
  fn the_comment_after_a_registry_is_no_part_of_it() {
    assert_eq!(
      value("registry=https://r.example/ ; mirror", "registry").as_deref(),
      Some("https://r.example/")
    );
    // ini keeps the newline of a JSON string; @npmcli/config trims it.
    assert_eq!(value(r#"k="\u0041\n""#, "k").as_deref(), Some("A"));
  }

  #[test]
  fn keys_after_expansion_keep_javascript_s_order() {
    let env = Env::from_pairs([("K", "x")]);
    // `x` keeps the place where it was first written, so the `${K}` line,
    // read after it, wins over the later `x=3`.
    let entries = parse("x=1\n${K}=2\nx=3\n", &env);
    let last = entries.iter().rev().find(|e| e.key == "x").unwrap();
    assert_eq!((last.value.as_str(), last.line), ("2", 2));
    // A section is the object at its literal name, which the `${K}` key
    // only reaches after ini: the section, written later, wins.
    let entries = parse("${K}=1\n[x]\n", &env);
    let last = entries.iter().rev().find(|e| e.key == "x").unwrap();
    assert_eq!((last.value.as_str(), last.line), ("[object Object]", 2));
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
