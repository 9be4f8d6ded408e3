//! Registry URLs and package names, taken apart the way npm takes them apart.
//! Plain string work: npm's URLs are simple, and a URL crate would cost
//! start-up and binary size for nothing.

/// The host (and port, if any) of a URL, without credentials, lower-cased.
pub(crate) fn host_of(url: &str) -> Option<String> {
  let rest = url.split_once("://")?.1;
  let authority = rest.split(['/', '?', '#']).next()?;
  let host = authority.rsplit('@').next()?;
  (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The host without a port.
pub(crate) fn hostname(url: &str) -> Option<String> {
  let host = host_of(url)?;
  if host.starts_with('[') {
    return Some(host.split(']').next()?.to_owned() + "]");
  }
  Some(host.split(':').next()?.to_owned())
}

/// The port a URL connects to, default ports included.
pub(crate) fn port_of(url: &str) -> Option<u16> {
  let host = host_of(url)?;
  match host.rsplit_once(':') {
    Some((_, port)) if !host.ends_with(']') => port.parse().ok(),
    _ if url.starts_with("https:") => Some(443),
    _ if url.starts_with("http:") => Some(80),
    _ => None,
  }
}

/// `https://r.example/` with the same scheme and host as `url`.
pub(crate) fn origin(url: &str) -> Option<String> {
  let host = host_of(url)?;
  let scheme = url.split("://").next().unwrap_or("https");
  Some(format!("{scheme}://{host}/"))
}

/// The password in `scheme://user:password@host`, if any.
pub(crate) fn password(value: &str) -> Option<&str> {
  let rest = value.split_once("://")?.1;
  let authority = rest.split('/').next()?;
  let (userinfo, _) = authority.rsplit_once('@')?;
  userinfo
    .split_once(':')
    .map(|(_, p)| p)
    .filter(|p| !p.is_empty())
}

/// `https://npm.acme.com:8443/a/b/c` → `//npm.acme.com:8443/a/b/c/`, …,
/// `//npm.acme.com:8443/`: the per-host config keys npm tries, most specific first.
pub(crate) fn nerf_darts(url: &str) -> Vec<String> {
  let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
    return Vec::new();
  };
  let rest = rest.split(['?', '#']).next().unwrap_or(rest);
  let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
  let host = host.rsplit('@').next().unwrap_or(host);
  let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
  (0..=segments.len())
    .rev()
    .map(|n| {
      let mut dart = format!("//{host}/");
      for s in &segments[..n] {
        dart.push_str(s);
        dart.push('/');
      }
      dart
    })
    .collect()
}

/// `@acme/ui` → `acme`.
pub(crate) fn scope_of(name: &str) -> Option<&str> {
  name
    .strip_prefix('@')
    .and_then(|n| n.split_once('/'))
    .map(|(scope, _)| scope)
}

/// `https://r/@scope%2fname` or `https://r/name/-/name-1.0.0.tgz` → the package name.
pub(crate) fn package_from_url(url: &str) -> Option<String> {
  let rest = url.split_once("://")?.1;
  let path = rest.split_once('/')?.1.split(['?', '#']).next()?;
  let decoded = path
    .replace("%2f", "/")
    .replace("%2F", "/")
    .replace("%40", "@");
  let segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
  // Registry path prefixes: Artifactory's …/api/npm/<repo>/, Nexus's repository/<repo>/.
  let skip = match segments.windows(2).position(|w| w == ["api", "npm"]) {
    Some(i) => i + 3,
    None if segments.first() == Some(&"repository") => 2,
    None => 0,
  };
  let mut segments = segments.into_iter().skip(skip);
  let first = segments.next()?;
  if first.starts_with('@') {
    let second = segments.next()?;
    return Some(format!("{first}/{second}"));
  }
  (!first.starts_with('-') && first != "download").then(|| first.to_owned())
}

/// A package id `name@version` (`@scope/name@1.0.0`) → the name.
pub(crate) fn name_of_id(id: &str) -> String {
  match id.strip_prefix('@') {
    Some(rest) => format!("@{}", rest.split('@').next().unwrap_or(rest)),
    None => id.split('@').next().unwrap_or(id).to_owned(),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn parts() {
    assert_eq!(
      nerf_darts("https://h:8/a/b?x"),
      ["//h:8/a/b/", "//h:8/a/", "//h:8/"]
    );
    assert_eq!(
      host_of("https://u:p@Reg.Example:443/x").as_deref(),
      Some("reg.example:443")
    );
    assert_eq!(
      hostname("https://reg.example:443/x").as_deref(),
      Some("reg.example")
    );
    assert_eq!(port_of("https://r/x"), Some(443));
    assert_eq!(port_of("http://127.0.0.1:4873/"), Some(4873));
    assert_eq!(scope_of("@acme/ui"), Some("acme"));
    assert_eq!(scope_of("lodash"), None);
    assert_eq!(password("http://u:pw@h:1"), Some("pw"));
    assert_eq!(name_of_id("@a/b@1.0.0"), "@a/b");
    assert_eq!(name_of_id("x@2"), "x");
  }

  #[test]
  fn package_names_from_urls() {
    let name = |u| package_from_url(u);
    assert_eq!(
      name("https://registry.npmjs.org/@o%2fx").as_deref(),
      Some("@o/x")
    );
    assert_eq!(
      name("https://registry.npmjs.org/lodash").as_deref(),
      Some("lodash")
    );
    assert_eq!(
      name("https://r/lodash/-/lodash-4.17.21.tgz").as_deref(),
      Some("lodash")
    );
    assert_eq!(
      name("https://a.jfrog.io/artifactory/api/npm/npm-remote/express").as_deref(),
      Some("express")
    );
    assert_eq!(name("https://registry.npmjs.org/-/whoami"), None);
    assert_eq!(
      name("https://npm.pkg.github.com/@acme%2fui").as_deref(),
      Some("@acme/ui")
    );
  }
}
