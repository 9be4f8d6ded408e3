//! Certificates: a CA npm does not trust, a certificate out of its dates, a
//! certificate for another name.
//!
//! Every step here fixes trust; none turns verification off. Settings that
//! already turn it off (strict-ssl=false, NODE_TLS_REJECT_UNAUTHORIZED=0) are
//! named as unsafe wherever they are found.

use super::{Cause, sig};
use crate::{advice::Advice, advice::parse_version, product::Product, url};

pub(super) static CAUSES: &[&Cause] = &[&TLS_UNTRUSTED, &TLS_EXPIRED, &TLS_HOSTNAME];

pub(crate) static TLS_UNTRUSTED: Cause = Cause {
  id: "tls-untrusted",
  title: "npm does not trust the registry's certificate",
  explain: "The certificate chain ends at a CA npm does not know: a TLS-inspecting proxy (Zscaler \
            and the like), a private registry with its own CA, or a server that omits its \
            intermediate certificate. Trust the right CA: `npm config set cafile <ca.pem>`, or \
            NODE_EXTRA_CA_CERTS=<ca.pem>, or NODE_USE_SYSTEM_CA=1 on Node >= 22.19 / 24.6 to use \
            the system store. Never strict-ssl=false or NODE_TLS_REJECT_UNAUTHORIZED=0: they turn \
            off the check that stops a man in the middle.",
  tell: "SELF_SIGNED_CERT_IN_CHAIN, DEPTH_ZERO_SELF_SIGNED_CERT, UNABLE_TO_GET_ISSUER_CERT_LOCALLY, \
         UNABLE_TO_VERIFY_LEAF_SIGNATURE.",
  signatures: &[
    sig(97).codes(&[
      "SELF_SIGNED_CERT_IN_CHAIN",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      "UNABLE_TO_GET_ISSUER_CERT",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    ]),
    sig(92).text(
      r"self.signed certificate|unable to get (?:local )?issuer certificate|unable to verify the first certificate",
    ),
  ],
  rules: &[],
  supersedes: &[],
  advise: tls_untrusted,
};

pub(crate) static TLS_EXPIRED: Cause = Cause {
  id: "tls-expired",
  title: "The registry's certificate has expired (or is not valid yet)",
  explain: "Either the server's certificate really expired (the registry or mirror must renew it) \
            or this machine's clock is wrong. Check `date` first.",
  tell: "CERT_HAS_EXPIRED, CERT_NOT_YET_VALID.",
  signatures: &[
    sig(97).codes(&["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]),
    sig(92).text(r"certificate has expired|certificate is not yet valid"),
  ],
  rules: &[],
  supersedes: &[],
  advise: tls_expired,
};

pub(crate) static TLS_HOSTNAME: Cause = Cause {
  id: "tls-hostname",
  title: "The certificate is for another host name",
  explain: "The server presented a certificate that does not name the host npm asked for: a \
            registry URL with the wrong host, a mirror, or DNS that points somewhere else.",
  tell: "ERR_TLS_CERT_ALTNAME_INVALID.",
  signatures: &[
    sig(97).codes(&["ERR_TLS_CERT_ALTNAME_INVALID"]),
    sig(92).text(r"does not match certificate's altnames"),
  ],
  rules: &[],
  supersedes: &[],
  advise: tls_hostname,
};

/// The host as `openssl s_client` wants it: name and port apart.
fn endpoint(a: &Advice) -> (String, String) {
  let host = a.s.host();
  let bare = url::hostname(&a.s.url()).unwrap_or_else(|| host.clone());
  let port = host
    .rsplit_once(':')
    .map(|(_, p)| p.to_owned())
    .unwrap_or_else(|| "443".into());
  (bare, port)
}

fn tls_expired(a: &mut Advice) {
  unsafe_settings(a);
  let host = a.s.host();
  let (bare, port) = endpoint(a);
  a.run(
    "The certificate has expired or is not valid yet, or this machine's clock is wrong. Check the clock first:",
    "date -u",
  );
  a.run(
    format!("Then the dates of the certificate {host} presents (if it really expired, its operators must renew it):"),
    format!("openssl s_client -connect {bare}:{port} -servername {bare} </dev/null 2>/dev/null | openssl x509 -noout -dates"),
  );
}

fn tls_hostname(a: &mut Advice) {
  unsafe_settings(a);
  let host = a.s.host();
  let (bare, port) = endpoint(a);
  let package = a.s.package_name();
  if let Some(s) = a.ctx.registry_for(package.as_deref()).1 {
    let origin = s.origin();
    a.note(format!("registry = {} from {origin}", s.value));
  }
  a.say(format!(
    "The certificate {host} presented is for another name: check the registry's host name, or DNS sending {bare} somewhere else."
  ));
  a.run(
    "See which names the certificate covers:",
    format!("openssl s_client -connect {bare}:{port} -servername {bare} </dev/null 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName"),
  );
}

fn tls_untrusted(a: &mut Advice) {
  if a.lockfile_only() {
    return;
  }
  unsafe_settings(a);
  let host = a.s.host();
  let (bare, port) = endpoint(a);
  let configured = ca_settings(a, &host);
  let proxy = a.ctx.proxy_for(&a.s.url());
  if let Some(p) = &proxy {
    a.note_proxy(p);
  }
  let leaf = a.s.request.code.as_deref() == Some("UNABLE_TO_VERIFY_LEAF_SIGNATURE")
    || a.s.has(crate::facts::Hint::LeafOnly);
  let why = if leaf {
    format!(
      "{host} sends its certificate without the intermediate CA certificate. Its operators should serve the full chain; meanwhile, trust that intermediate (PEM) for npm:"
    )
  } else if proxy.is_some() || Product::of(&a.s.url()) == Product::Npmjs {
    format!(
      "{host}'s certificate was signed by a CA this machine does not trust: on a company network usually a TLS-inspecting proxy (Zscaler and the like). Get that CA certificate (PEM) from IT and trust it for npm:"
    )
  } else {
    format!(
      "{host}'s certificate was signed by a CA this machine does not trust (a private registry's own CA?). Trust that CA (PEM) for npm:"
    )
  };
  a.run(
    format!(
      "{why} (Not strict-ssl=false or NODE_TLS_REJECT_UNAUTHORIZED=0: they turn off the check that stops someone in \
       the middle from serving you altered packages.)"
    ),
    "npm config set cafile /path/to/ca.pem",
  );
  let system_ca = a
    .s
    .facts
    .node_version
    .as_deref()
    .is_some_and(node_has_system_ca);
  let system_ca_text = if system_ca {
    "Or trust it for every Node.js program (`export NODE_EXTRA_CA_CERTS=/path/to/ca.pem`), or use the system's CA \
     store, where IT usually installs that CA:"
  } else {
    "Or trust it for every Node.js program (`export NODE_EXTRA_CA_CERTS=/path/to/ca.pem`), or, on Node.js >= 22.19 \
     or >= 24.6, use the system's CA store:"
  };
  a.run(
    system_ca_text,
    format!("NODE_USE_SYSTEM_CA=1 {}", a.s.command_line()),
  );
  a.run(
    "See which CA signed the certificate:",
    format!("openssl s_client -connect {bare}:{port} -servername {bare} -showcerts </dev/null"),
  );
  if !configured {
    a.note("no cafile and no NODE_EXTRA_CA_CERTS set");
  }
}

/// What is already configured for CAs, and whether it can work; true if
/// anything is configured.
fn ca_settings(a: &mut Advice, host: &str) -> bool {
  let mut configured = false;
  let cafile = a.ctx.config.as_ref().and_then(|config| {
    let c = config.get("cafile")?;
    Some((c.value.to_owned(), c.origin(), config.resolve_path(c.value)))
  });
  if let Some((value, origin, path)) = cafile {
    configured = true;
    if path.is_file() {
      a.note(format!("cafile = {value} from {origin}"));
      a.say(format!(
        "cafile is set ({origin}) to {}, but that file does not contain the CA that signed {host}'s certificate.",
        path.display()
      ));
    } else {
      a.note(format!(
        "cafile = {value} from {origin}, which does not exist"
      ));
      a.say(format!(
        "cafile is set at {origin} to {}, which does not exist, so npm trusts only its defaults. Fix the path.",
        path.display()
      ));
    }
  }
  let extra = a
    .ctx
    .env_var("NODE_EXTRA_CA_CERTS")
    .filter(|v| !v.is_empty())
    .map(str::to_owned);
  if let Some(extra) = extra {
    configured = true;
    if std::path::Path::new(&extra).is_file() {
      a.note(format!("NODE_EXTRA_CA_CERTS = {extra}"));
    } else {
      a.note(format!(
        "NODE_EXTRA_CA_CERTS = {extra}, which does not exist"
      ));
      a.say(format!(
        "NODE_EXTRA_CA_CERTS names {extra}, which does not exist (Node.js ignores it with a warning)."
      ));
    }
  }
  configured
}

/// strict-ssl=false or NODE_TLS_REJECT_UNAUTHORIZED=0 anywhere: named as unsafe.
fn unsafe_settings(a: &mut Advice) {
  let off: Vec<String> = a
    .ctx
    .config
    .iter()
    .flat_map(|c| c.all())
    .filter(|s| s.key == "strict-ssl" && s.value == "false")
    .map(|s| s.origin())
    .collect();
  for origin in off {
    a.note(format!("strict-ssl=false at {origin}"));
    a.say(format!(
      "strict-ssl=false at {origin} is unsafe: it accepts any certificate. Remove it once the CA is trusted."
    ));
  }
  if a.ctx.env_var("NODE_TLS_REJECT_UNAUTHORIZED") == Some("0") {
    a.note("NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment");
    a.say("NODE_TLS_REJECT_UNAUTHORIZED=0 is set: it turns off certificate checks for every Node.js program. Unset it.");
  }
}

/// `NODE_USE_SYSTEM_CA` exists from Node.js 22.19 and 24.6 (and 23.8).
fn node_has_system_ca(version: &str) -> bool {
  parse_version(version).is_some_and(|(a, b, _, _)| {
    (a == 22 && b >= 19) || (a == 23 && b >= 8) || (a == 24 && b >= 6) || a >= 25
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn system_ca_arrived_in_22_19_and_24_6() {
    assert!(node_has_system_ca("v22.19.0"));
    assert!(node_has_system_ca("24.6.1"));
    assert!(!node_has_system_ca("v22.18.0"));
    assert!(!node_has_system_ca("20.20.2"));
  }
}
