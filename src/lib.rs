//! npmx runs the real npm with the arguments it was given and, when npm fails,
//! says what went wrong in this person's situation and what to type next.
//!
//! The modules follow the pipeline, in the order a run goes through it:
//!
//! 1. `mode`, `options`: who we are (argv[0]) and npmx's own `--npmx-*` options.
//! 2. `locate`, `depth`: find the real npm by identity, never by name, and stop loops.
//! 3. `child`, `spawn`, `signals`, `exit_status`: start npm (one vfork-style clone) on the
//!    caller's own terminal, forward signals, and leave exactly as npm left.
//! 4. `logs_dir`, `log_identity`, `debug_log`, `follow`, `evidence`: find npm's own debug log,
//!    follow it while npm runs and hand each line to the diagnosis stage.
//! 5. `line`, `transcript`, `facts`, `shape`: read npm's lines (live log, saved output, CI
//!    logs) once, into typed facts.
//! 6. `env`, `npmrc`, `npm_flags`, `config`, `command`, `context`, `ci`, `product`, `url`: what npm reads,
//!    what was typed, where it runs (`js`: JavaScript's own `trim()`, `Number()`, `String()`,
//!    `JSON.parse()`, which npm's reading relies on).
//! 7. `causes` (one file per family, one entry per cause), `situation`, `diagnose`, `advice`:
//!    decide causes and the steps that fit.
//! 8. `redact`, `output`, `render`, `report`, `annotate`: say it, through one type that
//!    cannot leak a secret or carry a control character.
//! 9. `live` (the stage a run feeds), `offline` (`--npmx-diagnose`), `explain`
//!    (`--npmx-explain`), `doctor` (`--npmx-doctor`), `setup` (`--npmx-setup`).
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
mod follow;
mod js;
mod line;
mod live;
mod locate;
mod log_identity;
mod logs_dir;
mod mode;
mod notices;
mod npm_flags;
mod npmrc;
mod offline;
mod options;
mod output;
mod prefix;
mod product;
mod redact;
mod render;
mod report;
mod setup;
mod shape;
mod signals;
mod situation;
mod spawn;
mod time;
mod transcript;
mod url;

pub use crate::app::main;

#[doc(hidden)]
pub mod testing {
  //! Entry points for the integration tests and benchmarks. Not a stable API.
  pub use crate::follow::follow_for_test;

  /// The cause ids npmx finds in a saved npm output (`--npmx-diagnose`).
  pub fn diagnose_text(text: &str) -> Vec<&'static str> {
    crate::offline::diagnose_text(text, Default::default())
      .0
      .found
      .iter()
      .map(|d| d.cause.id)
      .collect()
  }

  /// npm's reading of its arguments (`tests/npm_flags.rs`): the options set,
  /// as (key, value) in order, and the positionals.
  pub fn npm_flags_parse(args: &[String]) -> (Vec<(String, String)>, Vec<String>) {
    let parsed = crate::npm_flags::parse(args);
    (parsed.options, parsed.positionals)
  }

  /// npmx's flag table in the form `tests/support/npm-flags.js --json`
  /// prints npm's: `{"flags": {key: shape}, "shorthands": {name: [args]}}`.
  pub fn npm_flags_table() -> serde_json::Value {
    use crate::npm_flags::{flag_names, flag_type, shorthand_expansion, shorthand_names};
    let flags: serde_json::Map<String, serde_json::Value> = flag_names()
      .filter_map(|key| Some((key, flag_type(key)?)))
      .map(|(key, t)| {
        let shape = serde_json::json!({
          "list": t.list, "boolean": t.boolean, "string": t.string,
          "number": t.number, "null": t.null, "array": t.array, "words": t.words,
        });
        (key.to_owned(), shape)
      })
      .collect();
    let shorthands: serde_json::Map<String, serde_json::Value> = shorthand_names()
      .filter_map(|name| Some((name.to_owned(), shorthand_expansion(name)?.into())))
      .collect();
    serde_json::json!({ "flags": flags, "shorthands": shorthands })
  }

  /// Every setting one `.npmrc` text makes, as (key, value, line), with
  /// these environment variables (`tests/npmrc_differential.rs`).
  pub fn npmrc_entries(text: &str, env_pairs: &[(&str, &str)]) -> Vec<(String, String, usize)> {
    let lookup = |name: &str| {
      env_pairs
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| (*v).to_owned())
    };
    crate::npmrc::parse_with(text, &lookup)
      .into_iter()
      .map(|e| (e.key, e.value, e.line))
      .collect()
  }

  /// Whether npm stops with an error on this `.npmrc` text.
  pub fn npmrc_npm_cannot_read(text: &str) -> bool {
    crate::npmrc::npm_cannot_read(text)
  }

  /// The value npm takes for `key` from one `.npmrc` text (the last setting
  /// of it), with these environment variables.
  pub fn npmrc_get(text: &str, env_pairs: &[(&str, &str)], key: &str) -> Option<String> {
    npmrc_entries(text, env_pairs)
      .into_iter()
      .rev()
      .find(|(k, _, _)| k == key)
      .map(|(_, v, _)| v)
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
