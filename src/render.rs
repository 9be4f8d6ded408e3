//! Saying it: the diagnosis as a person reads it, in about ten seconds.
//!
//! ```text
//! npmx: This version is already published [version-exists]
//!   PUT to registry.npmjs.org answered 403 Forbidden: You cannot publish over …: 1.4.2.
//!   1. 1.4.2 is already on the registry … Bump it (1.4.2 → 1.4.3) and publish again:
//!        npm version patch && npm publish
//! ```
//!
//! Colour only helps the eye; the text reads the same without it. Everything
//! goes through the redactor on the way out.

use std::fmt::Write;

use owo_colors::OwoColorize;

use crate::{diagnose::Diagnosis, redact::Redactor};

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Style {
  pub(crate) color: bool,
  /// Every piece of evidence, not just the first lines.
  pub(crate) verbose: bool,
}

impl Style {
  /// Colour on a terminal unless NO_COLOR is set; FORCE_COLOR forces it.
  pub(crate) fn for_stream(is_terminal: bool, env: &crate::Env) -> Style {
    let force = env.get("FORCE_COLOR").map(|v| v != "0" && v != "false");
    let color = match force {
      Some(force) => force,
      None => is_terminal && !env.is_set("NO_COLOR") && env.get("TERM") != Some("dumb"),
    };
    Style {
      color,
      verbose: env
        .get("NPMX_VERBOSE")
        .is_some_and(|v| !v.is_empty() && v != "0"),
    }
  }
}

const WIDTH: usize = 100;

pub(crate) fn render(diagnoses: &[Diagnosis], style: Style, redactor: &Redactor) -> String {
  let mut out = String::new();
  if diagnoses.is_empty() {
    return out;
  }
  out.push('\n');
  if diagnoses.len() > 1 && !diagnoses[0].warning {
    let line = format!(
      "npmx: {} causes fit this failure; the most likely first.",
      diagnoses.len()
    );
    let _ = writeln!(out, "{}", paint(&line, style, Paint::Heading));
  }
  for (index, d) in diagnoses.iter().enumerate() {
    if index > 0 {
      out.push('\n');
    }
    let label = if d.warning {
      "npmx: warning: "
    } else {
      "npmx: "
    };
    let heading = format!("{label}{} [{}]", d.cause.title, d.cause.id);
    let _ = writeln!(
      out,
      "{}",
      paint(
        &heading,
        style,
        if d.warning {
          Paint::Warning
        } else {
          Paint::Heading
        }
      )
    );
    let shown = if style.verbose {
      d.evidence.len()
    } else {
      1.min(d.evidence.len())
    };
    for fact in d.evidence.iter().take(shown) {
      for line in wrap(&redactor.clean(fact), WIDTH - 2) {
        let _ = writeln!(out, "  {}", paint(&line, style, Paint::Evidence));
      }
    }
    for (n, step) in d.steps.iter().enumerate() {
      let marker = format!("{}. ", n + 1);
      for (i, line) in wrap(&redactor.clean(&step.text), WIDTH - 5)
        .into_iter()
        .enumerate()
      {
        let lead = if i == 0 {
          marker.clone()
        } else {
          " ".repeat(marker.len())
        };
        let _ = writeln!(out, "  {lead}{line}");
      }
      if let Some(command) = &step.command {
        let _ = writeln!(
          out,
          "       {}",
          paint(&redactor.clean(command), style, Paint::Command)
        );
      }
    }
  }
  let more = format!(
    "npmx: more with `npmx --npmx-explain {}`",
    diagnoses[0].cause.id
  );
  let _ = writeln!(out, "{}", paint(&more, style, Paint::Dim));
  out
}

enum Paint {
  Heading,
  Warning,
  Evidence,
  Command,
  Dim,
}

fn paint(text: &str, style: Style, paint: Paint) -> String {
  if !style.color {
    return text.to_owned();
  }
  match paint {
    Paint::Heading => text.bold().red().to_string(),
    Paint::Warning => text.bold().yellow().to_string(),
    Paint::Evidence => text.dimmed().to_string(),
    Paint::Command => text.cyan().to_string(),
    Paint::Dim => text.dimmed().to_string(),
  }
}

/// Word wrap for prose; a word longer than the width stays whole.
fn wrap(text: &str, width: usize) -> Vec<String> {
  let mut lines = Vec::new();
  for paragraph in text.split('\n') {
    let mut line = String::new();
    for word in paragraph.split_whitespace() {
      if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
        lines.push(std::mem::take(&mut line));
      }
      if !line.is_empty() {
        line.push(' ');
      }
      line.push_str(word);
    }
    lines.push(line);
  }
  lines
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn wraps_prose_at_word_boundaries() {
    let text = "one two three four five";
    assert_eq!(wrap(text, 9), ["one two", "three", "four five"]);
    assert_eq!(
      wrap("https://a-very-long-url.example/path", 10),
      ["https://a-very-long-url.example/path"]
    );
  }
}
