//! The machine-readable report (`NPMX_REPORT=PATH`), a documented contract:
//!
//! ```json
//! {"exit_code": 1,
//!  "diagnoses": [{"id": "version-exists", "code": "E403", "title": "…", "summary": "…",
//!                 "steps": [{"text": "…", "command": "npm version patch && npm publish"}],
//!                 "evidence": ["…"]}]}
//! ```
//!
//! `exit_code` is npm's (`null` for a saved log), diagnoses come most likely
//! first, `"diagnoses": []` when npmx has nothing to say, `command` is a string
//! or `null`. Redacted like everything else npmx writes.

use serde::Serialize;

use crate::{diagnose::Diagnosis, redact::Redactor};

#[derive(Serialize)]
struct Report<'a> {
  exit_code: Option<i32>,
  diagnoses: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
  id: &'a str,
  code: Option<String>,
  title: &'a str,
  summary: String,
  steps: Vec<StepEntry>,
  evidence: Vec<String>,
}

#[derive(Serialize)]
struct StepEntry {
  text: String,
  command: Option<String>,
}

pub(crate) fn to_json(
  exit_code: Option<i32>,
  diagnoses: &[Diagnosis],
  redactor: &Redactor,
) -> String {
  let clean = |s: &str| redactor.clean(s);
  let report = Report {
    exit_code,
    diagnoses: diagnoses
      .iter()
      .map(|d| Entry {
        id: d.cause.id,
        code: d.code.as_deref().map(clean),
        title: d.cause.title,
        summary: clean(&d.summary),
        steps: d
          .steps
          .iter()
          .map(|s| StepEntry {
            text: clean(&s.text),
            command: s.command.as_deref().map(clean),
          })
          .collect(),
        evidence: d.evidence.iter().map(|e| clean(e)).collect(),
      })
      .collect(),
  };
  let mut json = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
  json.push('\n');
  json
}

/// Writes the report; a failure to write is npmx's problem, reported on
/// stderr, and never changes npm's exit code.
pub(crate) fn write(path: &std::path::Path, json: &str) {
  if let Err(error) = std::fs::write(path, json) {
    use std::io::Write;
    let _ = writeln!(
      std::io::stderr(),
      "npmx: cannot write the report to {}: {error}",
      path.display()
    );
  }
}
