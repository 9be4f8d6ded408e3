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
//! 5. `line`, `transcript`: read npm's lines (live log, saved output, CI logs) into facts.
//! 6. `env`, `npmrc`, `config`, `project`, `context`: what npm reads and what was typed.
//! 7. `catalogue`, `diagnose`, `advice`: decide causes and the steps that fit.
//! 8. `redact`, `render`, `report`, `ci`: say it, without leaking a secret.
//!
//! `main` ties them together; see docs/design.md for the decisions and why.

// Parts of the config and evidence API are used by the diagnosis stage only.
#![allow(dead_code)]

mod app;
mod child;
mod config;
mod debug_log;
mod depth;
mod env;
mod error;
mod evidence;
mod exit_status;
mod locate;
mod logs_dir;
mod mode;
mod npmrc;
mod options;
mod signals;
mod time;

pub use crate::app::main;

#[doc(hidden)]
pub mod testing {
  //! Entry points for the integration tests and benchmarks. Not a stable API.
  pub use crate::debug_log::follow_for_test;
}

pub(crate) use crate::{
  env::Env,
  error::Error,
  evidence::{Evidence, Observer},
  mode::Mode,
};
