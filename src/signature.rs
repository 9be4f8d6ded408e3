//! npm error signatures: the data that maps what npm printed to a cause.
//!
//! A signature matches on stable tokens first — npm's code, the HTTP status
//! and method, the host — and on the registry's own reason second, never on
//! npm's hint sentences, which change between versions. Adding a signature is
//! one entry here plus one fixture under `tests/fixtures/`.
//!
//! `weight` is how likely the cause is when the signature matches (0–100).
//! A `fallback` signature only counts when no specific one matched: a bare
//! 403 on PUT means "no permission" unless the registry said something more
//! precise.

#[derive(Debug)]
pub(crate) struct Signature {
  pub(crate) cause: &'static str,
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
  pub(crate) weight: u8,
  pub(crate) fallback: bool,
}

const fn sig(cause: &'static str, weight: u8) -> Signature {
  Signature {
    cause,
    codes: &[],
    status: None,
    methods: &[],
    text: None,
    reason: None,
    host: None,
    notice: None,
    weight,
    fallback: false,
  }
}

impl Signature {
  const fn codes(mut self, codes: &'static [&'static str]) -> Self {
    self.codes = codes;
    self
  }
  const fn status(mut self, status: u16) -> Self {
    self.status = Some(status);
    self
  }
  const fn on(mut self, methods: &'static [&'static str]) -> Self {
    self.methods = methods;
    self
  }
  const fn text(mut self, regex: &'static str) -> Self {
    self.text = Some(regex);
    self
  }
  const fn reason(mut self, regex: &'static str) -> Self {
    self.reason = Some(regex);
    self
  }
  const fn host(mut self, regex: &'static str) -> Self {
    self.host = Some(regex);
    self
  }
  const fn notice(mut self, regex: &'static str) -> Self {
    self.notice = Some(regex);
    self
  }
  const fn fallback(mut self) -> Self {
    self.fallback = true;
    self
  }
}

const WRITE: &[&str] = &["PUT", "DELETE", "POST"];
const READ: &[&str] = &["GET", "HEAD"];
const GHP: &str = r"^npm\.pkg\.github\.com$";

pub(crate) const SIGNATURES: &[Signature] = &[
  // One-time passwords.
  sig("otp-required", 97).codes(&["EOTP"]),
  sig("otp-required", 95).status(401).text(r"one-time pass"),
  // Tokens the registry reports as expired or revoked (also as a notice on success).
  sig("token-expired", 92).notice(r"(?i)access token expired or revoked").status(401),
  sig("token-expired", 92).notice(r"(?i)access token expired or revoked").status(404),
  sig("token-expired", 92).notice(r"(?i)access token expired or revoked").status(403),
  sig("token-expired", 90).status(401).text(r"token (?:has )?(?:expired|been revoked)|expired token"),
  // No credentials at all.
  sig("not-logged-in", 95).codes(&["ENEEDAUTH"]),
  sig("not-logged-in", 88).status(401).text(r"authentication token not provided|authorization required to"),
  sig("not-logged-in", 88).status(403).text(r"unregistered users are not allowed"),
  // Credentials sent and refused.
  sig("auth-rejected", 90).status(401).host(GHP).text(r"cannot be authenticated with the token"),
  sig("auth-rejected", 85).codes(&["EAUTHIP"]),
  sig("auth-rejected", 70).status(401).fallback(),
  // Publishing: who may publish what.
  sig("version-exists", 98).text(r"cannot publish over (?:the )?(?:previously published|existing) version"),
  sig("version-exists", 95).codes(&["E409", "EPUBLISHCONFLICT"]),
  sig("name-too-similar", 98).status(403).text(r"too similar to existing package"),
  sig("token-cannot-publish", 97).status(403).text(r"two-factor authentication or granular access token with bypass 2fa"),
  sig("token-cannot-publish", 96).status(403).text(r"automation token was specified|two-factor authentication is required to publish"),
  sig("token-cannot-publish", 95).status(403).text(r"may not perform that action with these credentials"),
  sig("token-cannot-publish", 92).text(r"read-only token|token is read.only"),
  sig("token-cannot-publish", 95).status(401).text(r"tokens that bypass 2fa are being restricted"),
  sig("email-unverified", 97).status(403).text(r"verify your e-?mail|e-?mail (?:address )?(?:is )?not (?:yet )?verified"),
  sig("publish-forbidden", 95).status(403).on(WRITE).text(
    r"do not have permission to publish|not allowed to publish|no permission to upload|permission_denied: write_package|not allowed to write organization package|owner not found|must have required permissions",
  ),
  sig("publish-forbidden", 60).status(403).on(WRITE).fallback(),
  // A bare "Forbidden" on publish is also what an unverified e-mail looks like.
  sig("email-unverified", 35).status(403).on(WRITE).reason(r"(?i)^(?:forbidden)?$").fallback(),
  sig("scoped-access", 97).codes(&["E402"]),
  sig("scoped-access", 95).text(r"you must sign up for private packages"),
  sig("publish-not-found", 90).status(404).on(&["PUT"]),
  sig("package-private", 98).codes(&["EPRIVATE"]),
  sig("package-private", 95).text(r"this package has been marked as private"),
  sig("provenance-invalid", 97).text(r"provenance (?:bundle|statement)|verifying sigstore|sourcerepositoryref"),
  sig("provenance-invalid", 60).codes(&["E422"]).on(&["PUT"]).fallback(),
  sig("trusted-publishing-failed", 92).text(r"oidc/token/exchange|failed token exchange"),
  sig("trusted-publishing-failed", 90).text(r#"requires "write" access to the "id-token" permission|provenance generation (?:in github actions )?(?:is )?not supported"#),
  // Reading: packages, scopes, policies, proxies.
  sig("policy-blocked", 96).status(403).text(r"quarantined|policy violation|blocked by (?:package )?firewall|curation|blocked by (?:your )?(?:organi[sz]ation|administrator)"),
  sig("registry-forbidden", 92).status(403).host(GHP).text(r"permission_denied: read_package"),
  sig("registry-forbidden", 90).status(403).text(r"the caller does not have permission"),
  sig("registry-forbidden", 70).status(403).on(READ).fallback(),
  sig("package-not-found", 85).status(404).on(READ),
  sig("package-not-found", 80).status(404).text(r"is not in (?:the npm|this) registry|could not be found or you do not have permission").fallback(),
  sig("version-not-found", 95).codes(&["ETARGET"]),
  sig("version-not-found", 90).text(r"no matching version found for"),
  sig("proxy-auth-required", 98).codes(&["E407"]),
  sig("proxy-auth-required", 95).status(407),
  sig("proxy-misconfigured", 95).codes(&["EINVALIDPROXY"]),
  sig("proxy-misconfigured", 92).text(r"connecting to proxy|tunneling socket could not be established"),
  sig("registry-misconfigured", 90).text(r"invalid json response body|unexpected token '?<'?.*(?:json|doctype)"),
  sig("registry-misconfigured", 88).codes(&["ERR_SSL_WRONG_VERSION_NUMBER", "EPROTO"]),
  sig("registry-misconfigured", 85).text(r"wrong version number|packet length too long|http_request"),
  // The network.
  sig("dns-failure", 96).codes(&["EAI_AGAIN", "ENOTFOUND", "EAI_FAIL", "EAI_NONAME"]),
  sig("dns-failure", 92).text(r"getaddrinfo (?:EAI_AGAIN|ENOTFOUND|EAI_FAIL)"),
  sig("connection-refused", 92).codes(&["ECONNREFUSED"]),
  sig("connection-refused", 88).text(r"connect ECONNREFUSED"),
  sig("network-unreachable", 95).codes(&["ENETUNREACH", "EHOSTUNREACH", "EADDRNOTAVAIL"]),
  sig("network-timeout", 95).codes(&[
    "ETIMEDOUT",
    "ESOCKETTIMEDOUT",
    "ERR_SOCKET_TIMEOUT",
    "ECONNECTIONTIMEOUT",
    "EIDLETIMEOUT",
    "ERESPONSETIMEOUT",
    "ETRANSFERTIMEOUT",
    "UND_ERR_CONNECT_TIMEOUT",
  ]),
  sig("network-timeout", 90).text(r"network timeout at|response timeout while trying to fetch|timeout connecting to host|idle timeout reached|transfer timeout"),
  sig("connection-reset", 95).codes(&["ECONNRESET", "EPIPE"]),
  sig("connection-reset", 88).text(r"socket hang up|read ECONNRESET|invalid response body while trying to fetch .*: aborted"),
  // TLS.
  sig("tls-untrusted", 97).codes(&[
    "SELF_SIGNED_CERT_IN_CHAIN",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  ]),
  sig("tls-untrusted", 92).text(r"self.signed certificate|unable to get (?:local )?issuer certificate|unable to verify the first certificate"),
  sig("tls-expired", 97).codes(&["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]),
  sig("tls-expired", 92).text(r"certificate has expired|certificate is not yet valid"),
  sig("tls-hostname", 97).codes(&["ERR_TLS_CERT_ALTNAME_INVALID"]),
  sig("tls-hostname", 92).text(r"does not match certificate's altnames"),
  // Using npm.
  sig("permission-denied", 90).codes(&["EACCES"]),
  sig("permission-denied", 80).codes(&["EPERM"]),
  sig("usage-error", 90).codes(&["EUSAGE"]),
  sig("rate-limited", 97).codes(&["E429"]),
  sig("rate-limited", 95).status(429),
  sig("registry-unavailable", 95).codes(&["E500", "E502", "E503", "E504"]),
  sig("registry-unavailable", 85).status(500),
  sig("registry-unavailable", 85).status(502),
  sig("registry-unavailable", 85).status(503),
  sig("registry-unavailable", 85).status(504),
];

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn every_regex_compiles() {
    for s in SIGNATURES {
      for r in [s.text, s.reason, s.host, s.notice].into_iter().flatten() {
        regex::Regex::new(r).unwrap_or_else(|e| panic!("{}: {e}", s.cause));
      }
    }
  }
}
