//! The nesting counter that ends loops.
//!
//! Identity checks in `locate` skip npmx itself and its shims, but they cannot
//! see through a user's own wrapper script named `npm` that calls `npmx` again.
//! Each npmx therefore starts npm with `NPMX_DEPTH` one higher than it got it,
//! and refuses to go on past `MAX`. It is a counter, not an "already wrapped"
//! flag: a legitimate nested npm (a lifecycle script running `npm run build`)
//! still goes through npmx, and no other program changes behaviour because of
//! it. Real nesting is a handful of levels; a loop reaches `MAX` in
//! milliseconds, one process per level, instead of forking without end.

use crate::Env;

pub(crate) const VAR: &str = "NPMX_DEPTH";
pub(crate) const MAX: u32 = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Depth(u32);

impl Depth {
  pub(crate) fn from_env(env: &Env) -> Depth {
    Depth(
      env
        .get(VAR)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0),
    )
  }

  pub(crate) fn check(self) -> Result<Depth, crate::Error> {
    if self.0 >= MAX {
      Err(crate::Error::Loop { depth: self.0 })
    } else {
      Ok(self)
    }
  }

  /// The value npm (and anything it starts) gets.
  pub(crate) fn child_value(self) -> String {
    (self.0 + 1).to_string()
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn counts_up_and_stops_at_max() {
    assert_eq!(Depth::from_env(&Env::from_pairs([])).child_value(), "1");
    assert_eq!(
      Depth::from_env(&Env::from_pairs([(VAR, "3")])).child_value(),
      "4"
    );
    assert_eq!(Depth::from_env(&Env::from_pairs([(VAR, "junk")])), Depth(0));
    assert!(
      Depth::from_env(&Env::from_pairs([(VAR, "23")]))
        .check()
        .is_ok()
    );
    assert!(
      Depth::from_env(&Env::from_pairs([(VAR, "24")]))
        .check()
        .is_err()
    );
  }
}
