//! The project npm runs in: a package.json that is missing or not JSON, a
//! script it does not have, a command that does not work in a workspace.

use std::path::{Path, PathBuf};

use super::{Cause, sig};
use crate::{advice::Advice, advice::quote_path, ci::Ci};

pub(super) static CAUSES: &[&Cause] = &[
  &NO_PACKAGE_JSON,
  &PACKAGE_JSON_INVALID,
  &MISSING_SCRIPT,
  &WORKSPACES_UNSUPPORTED,
];

pub(crate) static NO_PACKAGE_JSON: Cause = Cause {
  id: "no-package-json",
  title: "There is no package.json where npm ran",
  explain: "npm looks for package.json in the directory it runs in (or --prefix). Either the command \
            ran in the wrong directory (a CI step without its working-directory, a shell one level \
            up), or the project has not been created (`npm init`).",
  tell: "ENOENT whose path is a package.json.",
  signatures: &[sig(96)
    .codes(&["ENOENT"])
    .path(r"(?:^|[/\\])package\.json$")],
  rules: &[],
  supersedes: &[],
  advise: no_package_json,
};

fn no_package_json(a: &mut Advice) {
  let path = a.s.block.and_then(|b| b.path.clone()).unwrap_or_default();
  let dir = Path::new(&path)
    .parent()
    .map(|d| d.display().to_string())
    .unwrap_or_else(|| ".".into());
  // Look near it (this machine only): the person is usually one level off.
  let nearest = (a.ctx.env.is_some())
    .then(|| nearest_package(Path::new(&dir)))
    .flatten();
  match nearest {
    Some(found) => {
      let found = found.display().to_string();
      a.note(format!("the nearest package.json is in {found}"));
      a.run(
        format!(
          "npm ran in {dir}, which has no package.json; the project is in {found}. Run it there:"
        ),
        format!("cd {} && {}", quote_path(&found), a.s.command_line()),
      );
    }
    None => a.run(
      format!("npm ran in {dir}, which has no package.json. Find the project's directory:"),
      "find . -maxdepth 3 -name package.json -not -path '*/node_modules/*'",
    ),
  }
  match a.s.ci() {
    Some(Ci::GitHub) => a.say(
      "In the workflow, set the step's `working-directory:` (or `defaults.run.working-directory`) to the project's \
       directory; a checkout into a subfolder (`actions/checkout` with `path:`) moves it too.",
    ),
    Some(ci) => a.say(format!(
      "In {}, run npm in the project's directory (cd into it in the job's script), or pass --prefix <dir>.",
      ci.name()
    )),
    None => a.say("Or, to start a new project here: `npm init -y`."),
  }
}

/// The package.json nearest `dir`: in a parent, else in a child directory.
fn nearest_package(dir: &Path) -> Option<PathBuf> {
  for parent in dir.ancestors().skip(1).take(6) {
    if parent.join("package.json").is_file() {
      return Some(parent.to_owned());
    }
  }
  // Children: a bounded look, never into node_modules.
  let entries = std::fs::read_dir(dir).ok()?;
  entries
    .take(200)
    .flatten()
    .map(|e| e.path())
    .filter(|p| p.file_name().is_some_and(|n| n != "node_modules"))
    .find(|p| p.join("package.json").is_file())
}

pub(crate) static PACKAGE_JSON_INVALID: Cause = Cause {
  id: "package-json-invalid",
  title: "package.json is not valid JSON",
  explain: "npm could not parse the project's package.json (not the registry's answer): a trailing \
            comma, a comment, merge-conflict markers left after a git merge, or an HTML page saved \
            in its place. JSON allows no comments and no trailing commas.",
  tell: "EJSONPARSE whose path is a package.json.",
  signatures: &[
    sig(97).codes(&["EJSONPARSE"]).path(r"package\.json$"),
    // npm 11 prints no path line for it.
    sig(97)
      .codes(&["EJSONPARSE"])
      .text(r"Invalid package\.json|package\.json must be actual JSON"),
  ],
  rules: &[],
  supersedes: &[&super::network::REGISTRY_MISCONFIGURED],
  advise: package_json_invalid,
};

fn package_json_invalid(a: &mut Advice) {
  let path = a
    .s
    .block
    .and_then(|b| b.path.clone())
    .unwrap_or_else(|| "package.json".into());
  let position = a.s.block.and_then(|b| b.details.json_position.clone());
  if let Some(position) = &position {
    a.note(format!("the parser stopped {position}"));
  }
  // On this machine, look at the file itself for the two common culprits.
  let text = a
    .ctx
    .env
    .as_ref()
    .and_then(|_| std::fs::read_to_string(&path).ok());
  let conflict = text.as_deref().and_then(|t| {
    t.lines()
      .position(|l| l.starts_with("<<<<<<<"))
      .map(|i| i + 1)
  });
  let html = text
    .as_deref()
    .is_some_and(|t| t.trim_start().starts_with('<'));
  let in_text = a.s.block.is_some_and(|b| b.text.contains("<<<<<<<"));
  if conflict.is_some() || in_text {
    let at = conflict.map(|l| format!(" (line {l})")).unwrap_or_default();
    a.run(
      format!("{path} still has git merge-conflict markers{at}: resolve the conflict, keeping one side. See them:"),
      format!("grep -n -E '^(<<<<<<<|=======|>>>>>>>)' {}", quote_path(&path)),
    );
  } else if html {
    a.say(format!(
      "{path} holds an HTML page, not JSON (a download saved from a web page?): restore it from version control (`git checkout -- {path}`)."
    ));
  } else {
    let at = position.map(|p| format!(" ({p})")).unwrap_or_default();
    a.run(
      format!(
        "{path} is not valid JSON{at}: often a trailing comma or a comment, neither of which JSON allows. Node.js shows the spot:"
      ),
      format!(
        "node -e \"JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'))\" {}",
        quote_path(&path)
      ),
    );
  }
  a.run(
    "If it was fine in the last commit, see what changed:",
    format!("git diff -- {}", quote_path(&path)),
  );
}

pub(crate) static MISSING_SCRIPT: Cause = Cause {
  id: "missing-script",
  title: "package.json has no script by that name",
  explain: "`npm run <name>` (and `npm test`, `npm start`) runs a script from package.json's \
            `scripts`, and this one is not there: a typo, a script that lives in another package of \
            a monorepo, or npm running in another directory than meant.",
  tell: "'Missing script: \"<name>\"' (npm 7+), 'missing script: <name>' (npm 6).",
  signatures: &[sig(95).text(r#"(?:Missing script: "|\bmissing script: \S)"#)],
  rules: &[],
  supersedes: &[],
  advise: missing_script,
};

fn missing_script(a: &mut Advice) {
  let wanted = a
    .s
    .block
    .and_then(|b| b.details.missing_script.clone())
    .unwrap_or_else(|| "<name>".into());
  let scripts = a
    .ctx
    .package
    .as_ref()
    .map(|p| p.scripts.clone())
    .unwrap_or_default();
  if scripts.is_empty() {
    a.run(
      format!("There is no script \"{wanted}\" in this package.json. See the scripts it has:"),
      "npm run",
    );
    return;
  }
  if let Some(closest) = closest(&wanted, &scripts) {
    a.run(
      format!("There is no script \"{wanted}\"; the closest is \"{closest}\":"),
      format!("npm run {closest}"),
    );
  }
  let dir = a
    .ctx
    .package
    .as_ref()
    .map(|p| p.dir.display().to_string())
    .unwrap_or_default();
  a.note(format!(
    "{dir}/package.json has scripts: {}",
    scripts.join(", ")
  ));
  a.say(format!(
    "The scripts in {dir}/package.json are: {}. If \"{wanted}\" is another package's (a monorepo), run it there or with `-w <package>`.",
    scripts.join(", ")
  ));
}

/// The script name nearest `wanted` by edit distance, if near enough.
fn closest<'a>(wanted: &str, names: &'a [String]) -> Option<&'a str> {
  names
    .iter()
    .map(|n| (distance(wanted, n), n.as_str()))
    .filter(|(d, n)| *d <= 2.max(n.len() / 3))
    .min_by_key(|(d, _)| *d)
    .map(|(_, n)| n)
}

fn distance(a: &str, b: &str) -> usize {
  let b: Vec<char> = b.chars().collect();
  let mut row: Vec<usize> = (0..=b.len()).collect();
  for (i, ca) in a.chars().enumerate() {
    let mut prev = row[0];
    row[0] = i + 1;
    for (j, cb) in b.iter().enumerate() {
      let next = (prev + usize::from(ca != *cb))
        .min(row[j] + 1)
        .min(row[j + 1] + 1);
      prev = row[j + 1];
      row[j + 1] = next;
    }
  }
  row[b.len()]
}

pub(crate) static WORKSPACES_UNSUPPORTED: Cause = Cause {
  id: "workspaces-unsupported",
  title: "This command does not work with workspaces",
  explain: "Some npm commands (link, shrinkwrap, and others) do not support workspaces. npm \
            treated this run as a workspace run — because of -w/--workspaces, or because it ran \
            inside a workspace folder. Run it with --workspaces=false, or from the root of the \
            project.",
  tell: "ENOWORKSPACES, 'This command does not support workspaces'.",
  signatures: &[
    sig(96).codes(&["ENOWORKSPACES"]),
    sig(90).text(r"does not support workspaces"),
  ],
  rules: &[],
  supersedes: &[],
  advise: workspaces_unsupported,
};

fn workspaces_unsupported(a: &mut Advice) {
  let (what, command) = match a.ctx.command.name {
    Some(name) if !a.ctx.command.args.is_empty() => (
      format!("npm {name} does not support workspaces"),
      a.s.command_with("--workspaces=false"),
    ),
    // A saved log that does not say which command.
    _ => (
      "This npm command does not support workspaces".to_owned(),
      "npm <command> --workspaces=false".to_owned(),
    ),
  };
  a.run(
    format!(
      "{what}, and npm ran it as a workspace command (-w, or from inside a workspace folder). Run it without, or \
       from the project's root:"
    ),
    command,
  );
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn the_closest_script() {
    let names: Vec<String> = ["build", "test", "start"].map(String::from).to_vec();
    assert_eq!(closest("biuld", &names), Some("build"));
    assert_eq!(closest("deploy", &names), None);
  }
}
