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
            reinstall node_modules; report it to npm/cli with the debug log. One is not fixed by any \
            release: 'Tracker \"idealTree\" already exists' from npm run in / (a Dockerfile with no \
            WORKDIR), whose fix is to run npm in the project's folder.",
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

/// Internal errors with a known cause and fix: the symptom (case-insensitive
/// text in npm's block), the Node.js versions it comes with (`None`: any),
/// what to do first, and where that was established.
struct KnownBug {
  text: &'static str,
  node: Option<&'static str>,
  fix: &'static str,
  command: &'static str,
  source: &'static str,
}

const KNOWN_BUGS: &[KnownBug] = &[
  KnownBug {
    text: "exit handler never called",
    node: Some("22.5.0"),
    fix: "Node.js 22.5.0 broke npm (\"Exit handler never called!\"); 22.5.1 fixed it. Switch Node.js:",
    command: "nvm install 22.5.1 && nvm use 22.5.1",
    source: "https://github.com/nodejs/node/issues/53902",
  },
  KnownBug {
    text: "reading 'edgesOut'",
    node: None,
    fix: "A known npm bug in resolving peer dependencies (reported with npm 8 to 10; gone for those reporters on npm 11). Upgrade npm:",
    command: "npm install -g npm@latest",
    source: "https://github.com/npm/cli/issues/6447",
  },
];

fn npm_bug(a: &mut Advice) {
  let text = a
    .s
    .block
    .map(|b| b.text.to_ascii_lowercase())
    .unwrap_or_default();
  if text.contains("tracker \"idealtree\" already exists") {
    if ran_in_filesystem_root(a) {
      return in_filesystem_root(a);
    }
    if a.s.facts.cwd.is_none() && a.ctx.config.is_none() {
      a.say(
        "If npm ran in / (the filesystem root, as in a Dockerfile with no WORKDIR), this is why, and \
         upgrading npm does not help: run it in the project's folder (`WORKDIR /app` in a Dockerfile).",
      );
    }
  }
  let node = a.s.facts.node_version.clone().unwrap_or_default();
  let known = KNOWN_BUGS
    .iter()
    .find(|k| text.contains(k.text) && k.node.is_none_or(|v| node.trim_start_matches('v') == v));
  if let Some(bug) = known {
    a.note(format!("known: {}", bug.source));
    a.run(bug.fix, bug.command);
  }
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
  a.say(
    "Still failing: npm's notes on these errors are at https://github.com/npm/cli/wiki (\"cb() never called? Exit \
     handler never called?\"); report it at https://github.com/npm/cli/issues with the debug log npm named above.",
  );
}

/// npm's cwd was `/`: from its debug log (`verbose cwd /`), or, live, the
/// directory npmx (and so npm) started in.
fn ran_in_filesystem_root(a: &Advice) -> bool {
  match (&a.s.facts.cwd, &a.ctx.config) {
    (Some(cwd), _) => cwd.trim() == "/",
    (None, Some(config)) => config.cwd == std::path::Path::new("/"),
    (None, None) => false,
  }
}

/// `Tracker "idealTree" already exists` in `/`: the root folder has no name,
/// so the project npm builds has none, and npm's progress tracker for it
/// takes the name of the whole tree's. Still so in npm 11.19.1.
fn in_filesystem_root(a: &mut Advice) {
  a.note("npm's working directory: / (the filesystem root)");
  let docker = a.s.facts.shape.container || a.ctx.devcontainer;
  a.say(format!(
    "npm ran in / (the filesystem root){}: that folder has no name, and npm{} fails on its own \
     progress tracker there (\"Tracker \"idealTree\" already exists\"). Upgrading npm does not help; \
     running it in a project folder does.",
    if docker {
      ", as in a Dockerfile with no WORKDIR"
    } else {
      ""
    },
    a.s
      .facts
      .npm_version
      .as_deref()
      .map(|v| format!(" {v}"))
      .unwrap_or_default(),
  ));
  a.run(
    "In a Dockerfile, give the project a folder before installing (and COPY package.json into it):",
    "WORKDIR /app",
  );
  a.run(
    "In a shell or a CI step, run npm in the project's folder (the one with package.json):",
    format!("cd <project folder> && {}", a.s.command_line()),
  );
}

#[cfg(test)]
mod tests {
  use crate::{offline, redact::Redactor};

  fn first_command(text: &str) -> String {
    let found = offline::diagnose_text(text, Redactor::default()).0.found;
    let d = found.first().expect("a diagnosis");
    assert_eq!(d.cause.id, "npm-bug");
    d.steps[0].command.clone().unwrap_or_default()
  }

  #[test]
  fn a_known_bug_gets_its_own_fix_first() {
    let on_22_5_0 = "0 verbose cli /usr/bin/node /usr/bin/npm\n2 info using node@v22.5.0\n9 error Exit handler never called!\n";
    assert_eq!(
      first_command(on_22_5_0),
      "nvm install 22.5.1 && nvm use 22.5.1"
    );
    let elsewhere = "2 info using node@v20.11.0\n9 error Exit handler never called!\n";
    assert_eq!(first_command(elsewhere), "npm install -g npm@latest");
  }
}
