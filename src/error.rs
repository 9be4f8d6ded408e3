//! npmx's one error type: the few ways npmx itself can fail before npm runs.
//!
//! Everything npmx does *after* npm has started (reading its log, diagnosing,
//! printing advice) fails open instead: it never turns into one of these.

use std::{fmt, io, path::PathBuf};

#[derive(Debug)]
pub(crate) enum Error {
  /// No real npm anywhere we looked.
  NotFound {
    program: &'static str,
    searched: String,
    skipped: Vec<PathBuf>,
  },
  /// `NPMX_NPM` (or `NPMX_NPX`) names a file that is not there or not runnable.
  BadOverride { var: &'static str, path: PathBuf },
  /// npm calls npmx calls npm … : a wrapper on PATH leads back to npmx.
  Loop { depth: u32 },
  /// npm was found but could not be started.
  Spawn { path: PathBuf, source: io::Error },
  /// An `--npmx-*` option npmx does not know, or one missing its value.
  Usage { message: String },
  /// An offline mode could not read its input.
  Input { what: String, source: io::Error },
}

impl Error {
  /// The exit code, following the shell: 127 not found, 126 cannot run, 2 usage.
  pub(crate) fn exit_code(&self) -> i32 {
    match self {
      Error::NotFound { .. } | Error::BadOverride { .. } => 127,
      Error::Spawn { source, .. } if source.kind() == io::ErrorKind::NotFound => 127,
      Error::Loop { .. } | Error::Spawn { .. } => 126,
      Error::Usage { .. } | Error::Input { .. } => 2,
    }
  }
}

impl fmt::Display for Error {
  fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
    match self {
      Error::NotFound {
        program,
        searched,
        skipped,
      } => {
        write!(
          f,
          "cannot find the real {program}: searched PATH ({searched})"
        )?;
        if !skipped.is_empty() {
          let skipped: Vec<_> = skipped.iter().map(|p| p.display().to_string()).collect();
          write!(f, " and skipped npmx itself ({})", skipped.join(", "))?;
        }
        write!(
          f,
          "; install Node.js, which includes {program}, or set NPMX_NPM to the real npm's path"
        )
      }
      Error::BadOverride { var, path } => {
        write!(
          f,
          "{var} is set to {}, which is not an executable file",
          path.display()
        )
      }
      Error::Loop { depth } => write!(
        f,
        "npm leads back to npmx ({depth} levels deep): something named npm on PATH calls npmx \
         again; set NPMX_NPM to the real npm's path"
      ),
      Error::Spawn { path, source } => write!(f, "cannot run {}: {source}", path.display()),
      Error::Usage { message } => write!(f, "{message} (see `npmx --npmx-help`)"),
      Error::Input { what, source } => write!(f, "cannot read {what}: {source}"),
    }
  }
}
