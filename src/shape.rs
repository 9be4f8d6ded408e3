//! Where a saved log came from, read from the log itself: a pasted CI log
//! has no environment to ask, but it carries its system's marks — GitHub's
//! `##[group]` and `/home/runner/`, GitLab's `section_start:`, Jenkins's
//! `[Pipeline]`, Docker BuildKit's `#12 [3/7] RUN npm ci`, a Windows
//! `C:\Users\…\AppData` path. Advice then fits that system instead of
//! listing every case.
//!
//! Each line costs a few substring searches, and only lines that can carry a
//! mark are searched at all, so a long log stays cheap.

use std::sync::LazyLock;

use regex::Regex;

use crate::ci::Ci;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Os {
  Linux,
  Mac,
  Windows,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shape {
  pub(crate) ci: Option<Ci>,
  pub(crate) os: Option<Os>,
  /// A container image build (Docker BuildKit or the legacy builder).
  pub(crate) container: bool,
}

/// Marks of a CI system, most particular first: Azure's hosted Windows
/// agents work in `D:\a\1\s`, GitHub's in `D:\a\<repo>\<repo>`, so Azure's
/// marks are tried before GitHub's.
const CI_MARKS: &[(&str, Ci)] = &[
  ("##[section]", Ci::Azure),
  ("##vso[", Ci::Azure),
  ("/home/vsts/", Ci::Azure),
  ("D:\\a\\1\\s", Ci::Azure),
  ("##[group]", Ci::GitHub),
  ("##[error]", Ci::GitHub),
  ("::group::", Ci::GitHub),
  ("/home/runner/work/", Ci::GitHub),
  ("D:\\a\\", Ci::GitHub),
  ("section_start:", Ci::GitLab),
  ("Running with gitlab-runner", Ci::GitLab),
  ("[Pipeline]", Ci::Jenkins),
  ("/var/jenkins_home/", Ci::Jenkins),
  ("/var/lib/jenkins/", Ci::Jenkins),
  ("/home/circleci/", Ci::Circle),
  ("/var/lib/buildkite-agent/", Ci::Buildkite),
  ("/home/travis/", Ci::Travis),
  ("travis_fold:", Ci::Travis),
  ("/opt/atlassian/pipelines/", Ci::Bitbucket),
  ("/codebuild/output/", Ci::CodeBuild),
  ("##teamcity[", Ci::TeamCity),
];

const OS_MARKS: &[(&str, Os)] = &[
  ("\\AppData\\", Os::Windows),
  ("C:\\Users\\", Os::Windows),
  ("C:\\Program Files\\nodejs", Os::Windows),
  ("D:\\a\\", Os::Windows),
  ("/Users/", Os::Mac),
  ("/opt/homebrew/", Os::Mac),
  ("/home/", Os::Linux),
  ("/root/", Os::Linux),
  ("/usr/lib/node_modules/", Os::Linux),
];

/// `#12 [3/7] RUN npm ci` (BuildKit), `Step 3/7 : RUN npm ci` (legacy builder).
static IMAGE_BUILD: LazyLock<Regex> =
  LazyLock::new(|| Regex::new(r"^(?:#\d+ \[[^\]]*\d+/\d+\] RUN |Step \d+/\d+ : RUN )").unwrap());

impl Shape {
  /// Takes in one line of a saved log.
  pub(crate) fn observe(&mut self, line: &str) {
    let line = line.trim_start();
    if self.ci.is_none() && line.contains(['#', ':', '/', '\\', '[', '_']) {
      self.ci = CI_MARKS
        .iter()
        .find(|(mark, _)| line.contains(mark))
        .map(|(_, ci)| *ci);
    }
    if self.os.is_none() && line.contains(['/', '\\']) {
      self.os = OS_MARKS
        .iter()
        .find(|(mark, _)| line.contains(mark))
        .map(|(_, os)| *os);
    }
    if !self.container && (line.starts_with('#') || line.starts_with("Step ")) {
      self.container = IMAGE_BUILD.is_match(line);
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn shape(lines: &[&str]) -> Shape {
    let mut shape = Shape::default();
    for l in lines {
      shape.observe(l);
    }
    shape
  }

  #[test]
  fn ci_systems_by_their_marks() {
    let cases = [
      (
        "2026-01-01T10:00:00.1234567Z ##[group]Run npm publish",
        Ci::GitHub,
      ),
      (
        "npm error path /home/runner/work/app/app/node_modules/x",
        Ci::GitHub,
      ),
      (
        "section_start:1700000000:step_script\r\u{1b}[0K",
        Ci::GitLab,
      ),
      ("[Pipeline] sh", Ci::Jenkins),
      ("##[section]Starting: npm ci", Ci::Azure),
      ("npm error path D:\\a\\1\\s\\node_modules\\x", Ci::Azure),
      (
        "npm error path D:\\a\\app\\app\\node_modules\\x",
        Ci::GitHub,
      ),
      (
        "npm error path /home/circleci/project/node_modules",
        Ci::Circle,
      ),
    ];
    for (line, ci) in cases {
      assert_eq!(shape(&[line]).ci, Some(ci), "{line}");
    }
    assert_eq!(shape(&["npm error code E403", "> x@1.0.0 test"]).ci, None);
  }

  #[test]
  fn operating_systems_by_their_paths() {
    let windows = "npm error A complete log of this run can be found in: C:\\Users\\me\\AppData\\Local\\npm-cache\\_logs\\x-debug-0.log";
    assert_eq!(shape(&[windows]).os, Some(Os::Windows));
    assert_eq!(
      shape(&["npm error path /Users/me/app/node_modules"]).os,
      Some(Os::Mac)
    );
    assert_eq!(
      shape(&["npm error path /home/me/app/node_modules"]).os,
      Some(Os::Linux)
    );
  }

  #[test]
  fn image_builds() {
    assert!(shape(&["#12 [build 3/7] RUN npm ci"]).container);
    assert!(shape(&["Step 3/7 : RUN npm ci"]).container);
    assert!(!shape(&["# a comment about RUN"]).container);
  }
}
