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

use crate::{
  diagnose::Diagnosis,
  output::{Clean, Paint, clean},
  redact::Redactor,
};

#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
  pub(crate) color: bool,
  /// Every piece of evidence, not just the first lines.
  pub(crate) verbose: bool,
  /// Columns to wrap prose at.
  pub(crate) width: usize,
}

impl Default for Style {
  fn default() -> Style {
    Style {
      color: false,
      verbose: false,
      width: DEFAULT_WIDTH,
    }
  }
}

/// Prose wider than this is hard to read, whatever the terminal.
const MAX_WIDTH: usize = 100;
/// Not a terminal (a pipe, a CI log): wide enough for a command per line.
const DEFAULT_WIDTH: usize = 100;
const MIN_WIDTH: usize = 40;

/// The terminal's width: its window size, then `COLUMNS`, else the default.
/// A word split across lines (`HT` / `TPS_PROXY`) is worse than a short line.
fn width(fd: std::os::fd::RawFd, is_terminal: bool, env: &crate::Env) -> usize {
  let window = is_terminal
    .then(|| {
      let mut size: libc::winsize = unsafe { std::mem::zeroed() };
      // SAFETY: TIOCGWINSZ writes a winsize into `size`, which outlives the call.
      let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) } == 0;
      (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
    })
    .flatten();
  let columns = || {
    env
      .get("COLUMNS")
      .and_then(|c| c.trim().parse::<usize>().ok())
  };
  window
    .or_else(columns)
    .unwrap_or(DEFAULT_WIDTH)
    .clamp(MIN_WIDTH, MAX_WIDTH)
}

impl Style {
  /// For the stream on `fd`. Colour on a terminal unless NO_COLOR is set;
  /// FORCE_COLOR forces it.
  pub(crate) fn for_stream(fd: std::os::fd::RawFd, env: &crate::Env) -> Style {
    // SAFETY: isatty only inspects the descriptor.
    let is_terminal = unsafe { libc::isatty(fd) } == 1;
    let force = env.get("FORCE_COLOR").map(|v| v != "0" && v != "false");
    let color = match force {
      Some(force) => force,
      None => is_terminal && !env.is_set("NO_COLOR") && env.get("TERM") != Some("dumb"),
    };
    Style {
      color,
      width: width(fd, is_terminal, env),
      verbose: env
        .get("NPMX_VERBOSE")
        .is_some_and(|v| !v.is_empty() && v != "0"),
    }
  }
}

pub(crate) fn render(diagnoses: &[Diagnosis], style: Style, redactor: &Redactor) -> Clean {
  let mut out = Clean::default();
  let Some(first) = diagnoses.first() else {
    return out;
  };
  let paint = |text: Clean, paint: Paint| if style.color { text.paint(paint) } else { text };
  let ours = |text: &str| redactor.clean(text);
  out.push_ours("\n");
  if diagnoses.len() > 1 && !first.warning {
    let line = clean!(
      "npmx: {} causes fit this failure; the most likely first.\n",
      diagnoses.len()
    );
    out.push(&paint(line, Paint::Heading));
  }
  for (index, d) in diagnoses.iter().enumerate() {
    if index > 0 {
      out.push_ours("\n");
    }
    let (label, color) = if d.warning {
      ("npmx: warning: ", Paint::Warning)
    } else {
      ("npmx: ", Paint::Heading)
    };
    let heading = ours(&format!("{label}{} [{}]", d.cause.title, d.cause.id));
    out.push(&paint(heading, color));
    out.push_ours("\n");
    let shown = if style.verbose {
      d.evidence.len()
    } else {
      1.min(d.evidence.len())
    };
    for fact in d.evidence.iter().take(shown) {
      for line in redactor.clean(fact).wrap(style.width - 2) {
        out.push(&clean!("  {}\n", paint(line, Paint::Dim)));
      }
    }
    for (n, step) in d.steps.iter().enumerate() {
      let marker = ours(&format!("{}. ", n + 1));
      let indent = ours(&" ".repeat(marker.as_str().len()));
      for (i, line) in redactor
        .clean(&step.text)
        .wrap(style.width - 5)
        .into_iter()
        .enumerate()
      {
        let lead = if i == 0 { &marker } else { &indent };
        out.push(&clean!("  {}{}\n", lead, line));
      }
      if let Some(command) = &step.command {
        out.push(&clean!(
          "       {}\n",
          paint(redactor.clean(command), Paint::Command)
        ));
      }
    }
  }
  let more = ours(&format!(
    "npmx: more with `npmx --npmx-explain {}`",
    first.cause.id
  ));
  out.push(&clean!("{}\n", paint(more, Paint::Dim)));
  out
}
