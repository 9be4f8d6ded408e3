//! The proxy between npm and the registry: one that refuses, one that wants
//! credentials, one that is not there.
//!
//! npm's text rarely says a proxy was involved: a proxy's 403 reads like the
//! registry's, and a dead proxy's ECONNREFUSED names only an address. So most
//! of this family is rules: the configuration says a proxy applies to the
//! failing URL, or the refused port is not the registry's.

use super::{Cause, Rule, network, read, sig};
use crate::{advice::Advice, context::Proxy, situation::Situation, url};

pub(super) static CAUSES: &[&Cause] =
  &[&PROXY_FORBIDDEN, &PROXY_AUTH_REQUIRED, &PROXY_MISCONFIGURED];

pub(crate) static PROXY_FORBIDDEN: Cause = Cause {
  id: "proxy-forbidden",
  title: "A proxy refused the request",
  explain: "With a proxy configured, a 403 can come from the proxy (an allowlist, a denied CONNECT) \
            and looks exactly like the registry's. Check which setting points at the proxy, ask \
            for the registry host to be allowed, or remove a proxy setting that is stale.",
  tell: "403 on GET while proxy, https-proxy or HTTPS_PROXY applies to the registry URL.",
  signatures: &[],
  // A 403 on a read while a proxy applies: the proxy may have sent it.
  rules: &[Rule {
    from: &[&read::REGISTRY_FORBIDDEN],
    replaces: false,
    weight: 80,
    when: proxy_applies,
  }],
  supersedes: &[],
  advise: proxy_forbidden,
};

fn proxy_applies(s: &Situation) -> bool {
  proxy(s).is_some()
}

/// The proxy npm used for the failing URL.
fn proxy(s: &Situation) -> Option<Proxy> {
  s.ctx.proxy_for(s.request.url.as_deref()?)
}

fn proxy_forbidden(a: &mut Advice) {
  let Some(proxy) = a.ctx.proxy_for(&a.s.url()) else {
    return;
  };
  let shown = a.note_proxy(&proxy);
  let host = a.s.host();
  a.say(format!(
    "Requests to {host} go through the proxy {shown} ({}), and a proxy's 403 looks exactly like the registry's. Ask for {host} to be allowed through it.",
    proxy.origin,
  ));
  a.remove_proxy(&proxy);
}

pub(crate) static PROXY_AUTH_REQUIRED: Cause = Cause {
  id: "proxy-auth-required",
  title: "The proxy wants credentials",
  explain: "The proxy requires authentication. Put the credentials in the proxy URL \
            (http://user:password@proxy:port) in `proxy`/`https-proxy` or HTTPS_PROXY, keeping it \
            out of version control.",
  tell: "E407 Proxy Authentication Required.",
  signatures: &[sig(98).codes(&["E407"]), sig(95).status(407)],
  rules: &[],
  supersedes: &[],
  advise: proxy_auth_required,
};

fn proxy_auth_required(a: &mut Advice) {
  let Some(proxy) = a.ctx.proxy_for(&a.s.url()) else {
    a.run(
      "The proxy wants a user and password. Put them in the proxy URL (keep it out of version control):",
      "npm config set https-proxy http://<user>:<password>@<proxy-host>:<port>",
    );
    return;
  };
  a.note_proxy(&proxy);
  let what = if proxy.url.contains('@') {
    "The proxy refused the user and password in"
  } else {
    "The proxy wants a user and password, and none is given in"
  };
  a.say(format!("{what} {} ({}).", proxy.key, proxy.origin));
  let host = url::host_of(&proxy.url).unwrap_or_default();
  let with_user = format!("http://<user>:<password>@{host}");
  let command = if proxy.origin.starts_with("environment") {
    format!("export {}={with_user}", proxy.key)
  } else {
    format!("npm config set {} {with_user}", proxy.key)
  };
  a.run(
    "Put them in the proxy URL (percent-encode special characters; keep it out of version control):",
    command,
  );
}

pub(crate) static PROXY_MISCONFIGURED: Cause = Cause {
  id: "proxy-misconfigured",
  title: "The configured proxy is unreachable or invalid",
  explain: "npm is sending requests to a proxy that is not there (a stale setting, a VPN proxy that \
            is off) or is written wrong. Fix or delete the setting at the layer that sets it.",
  tell: "The failed address is the proxy's, or EINVALIDPROXY.",
  signatures: &[
    sig(95).codes(&["EINVALIDPROXY"]),
    sig(92).text(r"connecting to proxy|tunneling socket could not be established"),
  ],
  rules: &[
    // Refused or unresolvable while a proxy applies: npm only ever
    // connects to the proxy then.
    Rule {
      from: &[&network::CONNECTION_REFUSED, &network::DNS_FAILURE],
      replaces: true,
      weight: 95,
      when: proxy_applies,
    },
    // Unreachable or reset at the proxy's own address.
    Rule {
      from: &[&network::NETWORK_UNREACHABLE, &network::CONNECTION_RESET],
      replaces: true,
      weight: 95,
      when: at_proxy,
    },
    // A timeout at the proxy's address may still be the registry's
    // slowness relayed: ranked beside it.
    Rule {
      from: &[&network::NETWORK_TIMEOUT],
      replaces: false,
      weight: 95,
      when: at_proxy,
    },
    // A saved log has no configuration, but name resolution can change the
    // address, never the port: refused at another port than the registry
    // URL's went through a proxy.
    Rule {
      from: &[&network::CONNECTION_REFUSED],
      replaces: true,
      weight: 93,
      when: refused_elsewhere,
    },
  ],
  supersedes: &[],
  advise: proxy_misconfigured,
};

/// Proxy host names people copy from tutorials and READMEs.
fn placeholder(proxy: &str) -> bool {
  let host = url::hostname(proxy)
    .unwrap_or_else(|| proxy.to_owned())
    .to_ascii_lowercase();
  [
    "yourcorp",
    "yourcompany",
    "your-company",
    "mycompany",
    "company.com",
    "example.com",
    "example.org",
    "your-proxy",
    "yourproxy",
    "proxy.server",
    "proxyserver",
    "proxy-server",
    "<",
  ]
  .iter()
  .any(|p| host.contains(p))
}

fn at_proxy(s: &Situation) -> bool {
  let Some(host) = proxy(s).and_then(|p| url::hostname(&p.url)) else {
    return false;
  };
  s.block.is_some_and(|b| b.text.contains(&host))
}

fn refused_elsewhere(s: &Situation) -> bool {
  let refused = s.block.and_then(|b| b.details.refused_port());
  let wanted = s.request.url.as_deref().and_then(url::port_of);
  matches!((refused, wanted), (Some(r), Some(w)) if r != w)
}

fn proxy_misconfigured(a: &mut Advice) {
  let details = a.s.block.map(|b| &b.details);
  // A saved log: the proxy named in npm's own message.
  let proxy = a.ctx.proxy_for(&a.s.url()).or_else(|| {
    details.and_then(|d| d.proxy.clone()).map(|url| Proxy {
      url,
      key: "proxy".into(),
      origin: "npm's configuration".into(),
      location: None,
    })
  });
  let Some(proxy) = proxy else {
    if let Some(address) = details.and_then(|d| d.refused.clone()) {
      let host = a.s.host();
      a.note(format!(
        "npm connected to {address}, not to {host}: a proxy"
      ));
      a.say(format!(
        "npm connected to {address}, not to {host} where the registry is: a proxy setting sends its requests there, and nothing listens. \
         It is set in npm's config (proxy, https-proxy) or in HTTPS_PROXY / HTTP_PROXY."
      ));
    }
    a.run(
      "See which one it is:",
      "npm config get https-proxy proxy; env | grep -i _proxy",
    );
    return;
  };
  let shown = a.note_proxy(&proxy);
  if placeholder(&proxy.url) {
    a.say(format!(
      "{} is set to {shown} ({}), a placeholder copied from a tutorial, not a real proxy.",
      proxy.key, proxy.origin
    ));
  } else if a.s.request.code.as_deref() == Some("EINVALIDPROXY") || !shown.contains("://") {
    a.say(format!(
      "{} is set to {shown}, which is not a usable proxy URL: it must start with http:// (or https://).",
      proxy.key
    ));
  } else {
    a.say(format!(
      "npm sends every request through {shown} ({}), and nothing useful answers there.",
      proxy.origin
    ));
  }
  a.remove_proxy(&proxy);
}
