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

use crate::{
  diagnose::Diagnosis,
  output::{self, Clean},
  redact::Redactor,
};

#[derive(Serialize)]
struct Report<'a> {
  exit_code: Option<i32>,
  diagnoses: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
  id: &'a str,
  code: Option<Clean>,
  title: &'a str,
  summary: Clean,
  steps: Vec<StepEntry>,
  evidence: Vec<Clean>,
}

#[derive(Serialize)]
struct StepEntry {
  text: Clean,
  command: Option<Clean>,
}

pub(crate) fn to_json(
  exit_code: Option<i32>,
  diagnoses: &[Diagnosis],
  redactor: &Redactor,
) -> Clean {
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
  // Every string in it is clean or npmx's own; JSON escapes the rest.
  output::json(&report)
}

/// Writes the report; a failure to write is npmx's problem, reported on
/// stderr, and never changes npm's exit code.
pub(crate) fn write(path: &std::path::Path, json: &Clean, redactor: &Redactor) {
  if let Err(error) = output::write_file(path, json, false) {
    let message = redactor.clean(&format!(
      "npmx: cannot write the report to {}: {error}\n",
      path.display()
    ));
    output::stderr(&message);
  }
}
