//! The causes npmx can name. Each `id` is a stable contract: reports, tests,
//! `--npmx-explain` and other tools key on it. The README's cause table is
//! generated from this list (`tests/readme.rs` keeps them in step).
//!
//! Which npm output points at which cause is in `signature.rs`; the steps
//! that fit a person's situation are in `advice.rs`.

#[derive(Debug)]
pub(crate) struct Cause {
  pub(crate) id: &'static str,
  /// The heading, as a finding: "This version is already published".
  pub(crate) title: &'static str,
  /// npm codes this cause shows up with (for `--npmx-explain CODE`).
  pub(crate) codes: &'static [&'static str],
  /// What is going on and what to do, for `--npmx-explain`.
  pub(crate) explain: &'static str,
  /// How to tell this cause from the others that share its code.
  pub(crate) tell: &'static str,
}

pub(crate) fn find(id: &str) -> Option<&'static Cause> {
  CAUSES.iter().find(|c| c.id == id)
}

/// Every cause that can come with an npm code (`E403`, `eai_again`).
pub(crate) fn with_code(code: &str) -> Vec<&'static Cause> {
  CAUSES
    .iter()
    .filter(|c| c.codes.iter().any(|k| k.eq_ignore_ascii_case(code)))
    .collect()
}

pub(crate) const CAUSES: &[Cause] = &[
  Cause {
    id: "otp-required",
    title: "The registry wants a one-time password",
    codes: &["EOTP", "E401"],
    explain: "The account (or the package) requires two-factor authentication for this action, and \
              the request carried no valid one-time password. In a terminal npm asks for the code \
              itself; elsewhere pass it with --otp=<code>. In CI nobody can type a code: publish with \
              trusted publishing (OIDC; npm >= 11.5.1, Node >= 22.14, `id-token: write`), or with a \
              granular access token that has \"bypass 2FA\" enabled.",
    tell: "EOTP, or a 401 whose text mentions a one-time password.",
  },
  Cause {
    id: "not-logged-in",
    title: "npm has no credentials for this registry",
    codes: &["ENEEDAUTH", "E401", "E403"],
    explain: "npm sent the request without a token, or refused to send it at all (ENEEDAUTH is found \
              by npm before any request). Either nobody logged in to this registry on this machine, \
              or the token line names another host, or the `${VAR}` it reads is unset here. `npm \
              login --registry <url>` gives a short-lived session token; CI needs a granular access \
              token in a secret, or trusted publishing.",
    tell: "ENEEDAUTH; or a 401 (or Verdaccio's 403 'unregistered users') with no credential for \
           that exact host in any .npmrc.",
  },
  Cause {
    id: "auth-rejected",
    title: "The registry refused the credentials npm sent",
    codes: &["E401", "EAUTHIP"],
    explain: "A token or password was sent and refused: it expired (npm session tokens last two hours, \
              write tokens have limited lifetimes, classic tokens were all revoked on 2025-12-09), it \
              was revoked, it belongs to another registry, or the password is wrong. npm's text for \
              this depends on the registry's WWW-Authenticate header, not on the cause.",
    tell: "A 401 where a credential for that host exists.",
  },
  Cause {
    id: "token-expired",
    title: "The registry says the token expired or was revoked",
    codes: &["E401", "E403", "E404"],
    explain: "npmjs.com sends the notice 'Access token expired or revoked' with every response to a \
              request made with a dead token, even successful public reads, so the next publish or \
              private install fails. A publish with such a token often fails as 404 rather than 401. \
              Log in again (`npm login`) or create a new granular access token and put it where the \
              .npmrc reads it.",
    tell: "npm notice 'Access token expired or revoked' in the same run.",
  },
  Cause {
    id: "publish-forbidden",
    title: "This account may not publish this package",
    codes: &["E403"],
    explain: "The registry accepted who you are but not what you asked: the name belongs to someone \
              else, you are not a maintainer, the registry's access rules do not let this user \
              publish the scope (Verdaccio 'packages', Artifactory deploy permission), or on GitHub \
              Packages the token lacks write:packages or the scope is not the repository owner.",
    tell: "403 on PUT; the registry's reason says permission, owner or 'not allowed to publish'.",
  },
  Cause {
    id: "version-exists",
    title: "This version is already published",
    codes: &["E403", "E409", "EPUBLISHCONFLICT"],
    explain: "A registry never accepts the same version twice, even after an unpublish. Bump the \
              version (`npm version patch`) and publish again.",
    tell: "'You cannot publish over the previously published versions', E409, EPUBLISHCONFLICT.",
  },
  Cause {
    id: "name-too-similar",
    title: "The registry refused a name too close to existing packages",
    codes: &["E403"],
    explain: "npmjs.com blocks unscoped names that look like existing packages (typosquatting \
              protection). Publish under your scope instead (`@you/name` with `--access public`) or \
              pick a clearly different name.",
    tell: "403 on PUT with 'Package name too similar to existing packages'.",
  },
  Cause {
    id: "token-cannot-publish",
    title: "This token cannot publish",
    codes: &["E403", "E401"],
    explain: "The token is valid but not allowed to publish: read-only, limited to other \
              packages or scopes, or a write token without 'bypass 2FA' on a package that requires \
              2FA (since late 2025 publishing needs 2FA or a granular token with bypass-2FA). \
              Packages set to 'require 2FA and disallow tokens' accept no token at all: publish \
              interactively or with trusted publishing.",
    tell: "403 whose reason mentions two-factor authentication, an automation token, bypass 2FA \
           or 'may not perform that action with these credentials'.",
  },
  Cause {
    id: "email-unverified",
    title: "The account's e-mail address is not verified",
    codes: &["E403"],
    explain: "npmjs.com refuses publishes from accounts whose e-mail address is not verified, and \
              often says only 'Forbidden'. Verify it at https://www.npmjs.com/settings/~/profile and \
              publish again.",
    tell: "403 on PUT with a bare 'Forbidden' or a reason about e-mail verification.",
  },
  Cause {
    id: "scoped-access",
    title: "A scoped package is private by default",
    codes: &["E402"],
    explain: "The first publish of a scoped package (@scope/name) is restricted unless you say \
              otherwise, and private packages need a paid plan. Publish it as public with `npm \
              publish --access public`, or set \"publishConfig\": {\"access\": \"public\"} in \
              package.json.",
    tell: "E402 Payment Required, 'You must sign up for private packages'.",
  },
  Cause {
    id: "publish-not-found",
    title: "The registry answered 'not found' to the publish",
    codes: &["E404"],
    explain: "npmjs.com answers 404 rather than 403 to a publish it will not accept, so as not to \
              reveal what exists: the token is missing, expired or revoked, cannot see this scope, \
              or (trusted publishing) the package's trusted-publisher settings do not match this \
              workflow.",
    tell: "404 on PUT.",
  },
  Cause {
    id: "package-private",
    title: "package.json marks this package private",
    codes: &["EPRIVATE"],
    explain: "\"private\": true in package.json stops npm from publishing it at all, on purpose. If \
              it is meant to be published, remove that line.",
    tell: "EPRIVATE.",
  },
  Cause {
    id: "provenance-invalid",
    title: "The registry rejected the provenance statement",
    codes: &["E422"],
    explain: "With provenance (always on with trusted publishing for public packages) the registry \
              checks that package.json's repository.url names the repository the workflow ran in. \
              Set \"repository\": {\"type\": \"git\", \"url\": \"git+https://github.com/<owner>/<repo>.git\"} \
              to match.",
    tell: "E422 with 'Error verifying sigstore provenance bundle'.",
  },
  Cause {
    id: "trusted-publishing-failed",
    title: "Trusted publishing (OIDC) did not happen",
    codes: &["ENEEDAUTH", "E404", "EUSAGE"],
    explain: "npm exchanges the CI provider's OIDC token for a short-lived publish token. That only \
              works with npm >= 11.5.1 and Node >= 22.14, on GitHub-hosted runners (`permissions: \
              id-token: write`), GitLab.com shared runners or CircleCI cloud, for a package whose \
              trusted publisher on npmjs.com names this repository and workflow file. When it fails \
              npm falls back to whatever token it has, or to none (ENEEDAUTH). `--loglevel=verbose` \
              shows npm's `oidc` lines with the reason.",
    tell: "npm's debug log shows its oidc token exchange failing (a failed POST to \
           /-/npm/v1/oidc/token/exchange, `oidc Failed token exchange`), then ENEEDAUTH or a 404 on PUT.",
  },
  Cause {
    id: "registry-forbidden",
    title: "The registry refused access to this package",
    codes: &["E403"],
    explain: "The registry will not let this user (or anonymous) read the package or scope: a \
              private package without access, a GitHub Packages token without read:packages, an \
              Artifactory or Google Artifact Registry permission missing.",
    tell: "403 on GET with no proxy configured.",
  },
  Cause {
    id: "proxy-forbidden",
    title: "A proxy refused the request",
    codes: &["E403"],
    explain: "With a proxy configured, a 403 can come from the proxy (an allowlist, a denied CONNECT) \
              and looks exactly like the registry's. Check which setting points at the proxy, ask \
              for the registry host to be allowed, or remove a proxy setting that is stale.",
    tell: "403 on GET while proxy, https-proxy or HTTPS_PROXY applies to the registry URL.",
  },
  Cause {
    id: "policy-blocked",
    title: "A security policy blocked this package",
    codes: &["E403"],
    explain: "A repository firewall or curation service (Sonatype Firewall, JFrog Curation, a package \
              firewall) blocked this package or version. Ask its administrators, or use a version \
              the policy allows.",
    tell: "403 with 'quarantined', 'policy violations', 'blocked by firewall'.",
  },
  Cause {
    id: "package-not-found",
    title: "The registry has no such package (or will not say)",
    codes: &["E404"],
    explain: "The name is misspelled, not published, or private to a registry or scope this \
              configuration does not reach: a scoped package needs `@scope:registry=<url>` and a \
              token for that host.",
    tell: "404 on GET.",
  },
  Cause {
    id: "version-not-found",
    title: "No published version matches what was asked for",
    codes: &["ETARGET"],
    explain: "The package exists, but no version satisfies the range or tag asked for: a typo in \
              the range, a version not published yet (or unpublished), a dependency's range that \
              moved past what this registry has, or a private mirror that has not synced that \
              version (or a curation policy that hides it).",
    tell: "ETARGET, 'No matching version found for <package>@<range>'.",
  },
  Cause {
    id: "proxy-auth-required",
    title: "The proxy wants credentials",
    codes: &["E407"],
    explain: "The proxy requires authentication. Put the credentials in the proxy URL \
              (http://user:password@proxy:port) in `proxy`/`https-proxy` or HTTPS_PROXY, keeping it \
              out of version control.",
    tell: "E407 Proxy Authentication Required.",
  },
  Cause {
    id: "proxy-misconfigured",
    title: "The configured proxy is unreachable or invalid",
    codes: &["ECONNREFUSED", "ETIMEDOUT", "ENOTFOUND", "EINVALIDPROXY"],
    explain: "npm is sending requests to a proxy that is not there (a stale setting, a VPN proxy that \
              is off) or is written wrong. Fix or delete the setting at the layer that sets it.",
    tell: "The failed address is the proxy's, or EINVALIDPROXY.",
  },
  Cause {
    id: "registry-misconfigured",
    title: "The registry URL does not speak npm's protocol",
    codes: &[
      "EJSONPARSE",
      "FETCH_ERROR",
      "EPROTO",
      "ERR_SSL_WRONG_VERSION_NUMBER",
    ],
    explain: "The registry URL answers with something other than npm's JSON API: a web page (a login \
              portal, the wrong path on Artifactory or Nexus), or plain HTTP where https was written \
              (or the other way round).",
    tell: "'invalid json response body', 'wrong version number'.",
  },
  Cause {
    id: "dns-failure",
    title: "The registry's host name does not resolve",
    codes: &["EAI_AGAIN", "ENOTFOUND", "EAI_FAIL"],
    explain: "ENOTFOUND: the name does not exist (a typo, a private host off the VPN). EAI_AGAIN: the \
              resolver did not answer (DNS inside Docker builds and containers, a VPN). npm does not \
              retry either.",
    tell: "getaddrinfo EAI_AGAIN / ENOTFOUND.",
  },
  Cause {
    id: "connection-refused",
    title: "Nothing is listening at the registry's address",
    codes: &["ECONNREFUSED"],
    explain: "The host answered but no server listens on that port: a local registry (Verdaccio on \
              4873) that is not running, a wrong port, an IPv6 address where the server listens on \
              IPv4 only.",
    tell: "connect ECONNREFUSED at an address that is not a configured proxy.",
  },
  Cause {
    id: "network-unreachable",
    title: "The network has no route to the registry",
    codes: &["ENETUNREACH", "EHOSTUNREACH"],
    explain: "No route: offline, a VPN or firewall, or an IPv6 address without IPv6 connectivity.",
    tell: "ENETUNREACH, EHOSTUNREACH.",
  },
  Cause {
    id: "network-timeout",
    title: "The registry did not answer in time",
    codes: &[
      "ETIMEDOUT",
      "ERR_SOCKET_TIMEOUT",
      "EIDLETIMEOUT",
      "ECONNECTIONTIMEOUT",
      "FETCH_ERROR",
    ],
    explain: "Packets go unanswered: a firewall dropping traffic, an IPv6 black hole, a slow proxy, \
              or a fetch-timeout set too low.",
    tell: "ETIMEDOUT, 'network timeout at', npm's agent timeouts.",
  },
  Cause {
    id: "connection-reset",
    title: "The connection was cut mid-request",
    codes: &["ECONNRESET"],
    explain: "Something closed the connection: a proxy or firewall, a TLS-inspecting middlebox, or a \
              registry incident. Usually transient; repeated failures point at the network path.",
    tell: "ECONNRESET, 'socket hang up'.",
  },
  Cause {
    id: "tls-untrusted",
    title: "npm does not trust the registry's certificate",
    codes: &[
      "SELF_SIGNED_CERT_IN_CHAIN",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    ],
    explain: "The certificate chain ends at a CA npm does not know: a TLS-inspecting proxy (Zscaler \
              and the like), a private registry with its own CA, or a server that omits its \
              intermediate certificate. Trust the right CA: `npm config set cafile <ca.pem>`, or \
              NODE_EXTRA_CA_CERTS=<ca.pem>, or NODE_USE_SYSTEM_CA=1 on Node >= 22.19 / 24.6 to use \
              the system store. Never strict-ssl=false or NODE_TLS_REJECT_UNAUTHORIZED=0: they turn \
              off the check that stops a man in the middle.",
    tell: "SELF_SIGNED_CERT_IN_CHAIN, DEPTH_ZERO_SELF_SIGNED_CERT, UNABLE_TO_GET_ISSUER_CERT_LOCALLY, \
           UNABLE_TO_VERIFY_LEAF_SIGNATURE.",
  },
  Cause {
    id: "tls-expired",
    title: "The registry's certificate has expired (or is not valid yet)",
    codes: &["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"],
    explain: "Either the server's certificate really expired (the registry or mirror must renew it) \
              or this machine's clock is wrong. Check `date` first.",
    tell: "CERT_HAS_EXPIRED, CERT_NOT_YET_VALID.",
  },
  Cause {
    id: "tls-hostname",
    title: "The certificate is for another host name",
    codes: &["ERR_TLS_CERT_ALTNAME_INVALID"],
    explain: "The server presented a certificate that does not name the host npm asked for: a \
              registry URL with the wrong host, a mirror, or DNS that points somewhere else.",
    tell: "ERR_TLS_CERT_ALTNAME_INVALID.",
  },
  Cause {
    id: "permission-denied",
    title: "npm may not write where it needs to",
    codes: &["EACCES", "EPERM"],
    explain: "The operating system refused npm a file: a global install into a system folder \
              (/usr/local, /usr) that only root may write, a cache or node_modules left owned by root \
              by an earlier `sudo npm`, or a container volume owned by another user. `sudo npm` is \
              not the fix: it runs every package's install scripts as root and leaves more root-owned \
              files behind. Give npm a global prefix of your own, or take the files back.",
    tell: "EACCES or EPERM with npm's `path` line naming the file.",
  },
  Cause {
    id: "usage-error",
    title: "npm could not run this command as given",
    codes: &["EUSAGE"],
    explain: "The command line is incomplete or contradicts the project: most often `npm ci` without \
              a package-lock.json, or with one that no longer matches package.json.",
    tell: "EUSAGE.",
  },
  Cause {
    id: "rate-limited",
    title: "The registry is rate-limiting these requests",
    codes: &["E429"],
    explain: "Too many requests from this address or token. Wait and retry; in CI, cache \
              ~/.npm between runs so fewer requests are made.",
    tell: "E429 Too Many Requests.",
  },
  Cause {
    id: "registry-unavailable",
    title: "The registry (or a proxy in front of it) is failing",
    codes: &["E500", "E502", "E503", "E504"],
    explain: "A server error: the registry or a proxy in between is down or overloaded. Nothing on \
              this side is wrong; retry later, and check the registry's status page.",
    tell: "E5xx.",
  },
];

#[cfg(test)]
mod tests {
  use super::*;
  use crate::signature::SIGNATURES;

  #[test]
  fn ids_are_unique_and_every_signature_names_a_cause() {
    let mut ids: Vec<_> = CAUSES.iter().map(|c| c.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), CAUSES.len());
    for s in SIGNATURES {
      assert!(
        find(s.cause).is_some(),
        "signature names unknown cause {}",
        s.cause
      );
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
    assert_eq!(with_code("eai_again")[0].id, "dns-failure");
  }
}
