//! Which registry product a URL belongs to: npmjs.com, GitHub Packages,
//! Artifactory, Nexus… The way to get a credential, and what a status means,
//! differ between them.

use crate::url;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Product {
  Npmjs,
  GitHub,
  GitLab,
  Artifactory,
  Nexus,
  Verdaccio,
  Azure,
  CodeArtifact,
  Google,
  Other,
}

impl Product {
  pub(crate) fn of(url: &str) -> Product {
    let host = url::hostname(url).unwrap_or_default();
    let port = url::host_of(url).unwrap_or_default();
    if host == "registry.npmjs.org" || host == "registry.npmjs.com" {
      Product::Npmjs
    } else if host == "npm.pkg.github.com" {
      Product::GitHub
    } else if url.contains("/api/v4/") && url.contains("/packages/npm") {
      Product::GitLab
    } else if url.contains("/artifactory/") || host.ends_with(".jfrog.io") {
      Product::Artifactory
    } else if url.contains("/repository/") || host.contains("nexus") {
      Product::Nexus
    } else if host.ends_with("pkgs.dev.azure.com") || host.ends_with(".pkgs.visualstudio.com") {
      Product::Azure
    } else if host.contains(".codeartifact.") && host.ends_with(".amazonaws.com") {
      Product::CodeArtifact
    } else if host.ends_with("-npm.pkg.dev") {
      Product::Google
    } else if port.ends_with(":4873") || host.contains("verdaccio") {
      Product::Verdaccio
    } else {
      Product::Other
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn products() {
    assert_eq!(Product::of("https://registry.npmjs.org/x"), Product::Npmjs);
    assert_eq!(
      Product::of("https://npm.pkg.github.com/@a%2fb"),
      Product::GitHub
    );
    assert_eq!(
      Product::of("https://acme.jfrog.io/artifactory/api/npm/npm/"),
      Product::Artifactory
    );
    assert_eq!(
      Product::of("https://d-1.d.codeartifact.us-east-1.amazonaws.com/npm/r/"),
      Product::CodeArtifact
    );
    assert_eq!(Product::of("http://localhost:4873/"), Product::Verdaccio);
    assert_eq!(Product::of("https://us-npm.pkg.dev/p/r/"), Product::Google);
    assert_eq!(
      Product::of("https://gitlab.com/api/v4/projects/1/packages/npm/"),
      Product::GitLab
    );
  }
}
