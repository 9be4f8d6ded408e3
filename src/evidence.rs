//! The hand-off between running npm and understanding it.
//!
//! A live run delivers, in order: the arguments npm was started with, each line
//! of npm's debug log as npm writes it, possibly a note that npm's error block
//! is complete while npm is still running, and finally how npm exited. The
//! diagnosis stage is an [`Observer`] of that stream; the runner knows nothing
//! about what the lines mean, and the diagnosis knows nothing about processes.
//!
//! npm's stdout and stderr are not part of the stream: npm keeps them (see
//! docs/design.md). Its debug log holds everything its error block holds, is
//! written synchronously, and unlike stderr contains nothing that npm's
//! scripts printed.

use std::{ffi::OsString, process::ExitStatus};

#[derive(Debug)]
pub(crate) enum Evidence<'a> {
  /// npm was started with these arguments (npmx's own options removed).
  Started { argv: &'a [OsString] },
  /// One line of npm's debug log, without its line ending.
  LogLine(&'a str),
  /// npm wrote the end of its error block but has not exited a while later.
  Lingering,
  /// Time passed (every poll, about ten times a second) while npm runs.
  Tick,
  /// npm exited; no evidence follows.
  Exited(ExitStatus),
}

pub(crate) trait Observer: Send {
  fn observe(&mut self, evidence: Evidence<'_>);

  /// Whether the last line seen ends npm's error block (npm's "A complete log
  /// of this run can be found in" line), after which npm only exits.
  fn error_block_complete(&self) -> bool {
    false
  }

  /// Whether a successful exit must reach the observer even when npm was
  /// gone before its log could be looked for (a report to write).
  fn needs_every_exit(&self) -> bool {
    true
  }
}
