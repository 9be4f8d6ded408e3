//! The causes npmx can name, each one typed unit in the file of its family:
//!
//! | file | causes |
//! |---|---|
//! | `auth.rs` | who you are: one-time passwords, missing or refused credentials, expired tokens |
//! | `publish.rs` | what a publish may do: ownership, versions, names, tokens, provenance, trusted publishing |
//! | `read.rs` | what an install may read: forbidden, blocked, missing packages and versions |
//! | `proxy.rs` | the proxy in between |
//! | `network.rs` | reaching the registry at all, and the registry's own state |
//! | `tls.rs` | certificates |
//! | `install.rs` | the machine npm installs on: permissions, disk space, open files, files in the way |
//! | `scripts.rs` | dependencies' install scripts and native builds |
//! | `dependencies.rs` | what the tree asks for: peers, checksums, engines, platforms, specs, git |
//! | `project.rs` | the project: package.json, its scripts, workspaces |
//! | `usage.rs` | the command line, and npm's own bugs |
//!
//! A [`Cause`] holds everything about one cause: its id (a stable contract
//! with reports, tests and other tools), its title and explanation, the
//! signatures that recognise it in npm's output, the rules by which the
//! situation can name it where npm's text cannot, and its advice. Nothing
//! about a cause lives anywhere else, so adding one is one entry in its
//! family's list plus one fixture; a missing part does not compile, and
//! `tests` below check what the compiler cannot (ids well-formed and unique,
//! texts not empty, a signature or rule for each).
//!
//! Code refers to a cause by its static (`auth::NOT_LOGGED_IN`), never by
//! its id, so a misspelt cause is a compile error.

pub(crate) mod auth;
pub(crate) mod dependencies;
pub(crate) mod install;
pub(crate) mod network;
pub(crate) mod project;
pub(crate) mod proxy;
pub(crate) mod publish;
pub(crate) mod read;
pub(crate) mod scripts;
pub(crate) mod tls;
pub(crate) mod usage;

use crate::{advice::Advice, situation::Situation};

pub(crate) struct Cause {
  /// The stable id: `version-exists`.
  pub(crate) id: &'static str,
  /// The heading, as a finding: "This version is already published".
  pub(crate) title: &'static str,
  /// What is going on and what to do, for `--npmx-explain`.
  pub(crate) explain: &'static str,
  /// How to tell this cause from the others that share its code.
  pub(crate) tell: &'static str,
  /// What in npm's output points at this cause.
  pub(crate) signatures: &'static [Signature],
  /// Where the situation names this cause instead of (or beside) what npm's
  /// text alone pointed at.
  pub(crate) rules: &'static [Rule],
  /// Causes that are effects of this one: when both fit, only this is said.
  pub(crate) supersedes: &'static [&'static Cause],
  /// The steps, fitted to the situation.
  pub(crate) advise: fn(&mut Advice),
}

impl std::fmt::Debug for Cause {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str(self.id)
  }
}

impl Cause {
  pub(crate) fn is(&self, other: &Cause) -> bool {
    self.id == other.id
  }

  /// Every npm code this cause can be diagnosed from: its signatures' codes
  /// and statuses, and the codes of the causes its rules take over from.
  pub(crate) fn codes(&self) -> Vec<String> {
    let mut codes = Vec::new();
    self.collect_codes(&mut codes, 0);
    codes
  }

  /// The codes of this cause's own signatures (the README's table; the
  /// codes of causes its rules take over are named by those causes).
  pub(crate) fn own_codes(&self) -> Vec<String> {
    let mut codes = Vec::new();
    self.collect_codes(&mut codes, u8::MAX);
    codes
  }

  /// The causes whose findings this cause's rules can take over.
  pub(crate) fn takes_over(&self) -> Vec<&'static Cause> {
    let mut from: Vec<&'static Cause> = Vec::new();
    for c in self.rules.iter().flat_map(|r| r.from.iter().copied()) {
      if !from.iter().any(|f| f.is(c)) {
        from.push(c);
      }
    }
    from
  }

  fn collect_codes(&self, codes: &mut Vec<String>, depth: u8) {
    let mut add = |code: String| {
      if !codes.contains(&code) {
        codes.push(code);
      }
    };
    for s in self.signatures {
      s.codes.iter().for_each(|c| add((*c).to_owned()));
      s.seen_with.iter().for_each(|c| add((*c).to_owned()));
      if let Some(status) = s.status {
        add(format!("E{status}"));
      }
    }
    // Rules point at other causes; two levels is all the catalogue uses,
    // and the limit keeps a future cycle from looping. (`u8::MAX`: none.)
    if depth < 3 {
      for rule in self.rules {
        for from in rule.from {
          from.collect_codes(codes, depth + 1);
        }
      }
    }
  }
}

/// One way npm's output shows a cause. Matches on stable tokens first — npm's
/// code, the HTTP status and method, the host — and on the registry's own
/// reason second, never on npm's hint sentences, which change between versions.
#[derive(Debug)]
pub(crate) struct Signature {
  /// npm's `code` is one of these; empty: any code, or none.
  pub(crate) codes: &'static [&'static str],
  /// The HTTP status, from the summary line or the code (`E403`).
  pub(crate) status: Option<u16>,
  /// The request method, from the summary line or the failed fetch.
  pub(crate) methods: &'static [&'static str],
  /// A case-insensitive regex on the block's text (registry reason included).
  pub(crate) text: Option<&'static str>,
  /// A regex on the registry's reason after the URL (empty when it gave none).
  pub(crate) reason: Option<&'static str>,
  /// A regex on the host of the URL the failure is about.
  pub(crate) host: Option<&'static str>,
  /// A regex on npm's notices (`npm notice …`), which arrive outside the block.
  pub(crate) notice: Option<&'static str>,
  /// A regex on the block's `path` line (the file npm failed on).
  pub(crate) path: Option<&'static str>,
  /// Matches only the block of a failed lifecycle script (npm's `code 1` …
  /// `command failed`), and no other signature ever does: what a script
  /// printed is captured into that block and is not npm's to diagnose.
  pub(crate) script: bool,
  /// Codes npm prints with a text-only signature, for `--npmx-explain`
  /// (they do not constrain the match).
  pub(crate) seen_with: &'static [&'static str],
  /// How likely the cause is when the signature matches (0–100).
  pub(crate) weight: u8,
  /// Counts only when no specific signature matched: a bare 403 on PUT means
  /// "no permission" unless the registry said something more precise.
  pub(crate) fallback: bool,
}

pub(crate) const fn sig(weight: u8) -> Signature {
  Signature {
    codes: &[],
    status: None,
    methods: &[],
    text: None,
    reason: None,
    host: None,
    notice: None,
    path: None,
    script: false,
    seen_with: &[],
    weight,
    fallback: false,
  }
}

impl Signature {
  pub(crate) const fn codes(mut self, codes: &'static [&'static str]) -> Self {
    self.codes = codes;
    self
  }
  pub(crate) const fn status(mut self, status: u16) -> Self {
    self.status = Some(status);
    self
  }
  pub(crate) const fn on(mut self, methods: &'static [&'static str]) -> Self {
    self.methods = methods;
    self
  }
  pub(crate) const fn text(mut self, regex: &'static str) -> Self {
    self.text = Some(regex);
    self
  }
  pub(crate) const fn reason(mut self, regex: &'static str) -> Self {
    self.reason = Some(regex);
    self
  }
  pub(crate) const fn host(mut self, regex: &'static str) -> Self {
    self.host = Some(regex);
    self
  }
  pub(crate) const fn notice(mut self, regex: &'static str) -> Self {
    self.notice = Some(regex);
    self
  }
  pub(crate) const fn path(mut self, regex: &'static str) -> Self {
    self.path = Some(regex);
    self
  }
  pub(crate) const fn script(mut self) -> Self {
    self.script = true;
    self
  }
  pub(crate) const fn seen_with(mut self, codes: &'static [&'static str]) -> Self {
    self.seen_with = codes;
    self
  }
  pub(crate) const fn fallback(mut self) -> Self {
    self.fallback = true;
    self
  }
}

pub(crate) const WRITE: &[&str] = &["PUT", "DELETE", "POST"];
pub(crate) const READ: &[&str] = &["GET", "HEAD"];

/// The situation names this cause where npm's text named others.
pub(crate) struct Rule {
  /// The causes the signatures found that this rule is about.
  pub(crate) from: &'static [&'static Cause],
  /// Whether this cause replaces them or is ranked beside them.
  pub(crate) replaces: bool,
  pub(crate) weight: u8,
  pub(crate) when: fn(&Situation) -> bool,
}

/// Every cause, family by family. The order is the README's.
pub(crate) fn all() -> impl Iterator<Item = &'static Cause> {
  [
    auth::CAUSES,
    publish::CAUSES,
    read::CAUSES,
    proxy::CAUSES,
    network::CAUSES,
    tls::CAUSES,
    install::CAUSES,
    scripts::CAUSES,
    dependencies::CAUSES,
    project::CAUSES,
    usage::CAUSES,
  ]
  .into_iter()
  .flat_map(|family| family.iter().copied())
}

pub(crate) fn find(id: &str) -> Option<&'static Cause> {
  all().find(|c| c.id == id)
}

/// Every cause that can come with an npm code (`E403`, `eai_again`).
pub(crate) fn with_code(code: &str) -> Vec<&'static Cause> {
  all()
    .filter(|c| c.codes().iter().any(|k| k.eq_ignore_ascii_case(code)))
    .collect()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn every_cause_is_whole_and_ids_are_unique() {
    let mut ids: Vec<&str> = Vec::new();
    for c in all() {
      assert!(
        !c.id.is_empty()
          && c
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "{}: ids are lower-case kebab words",
        c.id
      );
      assert!(!ids.contains(&c.id), "{} twice", c.id);
      ids.push(c.id);
      for (what, text) in [("title", c.title), ("explain", c.explain), ("tell", c.tell)] {
        assert!(!text.trim().is_empty(), "{}: no {what}", c.id);
      }
      assert!(
        !c.signatures.is_empty() || !c.rules.is_empty(),
        "{}: nothing can ever name it",
        c.id
      );
      // npm prints some failures with no code at all ("Missing script");
      // those are explained by id. Any other needs a code.
      let text_only = c
        .signatures
        .iter()
        .all(|s| s.codes.is_empty() && s.status.is_none());
      assert!(
        !c.codes().is_empty() || (text_only && c.rules.is_empty()),
        "{}: no npm code to explain it by",
        c.id
      );
    }
  }

  #[test]
  fn every_regex_compiles() {
    for c in all() {
      for s in c.signatures {
        for r in [s.text, s.reason, s.host, s.notice, s.path]
          .into_iter()
          .flatten()
        {
          regex::Regex::new(r).unwrap_or_else(|e| panic!("{}: {e}", c.id));
        }
      }
    }
  }

  #[test]
  fn every_code_a_signature_matches_is_explainable() {
    for c in all() {
      for code in c.codes() {
        assert!(
          with_code(&code).iter().any(|k| k.is(c)),
          "{code} does not explain {}",
          c.id
        );
      }
      for s in c.signatures {
        for code in s.codes {
          assert!(c.codes().iter().any(|k| k == code), "{}: {code}", c.id);
        }
      }
    }
  }

  #[test]
  fn codes_list_their_causes() {
    let e403: Vec<_> = with_code("E403").iter().map(|c| c.id).collect();
    for id in [
      "publish-forbidden",
      "version-exists",
      "registry-forbidden",
      "proxy-forbidden",
      "policy-blocked",
    ] {
      assert!(e403.contains(&id), "{id}");
    }
    let ids = |code| with_code(code).iter().map(|c| c.id).collect::<Vec<_>>();
    // A dead proxy shows as the network failure it causes.
    assert_eq!(ids("eai_again"), ["proxy-misconfigured", "dns-failure"]);
    assert_eq!(ids("EPIPE"), ["proxy-misconfigured", "connection-reset"]);
    assert_eq!(ids("EUSAGE"), ["trusted-publishing-failed", "usage-error"]);
  }
}

/// Advice on saved logs, as `--npmx-diagnose` gives it: the classes of
/// failure each family's advice must get right without any machine context.
#[cfg(test)]
mod saved {
  use crate::{diagnose::Diagnosis, offline, redact::Redactor};

  fn diagnose(text: &str) -> Vec<Diagnosis> {
    offline::diagnose_text(text, Redactor::default()).0.found
  }

  /// The first diagnosis's id and all its steps as one text.
  fn advice(text: &str) -> (&'static str, String) {
    let found = diagnose(text);
    let first = found.first().expect("a diagnosis");
    let steps = first
      .steps
      .iter()
      .map(|s| format!("{} {}", s.text, s.command.as_deref().unwrap_or("")))
      .collect::<Vec<_>>()
      .join("\n");
    (first.cause.id, steps)
  }

  #[test]
  fn eai_again_gets_docker_advice_only_from_an_image_build() {
    let plain = "npm error code EAI_AGAIN\nnpm error syscall getaddrinfo\nnpm error errno EAI_AGAIN\nnpm error request to https://registry.npmjs.org/x failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org\n";
    let (id, steps) = advice(plain);
    assert_eq!(id, "dns-failure");
    assert!(!steps.contains("docker"), "{steps}");
    let built = format!("#12 [build 3/7] RUN npm ci\n{plain}");
    assert!(advice(&built).1.contains("docker build --network=host"));
  }

  #[test]
  fn a_403_on_reading_from_npmjs_is_the_network_not_an_administrator() {
    let text = "npm error code E403\nnpm error 403 403 Forbidden - GET https://registry.npmjs.org/left-pad\n";
    let (id, steps) = advice(text);
    assert_eq!(id, "registry-forbidden");
    assert!(!steps.contains("administrators"), "{steps}");
    assert!(
      steps.contains("curl -sSI https://registry.npmjs.org/left-pad"),
      "{steps}"
    );
  }

  #[test]
  fn an_npmjs_outage_points_at_its_status_page_and_a_retry() {
    let text =
      "npm error code E503\nnpm error 503 Service Unavailable - GET https://registry.npmjs.org/x\n";
    let (id, steps) = advice(text);
    assert_eq!(id, "registry-unavailable");
    assert!(steps.contains("status.npmjs.org"), "{steps}");
    assert!(steps.contains("--fetch-retry-maxtimeout=120000"), "{steps}");
  }

  #[test]
  fn refused_on_this_machine_for_a_remote_registry_is_not_a_local_registry() {
    let text = "npm error code ECONNREFUSED\nnpm error FetchError: request to https://registry.npmjs.org/x failed, reason: connect ECONNREFUSED 127.0.0.1:443\n";
    let (id, steps) = advice(text);
    assert_eq!(id, "connection-refused");
    assert!(!steps.contains("Verdaccio"), "{steps}");
    assert!(steps.contains("this machine itself"), "{steps}");
  }

  #[test]
  fn a_failed_tarball_from_a_private_host_points_at_the_lockfile() {
    let text = "npm error code E401\nnpm error 401 Unauthorized - GET https://pkgs.dev.azure.com/org/_packaging/feed/npm/registry/left-pad/-/left-pad-1.3.0.tgz - Unauthorized\n";
    let (_, steps) = advice(text);
    assert!(steps.contains("--replace-registry-host=always"), "{steps}");
  }

  #[test]
  fn a_typed_code_that_was_refused_is_a_fresh_code_not_a_prompt() {
    let text = "Enter OTP: 123456\nnpm error code EOTP\nnpm error This operation requires a one-time password from your authenticator.\n";
    let (id, steps) = advice(text);
    assert_eq!(id, "otp-required");
    assert!(steps.contains("The code was refused"), "{steps}");
  }

  #[test]
  fn eperm_on_windows_is_not_chown() {
    let text = "npm ERR! code EPERM\nnpm ERR! syscall rename\nnpm ERR! path C:\\Users\\me\\AppData\\Roaming\\npm\\node_modules\\x\nnpm ERR! errno -4048\nnpm ERR! Error: EPERM: operation not permitted, open 'C:\\Users\\me\\x'\n";
    let (id, steps) = advice(text);
    assert_eq!(id, "permission-denied");
    assert!(
      !steps.contains("chown") && !steps.contains("sudo"),
      "{steps}"
    );
  }

  #[test]
  fn a_pasted_github_actions_log_is_read_as_ci() {
    let text = "2026-01-01T10:00:00.1234567Z ##[group]Run npm publish\n2026-01-01T10:00:01.0000000Z npm error code EOTP\n2026-01-01T10:00:01.0000000Z npm error This operation requires a one-time password from your authenticator.\n";
    let (id, steps) = advice(text);
    assert_eq!(id, "otp-required");
    assert!(steps.contains("Nobody can type a code here"), "{steps}");
    assert!(steps.contains("id-token: write"), "{steps}");
  }

  #[test]
  fn partial_pastes_are_npm_s_evidence_wherever_it_stands() {
    let id = |text: &str| diagnose(text).first().map(|d| d.cause.id);
    assert_eq!(
      id(
        "123 verbose stack HttpErrorGeneral: 403 Forbidden - GET https://registry.npmjs.org/left-pad\n"
      ),
      Some("registry-forbidden")
    );
    assert_eq!(
      id(
        "403 Forbidden - PUT https://registry.npmjs.org/my-pkg - You cannot publish over the previously published versions: 1.0.0.\n"
      ),
      Some("version-exists")
    );
    assert_eq!(
      id(
        "49 error you must verify your email before publishing a new package: https://www.npmjs.com/email-edit\n"
      ),
      Some("email-unverified")
    );
    assert_eq!(
      id(
        "npm ERR! 404 Not Found - PUT https://registry.npmjs.org/@scope%2fpkg - Not found\nnpm ERR! 404  '@scope/pkg@1.0.0' is not in the npm registry.\n"
      ),
      Some("publish-not-found")
    );
    let nested = "npm ERR! code 1\nnpm ERR! git dep preparation failed\nnpm ERR! npm ERR! code ECONNRESET\nnpm ERR! npm ERR! network request to https://registry.npmjs.org/typescript failed, reason: read ECONNRESET\nnpm ERR! A complete log of this run can be found in:\nnpm ERR!     /home/u/.npm/_logs/2023-01-01T00_00_00_000Z-debug-0.log\n";
    assert_eq!(id(nested), Some("connection-reset"));
    // The same bare message after a script's banner is the script's.
    assert_eq!(
      id(
        "> app@1.0.0 test\n> node t.js\n403 Forbidden - PUT https://registry.npmjs.org/x - nope\n"
      ),
      None
    );
  }

  #[test]
  fn no_diagnosis_gives_more_than_four_steps() {
    let text = "npm error code SELF_SIGNED_CERT_IN_CHAIN\nnpm error request to https://registry.npmjs.org/x failed, reason: self-signed certificate in certificate chain\n";
    for d in diagnose(text) {
      assert!(d.steps.len() <= 4, "{}: {:?}", d.cause.id, d.steps);
    }
  }
}
