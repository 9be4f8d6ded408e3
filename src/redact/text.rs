//! Text a stranger wrote, made harmless to show: escape sequences removed,
//! control characters made visible, and nothing left that a CI runner would
//! read as a command of its own.

use std::borrow::Cow;

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

/// A value from outside that belongs on one line (a package name, an
/// `.npmrc` key or value): line breaks shown as `\u{..}`, so it cannot start
/// a line of npmx's output of its own.
pub(crate) fn one_line(text: &str) -> Cow<'_, str> {
  let breaks = [
    '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{2028}', '\u{2029}',
  ];
  if !text.contains(breaks) {
    return Cow::Borrowed(text);
  }
  let mut out = String::with_capacity(text.len() + 8);
  for c in text.chars() {
    if breaks.contains(&c) {
      out.push_str(&format!("\\u{{{:x}}}", c as u32));
    } else {
      out.push(c);
    }
  }
  Cow::Owned(out)
}

/// Workflow commands disarmed. A GitHub runner reads a line that starts,
/// after white space, with `::` as a command (`::error`, `::add-mask::`,
/// `::stop-commands::`), and `##[…]` as its older form; Azure Pipelines and
/// TeamCity read `##vso[…]` and `##teamcity[…]` anywhere in a line. Word
/// wrap can start a line at any word, so every word that starts with `::`
/// gets a visible `\` in front, and every `##` before `[`, `vso[` or
/// `teamcity[` becomes `#\#`. npmx's own annotations are made afterwards,
/// from literals, and are not touched.
pub(crate) fn disarm_commands(text: &str) -> Cow<'_, str> {
  if !text.contains("::") && !text.contains("##") {
    return Cow::Borrowed(text);
  }
  let mut out = String::with_capacity(text.len() + 8);
  let mut word_start = true;
  let mut rest = text;
  while let Some(c) = rest.chars().next() {
    if word_start && rest.starts_with("::") {
      out.push('\\');
    }
    if rest.starts_with("##") && is_bracket_command(&rest[2..]) {
      out.push_str("#\\");
    } else {
      out.push(c);
    }
    word_start = c.is_whitespace();
    rest = &rest[c.len_utf8()..];
  }
  Cow::Owned(out)
}

fn is_bracket_command(after: &str) -> bool {
  let lower = |n: usize| after.get(..n).map(str::to_ascii_lowercase);
  after.starts_with('[')
    || lower(4).as_deref() == Some("vso[")
    || lower(9).as_deref() == Some("teamcity[")
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn strip_ansi_keeps_text() {
    assert_eq!(
      strip_ansi("\u{1b}[1mnpm\u{1b}[22m \u{1b}[31merror\u{1b}[39m code E403"),
      "npm error code E403"
    );
  }

  #[test]
  fn commands_are_disarmed_wherever_a_line_could_start() {
    let cases = [
      ("::error title=x::boom", "\\::error title=x::boom"),
      ("a ::warning::w", "a \\::warning::w"),
      ("a\n  ::add-mask::x", "a\n  \\::add-mask::x"),
      ("nbsp\u{a0}::error::x", "nbsp\u{a0}\\::error::x"),
      ("##[error]x", "#\\#[error]x"),
      (
        "see ##vso[task.setvariable]",
        "see #\\#vso[task.setvariable]",
      ),
      ("x##teamcity[message]", "x#\\#teamcity[message]"),
      ("std::io and C# ## headings", "std::io and C# ## headings"),
      ("\\::error already", "\\::error already"),
    ];
    for (input, want) in cases {
      assert_eq!(disarm_commands(input), want, "{input}");
    }
  }
}
