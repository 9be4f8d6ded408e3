//! The command the person typed: which npm subcommand it was, and how to
//! print it back to them, quoted for their shell, with one change.

use std::ffi::OsString;

use crate::npm_flags::{self, Parsed};

#[derive(Clone, Debug, Default)]
pub(crate) struct Command {
  /// What they typed to run it: `npm`, `npx` or `npmx`.
  pub(crate) program: String,
  pub(crate) args: Vec<String>,
  /// npm's canonical name for the subcommand (`i` → `install`).
  pub(crate) name: Option<&'static str>,
  /// The arguments as npm reads them (options and positionals).
  parsed: Parsed,
}

/// npm's aliases, as in npm 11's `cmd-list.js`, for the commands advice cares about.
const ALIASES: &[(&str, &[&str])] = &[
  (
    "install",
    &[
      "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add",
    ],
  ),
  (
    "ci",
    &["clean-install", "ic", "install-clean", "isntall-clean"],
  ),
  ("install-test", &["it"]),
  ("publish", &[]),
  ("unpublish", &[]),
  ("login", &["adduser", "add-user", "logon"]),
  ("logout", &[]),
  ("whoami", &[]),
  ("access", &[]),
  ("owner", &["author"]),
  ("dist-tag", &["dist-tags"]),
  ("exec", &["x"]),
  ("run", &["run-script", "rum", "urn"]),
  ("test", &["tst", "t"]),
  ("update", &["up", "upgrade", "udpate"]),
  ("uninstall", &["un", "unlink", "remove", "rm", "r"]),
  ("view", &["v", "info", "show"]),
  ("pack", &[]),
  ("audit", &[]),
  ("outdated", &[]),
  ("config", &["c"]),
  ("token", &[]),
  ("trust", &[]),
  ("stage", &[]),
  ("ping", &[]),
  ("doctor", &[]),
];

impl Command {
  pub(crate) fn new(program: &str, args: &[OsString]) -> Command {
    // Node.js decodes argv as UTF-8 the same lossy way.
    let args: Vec<String> = args
      .iter()
      .map(|a| a.to_string_lossy().into_owned())
      .collect();
    let parsed = npm_flags::parse(&args);
    let name = if program == "npx" {
      Some("exec")
    } else {
      parsed
        .positionals
        .first()
        .map(|word| canonical(word).unwrap_or("other"))
    };
    Command {
      program: program.to_owned(),
      args,
      name,
      parsed,
    }
  }

  /// A command that writes to the registry.
  pub(crate) fn publishes(&self) -> bool {
    matches!(
      self.name,
      Some(
        "publish" | "unpublish" | "dist-tag" | "owner" | "access" | "deprecate" | "stage" | "trust"
      )
    )
  }

  /// A global install or removal: `-g`, `--global`, `--location=global`.
  pub(crate) fn global(&self) -> bool {
    self.flag("--global") == Some("true") || self.flag("--location") == Some("global")
  }

  /// The value npm takes for a flag (`flag("--tag")` after `--tag beta` or
  /// `--tag=beta`; `flag("--loglevel")` after `-dd` is `verbose`), if given.
  pub(crate) fn flag(&self, name: &str) -> Option<&str> {
    self.parsed.get(name.trim_start_matches('-'))
  }

  /// The command line, quoted for a POSIX shell.
  pub(crate) fn line(&self) -> String {
    std::iter::once(self.program.as_str())
      .chain(self.args.iter().map(String::as_str))
      .map(quote)
      .collect::<Vec<_>>()
      .join(" ")
  }

  /// The command line with each of `flags` (`--otp=<code>`) set: an existing
  /// `--otp`/`--otp=…` is replaced, otherwise it goes before any `--`.
  pub(crate) fn with_all(&self, flags: &[&str]) -> String {
    let mut command = self.clone();
    for flag in flags {
      command.args = command.with_args(flag);
    }
    command.line_keeping_placeholders()
  }

  /// Quoted for the shell, except `<placeholders>` the person fills in.
  fn line_keeping_placeholders(&self) -> String {
    let quoted = self
      .args
      .iter()
      .map(|a| if a.contains('<') { a.clone() } else { quote(a) });
    std::iter::once(quote(&self.program))
      .chain(quoted)
      .collect::<Vec<_>>()
      .join(" ")
  }

  fn with_args(&self, flag: &str) -> Vec<String> {
    let name = flag.split('=').next().unwrap_or(flag);
    let mut args: Vec<String> = Vec::with_capacity(self.args.len() + 1);
    let mut iter = self.args.iter().peekable();
    let mut placed = false;
    while let Some(arg) = iter.next() {
      if !placed && arg == "--" {
        args.push(flag.to_owned());
        placed = true;
      }
      if !placed && (arg == name || arg.starts_with(&format!("{name}="))) {
        if arg == name && !flag.contains('=') {
          // `--access public` style: keep our value, drop theirs.
        } else if arg == name {
          iter.next();
        }
        args.push(flag.to_owned());
        placed = true;
        continue;
      }
      args.push(arg.clone());
    }
    if !placed {
      args.push(flag.to_owned());
    }
    args
  }
}

fn canonical(word: &str) -> Option<&'static str> {
  ALIASES
    .iter()
    .find(|(name, aliases)| *name == word || aliases.contains(&word))
    .map(|(name, _)| *name)
}

/// POSIX shell quoting: bare when safe, otherwise single quotes.
pub(crate) fn quote(arg: &str) -> String {
  let safe = !arg.is_empty()
    && arg
      .bytes()
      .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
  if safe {
    arg.to_owned()
  } else {
    format!("'{}'", arg.replace('\'', r"'\''"))
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn cmd(program: &str, args: &[&str]) -> Command {
    Command::new(
      program,
      &args.iter().map(OsString::from).collect::<Vec<_>>(),
    )
  }

  #[test]
  fn finds_the_subcommand_past_flags_and_aliases() {
    assert_eq!(cmd("npm", &["i", "lodash"]).name, Some("install"));
    assert_eq!(
      cmd("npm", &["--registry", "https://r/", "clean-install"]).name,
      Some("ci")
    );
    assert_eq!(cmd("npm", &["-w", "pkg", "publish"]).name, Some("publish"));
    assert_eq!(cmd("npx", &["cowsay"]).name, Some("exec"));
    assert_eq!(cmd("npm", &["frobnicate"]).name, Some("other"));
    assert_eq!(cmd("npm", &[]).name, None);
    // Flags npm reads as taking a value, whichever table once missed them.
    assert_eq!(
      cmd("npm", &["--noproxy", "x", "publish"]).name,
      Some("publish")
    );
    assert_eq!(cmd("npm", &["--ca", "x", "install"]).name, Some("install"));
    assert_eq!(
      cmd("npm", &["-dd", "--reg", "x", "i"]).name,
      Some("install")
    );
    // `--` ends the options, not the search for the command (as in npm).
    assert_eq!(cmd("npm", &["--", "publish"]).name, Some("publish"));
    // A Boolean never takes a word: npm runs the command `yes`.
    assert_eq!(cmd("npm", &["--global=yes", "install"]).name, Some("other"));
  }

  #[test]
  fn flags_as_npm_reads_them() {
    let c = cmd("npm", &["publish", "-dd", "--reg", "https://r/"]);
    assert_eq!(c.flag("--loglevel"), Some("verbose"));
    assert_eq!(c.flag("--registry"), Some("https://r/"));
    assert_eq!(cmd("npm", &["-s", "ci"]).flag("--loglevel"), Some("silent"));
    assert_eq!(cmd("npm", &["-g", "i", "x"]).flag("--global"), Some("true"));
    // The last one wins, and nothing after `--` counts.
    let c = cmd(
      "npm",
      &["--tag=a", "--tag", "b", "run", "x", "--", "--tag=c"],
    );
    assert_eq!(c.flag("--tag"), Some("b"));
  }

  #[test]
  fn arguments_that_are_not_utf8_do_not_panic() {
    use std::os::unix::ffi::OsStringExt;
    let args = [
      OsString::from("--tag"),
      OsString::from_vec(vec![0xff, 0xfe]),
      OsString::from("publish"),
    ];
    let c = Command::new("npm", &args);
    assert_eq!(c.name, Some("publish"));
    assert_eq!(c.flag("--tag"), Some("\u{fffd}\u{fffd}"));
  }

  #[test]
  fn prints_the_person_s_command_with_one_change() {
    let c = cmd("npm", &["publish", "--tag", "beta"]);
    assert_eq!(
      c.with_all(&["--otp=<code>"]),
      "npm publish --tag beta --otp=<code>"
    );
    let c = cmd("npm", &["publish", "--otp=123456", "--tag", "beta"]);
    assert_eq!(
      c.with_all(&["--otp=<code>"]),
      "npm publish --otp=<code> --tag beta"
    );
    let c = cmd("npm", &["publish", "--otp", "123456"]);
    assert_eq!(c.with_all(&["--otp=<code>"]), "npm publish --otp=<code>");
    let c = cmd("npm", &["run", "release", "--", "--dry"]);
    assert_eq!(
      c.with_all(&["--otp=<code>"]),
      "npm run release --otp=<code> -- --dry"
    );
    let c = cmd("npm", &["publish", "./my dir"]);
    assert_eq!(
      c.with_all(&["--access=public"]),
      "npm publish './my dir' --access=public"
    );
    assert_eq!(c.flag("--tag"), None);
    let c = cmd("npm", &["install", "--fetch-retries", "0", "x"]);
    assert_eq!(
      c.with_all(&["--fetch-timeout=120000", "--fetch-retries=4"]),
      "npm install --fetch-retries=4 x --fetch-timeout=120000"
    );
    assert_eq!(
      cmd("npm", &["publish", "--tag=next"]).flag("--tag"),
      Some("next")
    );
  }

  #[test]
  fn quoting() {
    assert_eq!(quote(""), "''");
    assert_eq!(quote("it's"), r"'it'\''s'");
    assert_eq!(quote("@acme/pkg@1.0.0"), "@acme/pkg@1.0.0");
    assert_eq!(quote("a b"), "'a b'");
  }
}
