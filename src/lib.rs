//! npmx runs the real npm with the arguments it was given and, when npm fails,
//! says what went wrong in this person's situation and what to type next.
//!
//! The modules follow the pipeline, in the order a run goes through it:
//!
//! 1. `mode`, `options`: who we are (argv[0]) and npmx's own `--npmx-*` options.
//! 2. `locate`, `depth`: find the real npm by identity, never by name, and stop loops.
//! 3. `child`, `signals`, `exit_status`: run npm on the caller's own terminal, forward
//!    signals, and leave exactly as npm left.
//! 4. `logs_dir`, `debug_log`, `evidence`: follow npm's own debug log while it runs and hand
//!    each line to the diagnosis stage.
//! 5. `line`, `transcript`, `facts`, `shape`: read npm's lines (live log, saved output, CI
//!    logs) once, into typed facts.
//! 6. `env`, `npmrc`, `config`, `command`, `context`, `ci`, `product`, `url`: what npm reads,
//!    what was typed, where it runs.
//! 7. `causes` (one file per family, one entry per cause), `situation`, `diagnose`, `advice`:
//!    decide causes and the steps that fit.
//! 8. `redact`, `output`, `render`, `report`, `annotate`: say it, through one type that
//!    cannot leak a secret or carry a control character.
//! 9. `live` (the stage a run feeds), `offline` (`--npmx-diagnose`), `explain`
//!    (`--npmx-explain`), `doctor` (`--npmx-doctor`).
//!
//! Dependencies point one way: facts → situation → causes/advice → diagnose → render.
//! `main` ties them together; see docs/design.md for the decisions and why.

#[cfg(test)]
mod adversarial;
mod advice;
mod annotate;
mod app;
mod causes;
mod child;
mod ci;
mod command;
mod config;
mod context;
mod debug_log;
mod depth;
mod details;
mod diagnose;
mod doctor;
mod env;
mod error;
mod evidence;
mod exit_status;
mod explain;
mod facts;
mod line;
mod live;
mod locate;
mod logs_dir;
mod mode;
mod npmrc;
mod offline;
mod options;
mod output;
mod product;
mod redact;
mod render;
mod report;
mod shape;
mod signals;
mod situation;
mod time;
mod transcript;
mod url;

pub use crate::app::main;

#[doc(hidden)]
pub mod testing {
  //! Entry points for the integration tests and benchmarks. Not a stable API.
  pub use crate::debug_log::follow_for_test;

  /// The cause ids npmx finds in a saved npm output (`--npmx-diagnose`).
  pub fn diagnose_text(text: &str) -> Vec<&'static str> {
    crate::offline::diagnose_text(text, Default::default())
      .0
      .found
      .iter()
      .map(|d| d.cause.id)
      .collect()
  }

  /// The README's cause table, generated from the causes (`tests/readme.rs`).
  pub fn cause_table_markdown() -> String {
    let mut out = String::from("| id | npm codes | what it means |\n|---|---|---|\n");
    for cause in crate::causes::all() {
      let mut codes: Vec<String> = cause.own_codes().iter().map(|c| format!("`{c}`")).collect();
      let over: Vec<String> = cause
        .takes_over()
        .iter()
        .map(|c| format!("`{}`", c.id))
        .collect();
      if !over.is_empty() {
        codes.push(format!(
          "(and those of {} when the situation says so)",
          over.join(", ")
        ));
      }
      out.push_str(&format!(
        "| `{}` | {} | {} |\n",
        cause.id,
        codes.join(" "),
        cause.title
      ));
    }
    out
  }
}

pub(crate) use crate::{
  env::Env,
  error::Error,
  evidence::{Evidence, Observer},
  mode::Mode,
};
