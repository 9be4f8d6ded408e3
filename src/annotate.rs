//! Saying it where CI people look.
//!
//! GitHub Actions: each diagnosis also becomes an `::error` workflow command on
//! stderr (the runner parses both streams, and npm's stdout stays npm's), at
//! most ten per step as GitHub shows no more, and a Markdown section appended
//! to `$GITHUB_STEP_SUMMARY`. GitLab CI: the diagnosis sits in a collapsible
//! log section.

use std::{
  path::{Path, PathBuf},
  time::{SystemTime, UNIX_EPOCH},
};

use crate::{
  Env,
  ci::Ci,
  diagnose::Diagnosis,
  output::{self, Clean, clean},
  redact::Redactor,
};

/// GitHub shows at most ten error annotations per step.
const MAX_ANNOTATIONS: usize = 10;
/// GitHub refuses step summaries over 1 MiB.
const MAX_SUMMARY: u64 = 1024 * 1024;

/// The npm run a diagnosis is about, for the step summary.
pub(crate) struct Run {
  /// The command as typed, cleaned.
  pub(crate) command: Clean,
  /// npm's exit code; `None` when npmx spoke while npm still lingered.
  pub(crate) exit: Option<i32>,
}

/// Wraps the human text for the CI log, and writes CI-only outputs.
pub(crate) fn decorate(
  text: Clean,
  diagnoses: &[Diagnosis],
  ci: Option<Ci>,
  env: &Env,
  redactor: &Redactor,
) -> Clean {
  match ci {
    Some(Ci::GitHub) if env.get("GITHUB_ACTIONS") == Some("true") && annotations_on(env) => {
      let mut out = text;
      let budget = annotation_budget(env, diagnoses.len());
      for d in diagnoses.iter().filter(|d| !d.warning).take(budget) {
        out.push(&annotation("error", d, redactor));
      }
      for d in diagnoses.iter().filter(|d| d.warning) {
        out.push(&annotation("warning", d, redactor));
      }
      out
    }
    Some(Ci::GitLab) => {
      let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
      let body = text.escaped(|t| t.trim_start_matches('\n').to_owned());
      clean!(
        "\n\u{1b}[0Ksection_start:{}:npmx_diagnosis\r\u{1b}[0Knpmx diagnosis\n{}\u{1b}[0Ksection_end:{}:npmx_diagnosis\r\u{1b}[0K\n",
        stamp,
        body,
        stamp
      )
    }
    _ => text,
  }
}

/// The step summary to append, in GitHub Actions: where, and the Markdown.
/// Written last, after stderr and the report: a summary file that blocks
/// (a FIFO, a hung mount) must cost neither.
pub(crate) fn step_summary(
  diagnoses: &[Diagnosis],
  env: &Env,
  redactor: &Redactor,
  run: &Run,
) -> Option<(PathBuf, Clean)> {
  if env.get("GITHUB_ACTIONS") != Some("true") || diagnoses.is_empty() || !annotations_on(env) {
    return None;
  }
  let path = env
    .get_os("GITHUB_STEP_SUMMARY")
    .filter(|p| !p.is_empty())?;
  Some((
    PathBuf::from(path),
    summary_markdown(diagnoses, redactor, run),
  ))
}

/// `NPMX_ANNOTATIONS=0` (the GitHub Action's `annotations: false`): no
/// `::error` annotations and no step summary; the diagnosis in the log stays.
fn annotations_on(env: &Env) -> bool {
  !matches!(
    env
      .get("NPMX_ANNOTATIONS")
      .map(|v| v.trim().to_ascii_lowercase())
      .as_deref(),
    Some("0" | "false" | "off" | "no")
  )
}

/// Appends the summary, unless the file would pass GitHub's limit.
pub(crate) fn write_summary(path: &Path, markdown: &Clean) {
  append_summary(path, markdown);
}

/// `::error title=…::message`, with GitHub's escaping.
fn annotation(level: &'static str, d: &Diagnosis, redactor: &Redactor) -> Clean {
  let title = match &d.code {
    Some(code) => clean!(
      "npmx: {} ({})",
      redactor.clean(d.cause.title),
      redactor.clean(code)
    ),
    None => clean!("npmx: {}", redactor.clean(d.cause.title)),
  };
  let mut message = redactor.clean(&d.summary);
  for (n, step) in d.steps.iter().enumerate() {
    message.push(&clean!("\n{}. {}", n + 1, redactor.clean(&step.text)));
    if let Some(command) = &step.command {
      message.push(&clean!("\n   {}", redactor.clean(command)));
    }
  }
  let level = Clean::ours(level);
  clean!(
    "::{} title={}::{}\n",
    level,
    title.escaped(escape_property),
    message.escaped(escape_data)
  )
}

pub(crate) fn escape_data(text: &str) -> String {
  text
    .replace('%', "%25")
    .replace('\r', "%0D")
    .replace('\n', "%0A")
}

pub(crate) fn escape_property(text: &str) -> String {
  escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// How many annotations this process may still write in this step: a counter
/// file in RUNNER_TEMP, shared by nested npmx runs of the same step.
fn annotation_budget(env: &Env, wanted: usize) -> usize {
  let (Some(temp), Some(step)) = (env.get("RUNNER_TEMP"), env.get("GITHUB_ACTION")) else {
    return wanted.min(MAX_ANNOTATIONS);
  };
  let safe: String = step
    .chars()
    .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
    .collect();
  let path = PathBuf::from(temp).join(format!("npmx-annotations-{safe}"));
  let used: usize = std::fs::read_to_string(&path)
    .ok()
    .and_then(|s| s.trim().parse().ok())
    .unwrap_or(0);
  let budget = MAX_ANNOTATIONS.saturating_sub(used).min(wanted);
  let _ = std::fs::write(&path, (used + budget).to_string());
  budget
}

fn summary_markdown(diagnoses: &[Diagnosis], redactor: &Redactor, run: &Run) -> Clean {
  let mut out = Clean::default();
  // Which command, and how it ended: a job runs many npm commands.
  let command = run.command.escaped(markdown_code);
  let ended = match run.exit {
    Some(code) if diagnoses.iter().all(|d| d.warning) => clean!("succeeded (exit code {})", code),
    Some(code) => clean!("failed with exit code {}", code),
    None => Clean::ours("failed"),
  };
  out.push(&clean!("#### `{}` {}\n\n", command, ended));
  let text = |t: &str| redactor.clean(t).escaped(markdown_text);
  for d in diagnoses {
    let label = Clean::ours(if d.warning { "warning" } else { "npm failed" });
    out.push(&clean!(
      "### npmx ({}): {} (`{}`)\n\n",
      label,
      text(d.cause.title),
      redactor.clean(d.cause.id).escaped(markdown_code)
    ));
    out.push(&clean!("{}\n\n", text(&d.summary)));
    for (n, step) in d.steps.iter().enumerate() {
      out.push(&clean!("{}. {}\n", n + 1, text(&step.text)));
      if let Some(command) = &step.command {
        out.push(&clean!(
          "   ```sh\n   {}\n   ```\n",
          redactor.clean(command).escaped(markdown_code)
        ));
      }
    }
    out.push_ours("\n");
  }
  out
}

/// Text from outside in Markdown: one line (a newline could end a list or
/// open a block), every character Markdown or HTML would act on escaped — no
/// links, images, HTML, emphasis, tables or code it did not mean.
pub(crate) fn markdown_text(text: &str) -> String {
  let mut out = String::with_capacity(text.len() + 16);
  // Four spaces at the start would open a code block.
  for c in text.trim_start().chars() {
    match c {
      '\n' | '\r' => out.push(' '),
      '<' => out.push_str("&lt;"),
      '>' => out.push_str("&gt;"),
      '&' => out.push_str("&amp;"),
      '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '!' | '|' | '~' | '#' | '{' | '}' | '@' => {
        out.push('\\');
        out.push(c);
      }
      c => out.push(c),
    }
  }
  // `- `, `+ `, `= `, `1. `: a list or heading, only at the start of a line.
  if out.starts_with(['-', '+', '=']) {
    out.insert(0, '\\');
  }
  let digits = out.len() - out.trim_start_matches(|c: char| c.is_ascii_digit()).len();
  if digits > 0 && out[digits..].starts_with('.') {
    out.insert(digits, '\\');
  }
  out
}

/// Text inside npmx's own code spans and fences: on one line, and with no
/// backtick to close them early.
pub(crate) fn markdown_code(text: &str) -> String {
  text
    .replace('`', "'")
    .replace('\r', "\\u{d}")
    .replace('\n', "\\u{a}")
}

fn append_summary(path: &Path, markdown: &Clean) {
  let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
  if size + markdown.as_str().len() as u64 > MAX_SUMMARY {
    return;
  }
  let _ = output::write_file(path, markdown, true);
}

#[cfg(test)]
mod tests {
  use super::*;

  use crate::{advice::Step, causes};

  fn diagnosis(id: &str) -> Diagnosis {
    Diagnosis {
      cause: causes::find(id).unwrap(),
      code: Some("E403".into()),
      summary: "GET to r.example answered 403 Forbidden: 100% \u{1b}[31mno\nway".into(),
      evidence: vec![],
      steps: vec![Step::run("Do it:", "npm login")],
      weight: 90,
      warning: false,
    }
  }

  fn github(temp: &str) -> Env {
    Env::from_pairs([
      ("GITHUB_ACTIONS", "true"),
      ("RUNNER_TEMP", temp),
      ("GITHUB_ACTION", "__run_2"),
    ])
  }

  #[test]
  fn github_gets_at_most_ten_annotations_per_step_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let env = github(dir.path().to_str().unwrap());
    let many: Vec<_> = (0..7).map(|_| diagnosis("registry-forbidden")).collect();
    let r = Redactor::default();
    let first = decorate(Clean::default(), &many, Some(Ci::GitHub), &env, &r);
    let second = decorate(Clean::default(), &many, Some(Ci::GitHub), &env, &r);
    let count = |c: &Clean| {
      c.as_str()
        .lines()
        .filter(|l| l.starts_with("::error "))
        .count()
    };
    assert_eq!(count(&first), 7);
    assert_eq!(count(&second), 3);
    let line = first.as_str().lines().next().unwrap();
    assert!(
      line
        .starts_with("::error title=npmx%3A The registry refused access to this package (E403)::"),
      "{line}"
    );
    assert!(
      line.contains("100%25 no%0Away%0A1. Do it:%0A   npm login"),
      "{line}"
    );
  }

  #[test]
  fn gitlab_gets_a_collapsible_section() {
    let env = Env::from_pairs([("GITLAB_CI", "true")]);
    let out = decorate(
      Clean::ours("\nnpmx: heading\n"),
      &[diagnosis("registry-forbidden")],
      Some(Ci::GitLab),
      &env,
      &Redactor::default(),
    );
    let out = out.as_str();
    assert!(out.starts_with("\n\u{1b}[0Ksection_start:"), "{out:?}");
    assert!(
      out
        .contains(":npmx_diagnosis\r\u{1b}[0Knpmx diagnosis\nnpmx: heading\n\u{1b}[0Ksection_end:"),
      "{out:?}"
    );
    assert!(!out.contains("::error"));
  }

  #[test]
  fn outside_these_two_nothing_changes() {
    let env = Env::from_pairs([("CI", "true")]);
    let out = decorate(
      Clean::ours("text"),
      &[diagnosis("registry-forbidden")],
      Some(Ci::Other),
      &env,
      &Redactor::default(),
    );
    assert_eq!(out.as_str(), "text");
  }

  fn run() -> Run {
    Run {
      command: Clean::ours("npm publish --tag `x`"),
      exit: Some(1),
    }
  }

  #[test]
  fn the_step_summary_names_the_command_and_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let env = Env::from_pairs([
      ("GITHUB_ACTIONS", "true"),
      ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ]);
    let (path, markdown) = step_summary(
      &[diagnosis("registry-forbidden")],
      &env,
      &Redactor::default(),
      &run(),
    )
    .unwrap();
    write_summary(&path, &markdown);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
      text.starts_with("#### `npm publish --tag 'x'` failed with exit code 1\n"),
      "{text}"
    );
  }

  #[test]
  fn escaping_follows_github() {
    assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
    assert_eq!(escape_property("npmx: a, b"), "npmx%3A a%2C b");
  }
}
