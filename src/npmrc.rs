//! One `.npmrc` file, read the way npm reads it (the `ini` package plus
//! `@npmcli/config`'s `${VAR}` expansion), keeping the line each key came from
//! so advice can say "your project .npmrc line 3".

use crate::Env;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
  /// The key after `${VAR}` expansion (per-host keys look like `//host/:_authToken`).
  pub(crate) key: String,
  /// The value after `${VAR}` expansion and unquoting: what npm uses. May be a secret.
  pub(crate) value: String,
  /// The value as written, before expansion.
  pub(crate) raw: String,
  /// 1-based line number.
  pub(crate) line: usize,
  /// Every `${VAR}` the line refers to, and what it was here.
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

pub(crate) fn parse(text: &str, env: &Env) -> Vec<Entry> {
  let text = text.strip_prefix('\u{feff}').unwrap_or(text);
  let mut entries = Vec::new();
  let mut in_section = false;
  for (index, line) in text.lines().enumerate() {
    let line = line.trim();
    if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
      continue;
    }
    if line.starts_with('[') && line.ends_with(']') {
      // npm flattens nothing from ini sections; keys under one are not config.
      in_section = true;
      continue;
    }
    if in_section {
      continue;
    }
    let (key, raw) = match line.split_once('=') {
      Some((k, v)) => (k.trim(), v.trim()),
      None => (line, "true"),
    };
    let key = key.strip_suffix("[]").unwrap_or(key);
    let mut vars = Vec::new();
    // A quoted key or value can hold a line break (`"a\nb"`). It must not
    // start a line of npmx's output: shown as `\u{a}`, except in a secret
    // (masked whole, as npm sends it) or a PEM block (never shown).
    let key = crate::redact::one_line(&expand(&unquote(key), env, &mut vars)).into_owned();
    let value = expand(&unquote(raw), env, &mut vars);
    let last = key.rsplit(':').next().unwrap_or(&key);
    let multiline = [
      "_authToken",
      "_auth",
      "_password",
      "password",
      "token",
      "otp",
      "ca",
      "cert",
      "key",
    ];
    let value = if multiline.contains(&last) {
      value
    } else {
      crate::redact::one_line(&value).into_owned()
    };
    entries.push(Entry {
      key,
      value,
      raw: raw.to_owned(),
      line: index + 1,
      vars,
    });
  }
  entries
}

/// `"…"` is a JSON string to `ini`; `'…'` is taken literally.
fn unquote(text: &str) -> String {
  let bytes = text.as_bytes();
  if bytes.len() >= 2 && bytes[0] == b'"' && bytes[bytes.len() - 1] == b'"' {
    if let Ok(s) = serde_json::from_str::<String>(text) {
      return s;
    }
  }
  if bytes.len() >= 2 && bytes[0] == b'\'' && bytes[bytes.len() - 1] == b'\'' {
    return text[1..text.len() - 1].to_owned();
  }
  text.to_owned()
}

/// `${NAME}` and `${NAME?}`, with backslash escapes, as `@npmcli/config`'s
/// env-replace does: an unset variable without `?` stays literally `${NAME}`,
/// and npm then sends that text as the token.
pub(crate) fn expand(text: &str, env: &Env, vars: &mut Vec<VarRef>) -> String {
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
      let state = match env.get(name) {
        None => VarState::Unset,
        Some("") => VarState::Empty,
        Some(_) => VarState::Set,
      };
      vars.push(VarRef {
        name: name.to_owned(),
        state,
        optional,
      });
      match env.get(name) {
        Some(value) => out.push_str(value),
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
  fn env_expansion_like_npm() {
    let env = Env::from_pairs([("SET", "abc"), ("EMPTY", "")]);
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
