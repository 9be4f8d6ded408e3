//! Which CI system a run is in — detected once, from the environment on a
//! live run or from the log's own marks on a saved one (`shape`) — and how
//! that system spells the things advice has to say: where a job's secret
//! comes from, how a variable reaches a step.

use crate::Env;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ci {
  GitHub,
  GitLab,
  Circle,
  Buildkite,
  Azure,
  Jenkins,
  Travis,
  Bitbucket,
  TeamCity,
  CodeBuild,
  /// `CI=true` and nothing more specific.
  Other,
}

/// The variable each system sets, in the order they are checked: some
/// systems set more than one (`CI` everywhere, `JENKINS_URL` on agents that
/// also run other systems' jobs).
const SYSTEMS: &[(&str, Ci)] = &[
  ("GITHUB_ACTIONS", Ci::GitHub),
  ("GITLAB_CI", Ci::GitLab),
  ("CIRCLECI", Ci::Circle),
  ("BUILDKITE", Ci::Buildkite),
  ("TF_BUILD", Ci::Azure),
  ("JENKINS_URL", Ci::Jenkins),
  ("TRAVIS", Ci::Travis),
  ("BITBUCKET_BUILD_NUMBER", Ci::Bitbucket),
  ("TEAMCITY_VERSION", Ci::TeamCity),
  ("CODEBUILD_BUILD_ID", Ci::CodeBuild),
];

impl Ci {
  pub(crate) fn detect(env: &Env) -> Option<Ci> {
    SYSTEMS
      .iter()
      .find(|(var, _)| env.is_set(var))
      .map(|(_, ci)| *ci)
      .or_else(|| {
        env
          .get("CI")
          .filter(|v| !v.is_empty() && *v != "0" && !v.eq_ignore_ascii_case("false"))
          .map(|_| Ci::Other)
      })
  }

  pub(crate) fn name(self) -> &'static str {
    match self {
      Ci::GitHub => "GitHub Actions",
      Ci::GitLab => "GitLab CI",
      Ci::Circle => "CircleCI",
      Ci::Buildkite => "Buildkite",
      Ci::Azure => "Azure Pipelines",
      Ci::Jenkins => "Jenkins",
      Ci::Travis => "Travis CI",
      Ci::Bitbucket => "Bitbucket Pipelines",
      Ci::TeamCity => "TeamCity",
      Ci::CodeBuild => "AWS CodeBuild",
      Ci::Other => "CI",
    }
  }

  /// How a secret reaches the step that runs npm as the variable `var`, in
  /// this system's own terms.
  pub(crate) fn pass_secret(self, var: &str) -> String {
    match self {
      Ci::GitHub => format!(
        "in the workflow, give the step `env: {var}: ${{{{ secrets.NPM_TOKEN }}}}` (the secret's name is yours to \
         choose; an organisation secret must be granted to this repository, and a pull request from a fork gets no \
         secrets)"
      ),
      Ci::GitLab => format!(
        "add {var} under Settings → CI/CD → Variables, masked; if it is protected, only protected branches and tags \
         get it"
      ),
      Ci::Azure => format!(
        "add a secret pipeline variable and map it into the step (`env: {var}: $(NPM_TOKEN)`): Azure never passes \
         secret variables to scripts on its own"
      ),
      Ci::Jenkins => format!(
        "store it as a Secret text credential and bind it around npm: `withCredentials([string(credentialsId: \
         'npm-token', variable: '{var}')]) {{ … }}`"
      ),
      Ci::Circle => format!(
        "add {var} in the project's Environment Variables or a context the job uses; jobs from forked pull \
         requests do not get them unless the project allows it"
      ),
      Ci::Bitbucket => format!("add {var} as a secured repository or deployment variable"),
      Ci::Buildkite | Ci::Travis | Ci::TeamCity | Ci::CodeBuild | Ci::Other => format!(
        "set {var} as a secret variable of the {} job that runs npm",
        self.name()
      ),
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn the_most_specific_system_wins() {
    let env = Env::from_pairs([("CI", "true"), ("GITLAB_CI", "true")]);
    assert_eq!(Ci::detect(&env), Some(Ci::GitLab));
    assert_eq!(Ci::detect(&Env::from_pairs([("CI", "1")])), Some(Ci::Other));
    assert_eq!(Ci::detect(&Env::from_pairs([("CI", "false")])), None);
    assert!(Ci::GitLab.pass_secret("NPM_TOKEN").contains("CI/CD"));
    assert!(Ci::GitHub.pass_secret("NPM_TOKEN").contains("secrets."));
  }
}
