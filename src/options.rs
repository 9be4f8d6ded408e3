//! npmx's own options.
//!
//! Every one begins with `--npmx-` and is recognised only before npm's first
//! argument, so nothing npm could ever be given is taken away from it: `npm
//! run x -- --npmx-help` reaches npm untouched. No option parser library: the
//! rest of the command line must reach npm byte for byte (non-UTF-8 included),
//! and a parser would have to be taught to keep its hands off all of it.

use std::{ffi::OsString, path::PathBuf};

use crate::Error;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Action {
  /// Run npm with these arguments.
  Run(Vec<OsString>),
  Help,
  Version,
  /// Diagnose a saved npm output or log; `None` reads standard input.
  Diagnose(Option<PathBuf>),
  /// Explain a cause id or an npm error code.
  Explain(String),
  /// Show what npmx sees without running npm.
  Doctor,
  /// Put the shims first on PATH (or take them away): setup's own arguments.
  Setup(Vec<OsString>),
}

pub(crate) const HELP: &str = "\
npmx runs the real npm with your arguments, unchanged, and when npm fails tells you
what went wrong in your situation and what to type next.

Usage:
  npmx <npm arguments>          run npm (also as `npm` or `npx` through a shim or alias)
  npmx --npmx-diagnose [FILE]   diagnose saved npm output, a CI log or a debug log
                                (no FILE or `-`: standard input); exit 0 found, 1 not, 2 unreadable
  npmx --npmx-explain ID|CODE   explain a cause (`otp-required`) or an npm code (`E403`)
  npmx --npmx-doctor            show which npm runs and where its settings come from
  npmx --npmx-setup [--undo]    put npmx in front of npm: the npm and npx shims, and the
                                PATH line in bash's, zsh's and fish's startup files
  npmx --npmx-version           print npmx's version
  npmx --npmx-help              print this help

npmx options are recognised only before npm's arguments.

Environment:
  NPMX_NPM=PATH      the real npm to run (NPMX_NPX for npx)
  NPMX_DISABLE=1     replace npmx with npm at once and do nothing else
  NPMX_REPORT=PATH   write the diagnosis of this run as JSON to PATH
  NPMX_VERBOSE=1     show every piece of evidence behind a diagnosis
  NO_COLOR, FORCE_COLOR  turn colour in npmx's own messages off or on
";

pub(crate) fn parse(args: Vec<OsString>) -> Result<Action, Error> {
  let mut args = args.into_iter().peekable();
  let mut action = None;
  while let Some(arg) = args.peek() {
    let Some(option) = arg.to_str().and_then(|a| a.strip_prefix("--npmx-")) else {
      break;
    };
    let (name, inline) = match option.split_once('=') {
      Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
      None => (option.to_owned(), None),
    };
    args.next();
    let next = match name.as_str() {
      "help" => Action::Help,
      "version" => Action::Version,
      "doctor" => Action::Doctor,
      // Everything after it is setup's (`--undo`, `--shell=…`).
      "setup" => Action::Setup(args.by_ref().collect()),
      "diagnose" => {
        let file = inline.map(OsString::from).or_else(|| args.next());
        Action::Diagnose(file.filter(|f| f != "-").map(PathBuf::from))
      }
      "explain" => match inline.or_else(|| args.next().and_then(|a| a.into_string().ok())) {
        Some(topic) => Action::Explain(topic),
        None => {
          return Err(usage(
            "--npmx-explain needs a cause id or an npm error code",
          ));
        }
      },
      _ => return Err(usage(&format!("unknown option --npmx-{name}"))),
    };
    // The first action given wins; `--npmx-help` anywhere among them wins over all.
    if action.is_none() || next == Action::Help {
      action = Some(next);
    }
  }
  Ok(action.unwrap_or_else(|| Action::Run(args.collect())))
}

fn usage(message: &str) -> Error {
  Error::Usage {
    message: message.to_owned(),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn parse_strs(args: &[&str]) -> Result<Action, Error> {
    parse(args.iter().map(OsString::from).collect())
  }

  #[test]
  fn everything_after_the_first_npm_argument_goes_to_npm() {
    let action = parse_strs(&["run", "x", "--", "--npmx-help"]).unwrap();
    assert_eq!(
      action,
      Action::Run(vec![
        "run".into(),
        "x".into(),
        "--".into(),
        "--npmx-help".into()
      ])
    );
  }

  #[test]
  fn own_options_come_first() {
    assert_eq!(parse_strs(&["--npmx-version"]).unwrap(), Action::Version);
    assert_eq!(
      parse_strs(&["--npmx-diagnose"]).unwrap(),
      Action::Diagnose(None)
    );
    assert_eq!(
      parse_strs(&["--npmx-diagnose", "-"]).unwrap(),
      Action::Diagnose(None)
    );
    assert_eq!(
      parse_strs(&["--npmx-diagnose=ci.log"]).unwrap(),
      Action::Diagnose(Some("ci.log".into()))
    );
    assert_eq!(
      parse_strs(&["--npmx-explain", "E403"]).unwrap(),
      Action::Explain("E403".into())
    );
    assert_eq!(
      parse_strs(&["--npmx-version", "--npmx-help"]).unwrap(),
      Action::Help
    );
  }

  #[test]
  fn unknown_own_options_are_errors() {
    let err = parse_strs(&["--npmx-frobnicate", "install"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(parse_strs(&["--npmx-explain"]).is_err());
  }

  #[cfg(unix)]
  #[test]
  fn non_utf8_arguments_pass_through() {
    use std::os::unix::ffi::OsStringExt;
    let odd = OsString::from_vec(vec![b'a', 0xff, b'b']);
    let action = parse(vec![odd.clone(), "".into()]).unwrap();
    assert_eq!(action, Action::Run(vec![odd, "".into()]));
  }
}
