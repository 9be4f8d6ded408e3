//! Which program npmx stands in for, decided by the name it was started as.
//!
//! A symlink or hard link named `npm` or `npx` pointing at npmx is the cheapest
//! shim (no extra process). Shell-script shims cannot set argv[0] portably, so
//! they say who they are in `NPMX_ARG0` instead; npmx removes that variable
//! before starting npm so it never reaches npm's scripts.

use std::{ffi::OsStr, path::Path};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
  /// Started as `npm`.
  Npm,
  /// Started as `npx`: runs the real `npx`.
  Npx,
  /// Started as `npmx` (or any other name): behaves like `npm`.
  Npmx,
}

/// The variable shell-script shims use to name the program they stand in for.
pub(crate) const ARG0_VAR: &str = "NPMX_ARG0";

impl Mode {
  pub(crate) fn detect(arg0: Option<&OsStr>, arg0_var: Option<&OsStr>) -> Mode {
    if let Some(name) = arg0_var {
      return Self::from_name(name);
    }
    arg0.map_or(Mode::Npmx, |arg0| {
      Self::from_name(Path::new(arg0).file_name().unwrap_or(arg0))
    })
  }

  fn from_name(name: &OsStr) -> Mode {
    let name = name.to_string_lossy();
    let name = name.strip_suffix(".exe").unwrap_or(&name);
    match name {
      "npm" => Mode::Npm,
      "npx" => Mode::Npx,
      _ => Mode::Npmx,
    }
  }

  /// The name of the real program this mode runs.
  pub(crate) fn program(self) -> &'static str {
    match self {
      Mode::Npx => "npx",
      Mode::Npm | Mode::Npmx => "npm",
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn argv0_picks_the_mode() {
    let detect = |s: &str| Mode::detect(Some(OsStr::new(s)), None);
    assert_eq!(detect("npm"), Mode::Npm);
    assert_eq!(detect("/usr/local/bin/npx"), Mode::Npx);
    assert_eq!(detect("npx.exe"), Mode::Npx);
    assert_eq!(detect("./target/debug/npmx"), Mode::Npmx);
    assert_eq!(detect("npm-something"), Mode::Npmx);
  }

  #[test]
  fn shim_variable_wins_over_argv0() {
    let mode = Mode::detect(Some(OsStr::new("npmx")), Some(OsStr::new("npx")));
    assert_eq!(mode, Mode::Npx);
    assert_eq!(mode.program(), "npx");
  }
}
