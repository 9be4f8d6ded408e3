//! The command line, and npm itself: commands npm cannot run as given, and
//! npm's own internal errors.

use super::{Cause, sig};
use crate::{advice::Advice, facts::Hint};

pub(super) static CAUSES: &[&Cause] = &[&USAGE_ERROR, &NPM_BUG];

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

pub(crate) static NPM_BUG: Cause = Cause {
  id: "npm-bug",
  title: "npm hit an internal error",
  explain: "npm itself failed, not the project or the registry: an internal error such as 'cb() \
            never called', 'Exit handler never called' or 'Cannot read properties of null'. Many \
            were fixed in later releases: upgrade npm first. If it persists, verify the cache and \
            reinstall node_modules; report it to npm/cli with the debug log.",
  tell: "'cb() never called', 'Exit handler never called', 'Cannot read properties of null \
         (reading …)', 'Tracker … already exists'.",
  signatures: &[sig(90).text(
    r#"cb\(\) never called|Exit handler never called|Cannot read propert(?:y|ies) of (?:null|undefined)|Tracker "[^"]*" already exists"#,
  )
  .seen_with(&["ERR_INVALID_ARG_TYPE"])],
  rules: &[],
  supersedes: &[],
  advise: npm_bug,
};

fn npm_bug(a: &mut Advice) {
  let version = a.s.facts.npm_version.clone();
  a.run(
    format!(
      "This is an error inside npm{}, not in your project. Upgrade npm first: many such errors were fixed in later releases:",
      version.as_deref().map(|v| format!(" {v}")).unwrap_or_default()
    ),
    "npm install -g npm@latest",
  );
  a.run(
    "If it happens again, check the cache and start from a clean node_modules:",
    "npm cache verify && rm -rf node_modules && npm install",
  );
  a.say("Still failing: report it at https://github.com/npm/cli/issues with the debug log npm named above.");
}
