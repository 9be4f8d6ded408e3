//! A snapshot of the environment, so that everything that reads it can be
//! tested with an environment of the test's choosing.

use std::{
  collections::BTreeMap,
  ffi::{OsStr, OsString},
  path::PathBuf,
};

#[derive(Clone, Debug, Default)]
pub(crate) struct Env {
  vars: BTreeMap<OsString, OsString>,
}

impl Env {
  pub(crate) fn current() -> Env {
    Env {
      vars: std::env::vars_os().collect(),
    }
  }

  #[cfg(test)]
  pub(crate) fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Env {
    Env {
      vars: pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect(),
    }
  }

  pub(crate) fn get_os(&self, name: &str) -> Option<&OsStr> {
    self.vars.get(OsStr::new(name)).map(OsString::as_os_str)
  }

  /// The value as text; `None` when unset or not valid UTF-8.
  pub(crate) fn get(&self, name: &str) -> Option<&str> {
    self.get_os(name).and_then(OsStr::to_str)
  }

  /// Set to something other than the empty string.
  pub(crate) fn is_set(&self, name: &str) -> bool {
    self.get_os(name).is_some_and(|v| !v.is_empty())
  }

  /// Every variable whose name starts with `prefix`, ignoring ASCII case, as
  /// (full name, value): npm reads `npm_config_*` and `NPM_CONFIG_*` alike.
  pub(crate) fn with_prefix_ignore_case<'a>(
    &'a self,
    prefix: &'a str,
  ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    self.vars.iter().filter_map(move |(k, v)| {
      let k = k.to_str()?;
      let head = k.get(..prefix.len())?;
      head
        .eq_ignore_ascii_case(prefix)
        .then_some((k, v.to_str()?))
    })
  }

  /// The home directory as npm finds it (Node.js's `os.homedir()`): HOME,
  /// else the user database's entry for this user.
  pub(crate) fn home(&self) -> Option<PathBuf> {
    self
      .get_os("HOME")
      .filter(|h| !h.is_empty())
      .map(PathBuf::from)
      .or_else(passwd_home)
  }
}

/// This user's home directory from the user database. Read from
/// /etc/passwd rather than with getpwuid_r: a static build cannot load
/// glibc's NSS modules, and the files database is what containers and CI
/// runners (the places HOME goes missing) use.
fn passwd_home() -> Option<PathBuf> {
  // SAFETY: getuid has no preconditions.
  let uid = unsafe { libc::getuid() }.to_string();
  let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
  passwd.lines().find_map(|line| {
    let fields: Vec<&str> = line.split(':').collect();
    (fields.len() >= 7 && fields[2] == uid && !fields[5].is_empty())
      .then(|| PathBuf::from(fields[5]))
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn without_home_the_user_database_says() {
    let env = Env::from_pairs([("HOME", "")]);
    assert_eq!(env.home(), passwd_home());
    assert!(passwd_home().is_some());
    let env = Env::from_pairs([("HOME", "/h")]);
    assert_eq!(env.home(), Some(PathBuf::from("/h")));
  }
}
