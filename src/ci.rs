//! Saying it where CI people look.
//!
//! GitHub Actions: each diagnosis also becomes an `::error` workflow command on
//! stderr (the runner parses both streams, and npm's stdout stays npm's), at
//! most ten per step as GitHub shows no more, and a Markdown section appended
//! to `$GITHUB_STEP_SUMMARY`. GitLab CI: the diagnosis sits in a collapsible
//! log section.

use std::{
  fmt::Write as _,
  fs::OpenOptions,
  io::Write,
  path::{Path, PathBuf},
  time::{SystemTime, UNIX_EPOCH},
};

use crate::{Env, diagnose::Diagnosis, redact::Redactor};

/// GitHub shows at most ten error annotations per step.
const MAX_ANNOTATIONS: usize = 10;
/// GitHub refuses step summaries over 1 MiB.
const MAX_SUMMARY: u64 = 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ci {
  GitHub,
  GitLab,
}

pub(crate) fn detect(env: &Env) -> Option<Ci> {
  if env.get("GITHUB_ACTIONS") == Some("true") {
    Some(Ci::GitHub)
  } else if env.is_set("GITLAB_CI") {
    Some(Ci::GitLab)
  } else {
    None
  }
}

/// Wraps the human text for the CI log, and writes CI-only outputs.
pub(crate) fn decorate(
  text: String,
  diagnoses: &[Diagnosis],
  env: &Env,
  redactor: &Redactor,
) -> String {
  match detect(env) {
    Some(Ci::GitHub) => {
      let mut out = text;
      let budget = annotation_budget(env, diagnoses.len());
      for d in diagnoses.iter().filter(|d| !d.warning).take(budget) {
        out.push_str(&annotation("error", d, redactor));
      }
      for d in diagnoses.iter().filter(|d| d.warning) {
        out.push_str(&annotation("warning", d, redactor));
      }
      if let Some(path) = env.get_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        append_summary(Path::new(path), &summary_markdown(diagnoses, redactor));
      }
      out
    }
    Some(Ci::GitLab) => {
      let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
      let body = text.trim_start_matches('\n');
      format!(
        "\n\u{1b}[0Ksection_start:{stamp}:npmx_diagnosis\r\u{1b}[0Knpmx diagnosis\n{body}\u{1b}[0Ksection_end:{stamp}:npmx_diagnosis\r\u{1b}[0K\n"
      )
    }
    None => text,
  }
}

/// `::error title=…::message`, with GitHub's escaping.
fn annotation(level: &str, d: &Diagnosis, redactor: &Redactor) -> String {
  let title = match &d.code {
    Some(code) => format!("npmx: {} ({code})", d.cause.title),
    None => format!("npmx: {}", d.cause.title),
  };
  let mut message = redactor.clean(&d.summary);
  for (n, step) in d.steps.iter().enumerate() {
    let _ = write!(message, "\n{}. {}", n + 1, redactor.clean(&step.text));
    if let Some(command) = &step.command {
      let _ = write!(message, "\n   {}", redactor.clean(command));
    }
  }
  format!(
    "::{level} title={}::{}\n",
    escape_property(&redactor.clean(&title)),
    escape_data(&message)
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

fn summary_markdown(diagnoses: &[Diagnosis], redactor: &Redactor) -> String {
  let mut out = String::new();
  for d in diagnoses {
    let label = if d.warning { "warning" } else { "npm failed" };
    let _ = writeln!(
      out,
      "### npmx ({label}): {} (`{}`)\n",
      d.cause.title, d.cause.id
    );
    let _ = writeln!(out, "{}\n", markdown_text(&redactor.clean(&d.summary)));
    for (n, step) in d.steps.iter().enumerate() {
      let _ = writeln!(
        out,
        "{}. {}",
        n + 1,
        markdown_text(&redactor.clean(&step.text))
      );
      if let Some(command) = &step.command {
        let _ = writeln!(
          out,
          "   ```sh\n   {}\n   ```",
          redactor.clean(command).replace('`', "'")
        );
      }
    }
    out.push('\n');
  }
  out
}

/// Registry text in Markdown: no HTML, no links it did not mean.
fn markdown_text(text: &str) -> String {
  text.replace('<', "&lt;").replace('>', "&gt;")
}

fn append_summary(path: &Path, markdown: &str) {
  let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
  if size + markdown.len() as u64 > MAX_SUMMARY {
    return;
  }
  if let Ok(mut file) = OpenOptions::new().append(true).create(true).open(path) {
    let _ = file.write_all(markdown.as_bytes());
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  use crate::{catalogue, diagnose::Step};

  fn diagnosis(id: &str) -> Diagnosis {
    Diagnosis {
      cause: catalogue::find(id).unwrap(),
      code: Some("E403".into()),
      summary: "GET to r.example answered 403 Forbidden: 100% \u{1b}[31mno\nway".into(),
      evidence: vec![],
      steps: vec![Step::run("Do it:", "npm login")],
      weight: 90,
      warning: false,
    }
  }

  #[test]
  fn github_gets_at_most_ten_annotations_per_step_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let temp = dir.path().to_str().unwrap();
    let env = Env::from_pairs([
      ("GITHUB_ACTIONS", "true"),
      ("RUNNER_TEMP", temp),
      ("GITHUB_ACTION", "__run_2"),
    ]);
    let many: Vec<_> = (0..7).map(|_| diagnosis("registry-forbidden")).collect();
    let first = decorate(String::new(), &many, &env, &Redactor::default());
    let second = decorate(String::new(), &many, &env, &Redactor::default());
    assert_eq!(
      first.lines().filter(|l| l.starts_with("::error ")).count(),
      7
    );
    assert_eq!(
      second.lines().filter(|l| l.starts_with("::error ")).count(),
      3
    );
    let line = first.lines().next().unwrap();
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
      "\nnpmx: heading\n".into(),
      &[diagnosis("registry-forbidden")],
      &env,
      &Redactor::default(),
    );
    assert!(out.starts_with("\n\u{1b}[0Ksection_start:"), "{out:?}");
    assert!(
      out
        .contains(":npmx_diagnosis\r\u{1b}[0Knpmx diagnosis\nnpmx: heading\n\u{1b}[0Ksection_end:"),
      "{out:?}"
    );
    assert!(!out.contains("::error"));
  }

  #[test]
  fn outside_ci_nothing_changes() {
    let env = Env::from_pairs([("CI", "true")]);
    assert_eq!(
      decorate(
        "text".into(),
        &[diagnosis("registry-forbidden")],
        &env,
        &Redactor::default()
      ),
      "text"
    );
  }

  #[test]
  fn escaping_follows_github() {
    assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
    assert_eq!(escape_property("npmx: a, b"), "npmx%3A a%2C b");
  }
}
