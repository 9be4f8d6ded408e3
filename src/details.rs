//! The particulars npm's sentences name — which registry to log in to, the
//! version asked for, the address refused, the peer dependency in conflict —
//! and the phrases that change what to do ([`Hint`]). Read once per block by
//! `facts`; advice reads these fields and never npm's text.

use std::sync::{LazyLock, Mutex, PoisonError};

use regex::{Regex, RegexBuilder};

/// Particulars named in npm's (or the registry's) sentences.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Details {
  /// "This command requires you to be logged in to <registry>".
  pub(crate) login_registry: Option<String>,
  /// The web-login URL npm offered for a one-time password.
  pub(crate) web_auth_url: Option<String>,
  /// "No matching version found for <name>@<range>".
  pub(crate) wanted: Option<(String, String)>,
  /// "You cannot publish over the previously published versions: <version>".
  pub(crate) published_version: Option<String>,
  /// npmjs.com's "try renaming your package to '<name>'".
  pub(crate) suggested_name: Option<String>,
  /// Verdaccio's "user <name> is not allowed to publish".
  pub(crate) denied_user: Option<String>,
  /// Provenance: the repository URL the registry expected.
  pub(crate) expected_repository: Option<String>,
  /// "connecting to proxy `<url>`".
  pub(crate) proxy: Option<String>,
  /// The address a connection was refused at (`connect ECONNREFUSED <host:port>`).
  pub(crate) refused: Option<String>,
  /// The host name that did not resolve (`getaddrinfo ENOTFOUND <host>`).
  pub(crate) unresolved: Option<String>,
  /// ERESOLVE: who wants which peer, and what the tree has.
  pub(crate) peer: Option<PeerConflict>,
  /// EBADENGINE / ENOTSUP: `(package, required, actual)`, the JSON as npm printed it.
  pub(crate) engine: Option<(String, String, String)>,
  /// EBADPLATFORM: `(package, wanted, current)`.
  pub(crate) platform: Option<(String, String, String)>,
  /// EINTEGRITY: `(wanted, got)`.
  pub(crate) integrity: Option<(String, String)>,
  /// "Missing script: "<name>"".
  pub(crate) missing_script: Option<String>,
  /// The repository a git command was run on.
  pub(crate) git_url: Option<String>,
  /// "Invalid tag name "<spec>"" / "Invalid package name "<name>"".
  pub(crate) invalid_spec: Option<String>,
  /// The package an invalid tag or range was for: `… of package "<name>@<tag>"`.
  pub(crate) invalid_spec_package: Option<String>,
  /// Where a JSON parser stopped: "at position 120 (line 7 column 3)".
  pub(crate) json_position: Option<String>,
  pub(crate) hints: Vec<Hint>,
}

/// npm's ERESOLVE explanation: `dependent` asks for `peer@range` as a peer
/// dependency, and the tree already has `found`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PeerConflict {
  /// `some-lib@1.2.3`.
  pub(crate) dependent: String,
  pub(crate) peer: String,
  pub(crate) range: String,
  /// `react@18.2.0`.
  pub(crate) found: Option<String>,
}

impl Details {
  /// The port of the refused address.
  pub(crate) fn refused_port(&self) -> Option<u16> {
    self.refused.as_deref()?.rsplit(':').next()?.parse().ok()
  }
}

/// A phrase in a block that changes what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hint {
  /// "Incorrect or missing password": the registry may have had no credential at all.
  IncorrectPassword,
  /// Two-factor authentication, bypass-2FA tokens, automation tokens.
  TwoFactor,
  /// An https URL on a plain-HTTP port, or the reverse.
  SchemeMismatch,
  /// The resolver did not answer (EAI_AGAIN), rather than "no such name".
  DnsTryAgain,
  /// An IPv6 address is where the connection failed.
  Ipv6,
  /// The server sent its certificate without the intermediate.
  LeafOnly,
  /// `npm ci` without a lockfile.
  NoLockfile,
  /// `npm ci` with a lockfile out of step with package.json.
  LockfileOutOfSync,
  /// The block speaks of publishing.
  AboutPublish,
}

/// Phrases (case-insensitive, on the block's joined text) and what they mean.
const HINTS: &[(Hint, &str)] = &[
  (Hint::IncorrectPassword, r"incorrect or missing password"),
  (Hint::TwoFactor, r"bypass 2fa|two-factor|automation token"),
  (Hint::SchemeMismatch, r"wrong version number|packet length"),
  (Hint::DnsTryAgain, r"EAI_AGAIN"),
  (
    Hint::Ipv6,
    r"connect ETIMEDOUT \[|\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){3,}",
  ),
  (Hint::LeafOnly, r"unable to verify the first certificate"),
  (
    Hint::NoLockfile,
    r"can only install with an existing package-lock\.json|requires an existing package-lock",
  ),
  (Hint::LockfileOutOfSync, r"in sync"),
  (Hint::AboutPublish, r"publish"),
];

fn hints(text: &str) -> Vec<Hint> {
  static COMPILED: LazyLock<Vec<(Hint, Regex)>> = LazyLock::new(|| {
    HINTS
      .iter()
      .map(|(hint, p)| {
        let re = RegexBuilder::new(p)
          .case_insensitive(true)
          .build()
          .expect("hint regex");
        (*hint, re)
      })
      .collect()
  });
  COMPILED
    .iter()
    .filter(|(_, re)| re.is_match(text))
    .map(|(hint, _)| *hint)
    .collect()
}

/// The first capture group of `pattern` in `text`.
pub(crate) fn after(text: &str, pattern: &'static str) -> Option<String> {
  // Patterns are few and used only when npm failed; each is compiled on
  // first use and kept (next to the field it fills, yet not compiled again
  // for every block of a long log: that made the parser fuzz test 5x slower).
  static COMPILED: LazyLock<Mutex<Vec<(&'static str, Regex)>>> = LazyLock::new(Mutex::default);
  let re = {
    let mut compiled = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
    match compiled.iter().find(|(p, _)| *p == pattern) {
      Some((_, re)) => re.clone(),
      None => {
        let re = Regex::new(pattern).expect("detail regex");
        compiled.push((pattern, re.clone()));
        re
      }
    }
  };
  re.captures(text).map(|c| c[1].to_owned())
}

/// The particulars of one block: its joined `text` and the registry's
/// `reason` (empty when it gave none).
pub(crate) fn read(text: &str, reason: &str) -> Details {
  let trim = |s: String| s.trim_end_matches(['.', ',', ':']).to_owned();
  Details {
    login_registry: after(text, r"requires you to be logged in to (\S+)").map(trim),
    web_auth_url: after(text, r"(https://\S*auth\S*)"),
    wanted: after(text, r"No matching version found for (\S+)")
      .map(trim)
      .and_then(|spec| split_spec(&spec)),
    published_version: after(
      reason,
      r"(?i)cannot publish over (?:the )?(?:previously published versions?|existing version)\S*:? (\d\S*)",
    )
    .map(trim),
    suggested_name: after(reason, r"renaming your package to '([^']+)'"),
    denied_user: after(reason, r"^user (\S+) is not allowed to publish"),
    expected_repository: after(text, r#"expected to match "([^"]+)""#),
    proxy: after(text, r"connecting to proxy `([^`]+)`"),
    refused: after(text, r"ECONNREFUSED (\S+)").map(trim),
    unresolved: after(text, r"getaddrinfo (?:EAI_AGAIN|ENOTFOUND|EAI_FAIL) (\S+)").map(trim),
    peer: peer_conflict(text),
    engine: after(text, r"Not compatible with your version of node/npm: (\S+)").map(|package| {
      let required = after(text, r"Required: (\{[^}]*\})").unwrap_or_default();
      let actual = after(text, r"Actual: (\{[^}]*\})").unwrap_or_default();
      (trim(package), required, actual)
    }),
    platform: after(text, r"Unsupported platform for (\S+?):? wanted (\{[^}]*\})").map(|package| {
      let wanted = after(text, r"Unsupported platform for \S+ wanted (\{[^}]*\})").unwrap_or_default();
      let current = after(text, r"\(current: (\{[^}]*\})\)").unwrap_or_default();
      (package, wanted, current)
    }),
    integrity: after(text, r"wanted (sha\d+-\S+) but got").map(|wanted| {
      let got = after(text, r"but got (sha\d+-\S+?)\.?(?:\s|$)").unwrap_or_default();
      (wanted, got)
    }),
    missing_script: after(text, r#"Missing script: "([^"]+)""#)
      // npm 6: `missing script: <name>`, unquoted.
      .or_else(|| after(text, r"\bmissing script: (\S+)")),
    git_url: after(text, r"command git (?:--no-replace-objects )?(?:ls-remote|clone)(?: -h)? (\S+)"),
    invalid_spec: after(text, r#"Invalid (?:tag name|package name|name) "([^"]+)""#),
    invalid_spec_package: after(text, r#"of package "(@?[^"@]+)@"#),
    json_position: after(text, r"((?:at position \d+(?: \(line \d+ column \d+\))?|line \d+ column \d+))"),
    hints: hints(text),
  }
}

/// `@scope/name@range` or `name@range`: the last `@` that is not the first character.
pub(crate) fn split_spec(spec: &str) -> Option<(String, String)> {
  let at = spec.get(1..)?.rfind('@')? + 1;
  Some((spec[..at].to_owned(), spec[at + 1..].to_owned()))
}

/// `While resolving: …`, `Found: react@18.2.0`, `Could not resolve
/// dependency: peer react@"^16.8.0" from some-lib@1.2.3`.
fn peer_conflict(text: &str) -> Option<PeerConflict> {
  let re = Regex::new(r#"Could not resolve dependency: (?:dev |optional |peerOptional )?peer (\S+?)@"([^"]*)" from (\S+)"#)
    .expect("peer regex");
  let c = re.captures(text)?;
  Some(PeerConflict {
    peer: c[1].to_owned(),
    range: c[2].to_owned(),
    dependent: c[3].to_owned(),
    found: after(text, r"Found: (\S+)"),
  })
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::facts::parse_block;

  fn details(text: &str) -> Details {
    let lines: Vec<&str> = text.lines().collect();
    parse_block(&lines).details
  }

  #[test]
  fn specs() {
    assert_eq!(split_spec("@a/b@1.x"), Some(("@a/b".into(), "1.x".into())));
    assert_eq!(
      split_spec("lodash@^4"),
      Some(("lodash".into(), "^4".into()))
    );
    assert_eq!(split_spec("lodash"), None);
  }

  #[test]
  fn a_peer_conflict() {
    let d = details(
      "code ERESOLVE\nERESOLVE unable to resolve dependency tree\n\nWhile resolving: app@1.0.0\nFound: react@18.2.0\nnode_modules/react\n  react@\"^18.2.0\" from the root project\n\nCould not resolve dependency:\npeer react@\"^16.8.0 || ^17.0.0\" from some-lib@1.2.3\nnode_modules/some-lib",
    );
    assert_eq!(
      d.peer,
      Some(PeerConflict {
        dependent: "some-lib@1.2.3".into(),
        peer: "react".into(),
        range: "^16.8.0 || ^17.0.0".into(),
        found: Some("react@18.2.0".into()),
      })
    );
  }

  #[test]
  fn engines_platforms_integrity_scripts_specs() {
    let d = details(
      "code EBADENGINE\nengine Unsupported engine\nengine Not compatible with your version of node/npm: e2e-engine@1.0.0\nnotsup Required: {\"node\":\">=99\"}\nnotsup Actual:   {\"npm\":\"11.6.2\",\"node\":\"v20.19.5\"}",
    );
    assert_eq!(
      d.engine,
      Some((
        "e2e-engine@1.0.0".into(),
        r#"{"node":">=99"}"#.into(),
        r#"{"npm":"11.6.2","node":"v20.19.5"}"#.into()
      ))
    );
    let d = details(
      "code EBADPLATFORM\nnotsup Unsupported platform for fsevents@2.3.3: wanted {\"os\":\"darwin\"} (current: {\"os\":\"linux\"})",
    );
    assert_eq!(
      d.platform,
      Some((
        "fsevents@2.3.3".into(),
        r#"{"os":"darwin"}"#.into(),
        r#"{"os":"linux"}"#.into()
      ))
    );
    let d = details(
      "code EINTEGRITY\nsha512-AAA integrity checksum failed when using sha512: wanted sha512-AAA but got sha512-BBB. (12 bytes)",
    );
    assert_eq!(
      d.integrity,
      Some(("sha512-AAA".into(), "sha512-BBB".into()))
    );
    let d = details("Missing script: \"biuld\"\n\nDid you mean this?");
    assert_eq!(d.missing_script.as_deref(), Some("biuld"));
    let d = details("missing script: biuld");
    assert_eq!(d.missing_script.as_deref(), Some("biuld"));
    let d = details(
      "code EINVALIDTAGNAME\nInvalid tag name \"^^1\" of package \"foo@^^1\": Tags may not have any characters that encodeURIComponent encodes.",
    );
    assert_eq!(d.invalid_spec.as_deref(), Some("^^1"));
    let d = details(
      "code 128\nAn unknown git error occurred\ncommand git --no-replace-objects ls-remote ssh://git@github.com/a/b.git\ngit@github.com: Permission denied (publickey).",
    );
    assert_eq!(d.git_url.as_deref(), Some("ssh://git@github.com/a/b.git"));
  }
}
