//! The command line and the project: commands npm cannot run as given.

use super::{Cause, sig};
use crate::{advice::Advice, facts::Hint};

pub(super) static CAUSES: &[&Cause] = &[&USAGE_ERROR];

pub(crate) static USAGE_ERROR: Cause = Cause {
  id: "usage-error",
  title: "npm could not run this command as given",
  explain: "The command line is incomplete or contradicts the project: most often `npm ci` without \
            a package-lock.json, or with one that no longer matches package.json.",
  tell: "EUSAGE.",
  signatures: &[sig(90).codes(&["EUSAGE"])],
  rules: &[],
  supersedes: &[],
  advise: usage_error,
};

fn usage_error(a: &mut Advice) {
  if a.s.has(Hint::NoLockfile) {
    a.run(
      "npm ci installs exactly what package-lock.json says, and there is none. Create it once, commit it, then npm ci works:",
      "npm install --package-lock-only && git add package-lock.json",
    );
  } else if a.s.has(Hint::LockfileOutOfSync) {
    a.run(
      "package.json and package-lock.json disagree (a dependency was changed without updating the lockfile). Update the lockfile and commit it:",
      "npm install && git add package-lock.json",
    );
  } else {
    let name = a
      .ctx
      .command
      .name
      .filter(|n| *n != "other")
      .unwrap_or("<command>");
    a.run(
      "npm printed the command's usage above: an argument is missing or wrong. See the command's help:",
      format!("npm help {name}"),
    );
  }
}
