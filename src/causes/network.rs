//! Reaching the registry at all — names, routes, ports, timeouts, resets —
//! and the registry's own state: the wrong endpoint, rate limits, outages.

use super::{Cause, sig};
use crate::{advice::Advice, command::quote, config::Source, facts::Hint, product::Product, url};

pub(super) static CAUSES: &[&Cause] = &[
  &REGISTRY_MISCONFIGURED,
  &DNS_FAILURE,
  &CONNECTION_REFUSED,
  &NETWORK_UNREACHABLE,
  &NETWORK_TIMEOUT,
  &CONNECTION_RESET,
  &RATE_LIMITED,
  &REGISTRY_UNAVAILABLE,
];

pub(crate) static REGISTRY_MISCONFIGURED: Cause = Cause {
  id: "registry-misconfigured",
  title: "The registry URL does not speak npm's protocol",
  explain: "The registry URL answers with something other than npm's JSON API: a web page (a login \
            portal, the wrong path on Artifactory or Nexus), or plain HTTP where https was written \
            (or the other way round).",
  tell: "'invalid json response body', 'wrong version number'.",
  signatures: &[
    sig(90)
      .text(r"invalid json response body|unexpected token '?<'?.*(?:json|doctype)")
      .seen_with(&["EJSONPARSE", "FETCH_ERROR"]),
    sig(88).codes(&["ERR_SSL_WRONG_VERSION_NUMBER", "EPROTO"]),
    sig(85).text(r"wrong version number|packet length too long|http_request"),
  ],
  rules: &[],
  supersedes: &[],
  advise: registry_misconfigured,
};

fn registry_misconfigured(a: &mut Advice) {
  let registry = a.s.registry();
  let package = a.s.package_name();
  let (configured, setting) = a.ctx.registry_for(package.as_deref());
  if let Some(s) = &setting {
    let origin = s.origin();
    a.note(format!("registry = {} from {origin}", s.value));
  }
  if a.s.has(Hint::SchemeMismatch) {
    a.say(format!(
      "{registry} mixes up http and https: an https:// URL on a plain-HTTP port (or the reverse)."
    ));
  } else {
    a.say(format!(
      "{registry} answered with something other than npm's JSON (a web page?): the URL is not an npm registry endpoint. \
       Artifactory's is …/artifactory/api/npm/<repo>/, Nexus's …/repository/<repo>/."
    ));
  }
  if configured.starts_with("http://registry.npmjs.org")
    || registry.starts_with("http://registry.npmjs.org")
  {
    a.run(
      "npmjs.com is served over https only:",
      "npm config set registry https://registry.npmjs.org/",
    );
  }
  a.run(
    "Check the registry answers like one:",
    format!("npm ping --registry {}", quote(&registry)),
  );
}

pub(crate) static DNS_FAILURE: Cause = Cause {
  id: "dns-failure",
  title: "The registry's host name does not resolve",
  explain: "ENOTFOUND: the name does not exist (a typo, a private host off the VPN). EAI_AGAIN: the \
            resolver did not answer (DNS inside Docker builds and containers, a VPN). npm does not \
            retry either.",
  tell: "getaddrinfo EAI_AGAIN / ENOTFOUND.",
  signatures: &[
    sig(96).codes(&["EAI_AGAIN", "ENOTFOUND", "EAI_FAIL", "EAI_NONAME"]),
    sig(92).text(r"getaddrinfo (?:EAI_AGAIN|ENOTFOUND|EAI_FAIL)"),
    sig(96).text(r"npm (?:ERR!|error) code (?:EAI_AGAIN|ENOTFOUND)"),
  ],
  rules: &[],
  supersedes: &[],
  advise: dns_failure,
};

fn dns_failure(a: &mut Advice) {
  // The host the error names: the proxy's, if npm went through one.
  let host = a
    .s
    .block
    .and_then(|b| b.details.unresolved.clone())
    .unwrap_or_else(|| a.s.host());
  if a.lockfile_only() {
    return;
  }
  if a.s.request.code.as_deref() == Some("EAI_AGAIN") || a.s.has(Hint::DnsTryAgain) {
    a.say(format!(
      "The DNS resolver did not answer for {host} (EAI_AGAIN): the name may be fine, the resolver is not reachable."
    ));
    // Container advice only where there is a container.
    if a.s.facts.shape.container {
      a.say("This is an image build: its resolver is the Docker daemon's. Build with `docker build --network=host`, or set the daemon's DNS (\"dns\" in /etc/docker/daemon.json).");
    } else if a.ctx.devcontainer || a.ctx.codespaces {
      a.say(
        "In this container, check /etc/resolv.conf: it must name a resolver reachable from inside.",
      );
    } else {
      a.say("Check the resolver this machine uses (/etc/resolv.conf; a VPN may have replaced it), then retry: EAI_AGAIN is often brief.");
    }
  } else {
    a.say(format!(
      "{host} does not resolve (ENOTFOUND): a typo in the registry URL, or a private host reachable only on a VPN."
    ));
    let package = a.s.package_name();
    if let Some(s) = a.ctx.registry_for(package.as_deref()).1 {
      let origin = s.origin();
      a.note(format!("registry = {} from {origin}", s.value));
      a.say(format!("The registry is set at {origin}."));
    }
  }
  let bare = host.split(':').next().unwrap_or(&host).to_owned();
  a.run(
    "See what this machine's resolver says:",
    format!("getent hosts {}", quote(&bare)),
  );
}

pub(crate) static CONNECTION_REFUSED: Cause = Cause {
  id: "connection-refused",
  title: "Nothing is listening at the registry's address",
  explain: "The host answered but no server listens on that port: a local registry (Verdaccio on \
            4873) that is not running, a wrong port, an IPv6 address where the server listens on \
            IPv4 only.",
  tell: "connect ECONNREFUSED at an address that is not a configured proxy.",
  signatures: &[
    sig(92).codes(&["ECONNREFUSED"]),
    sig(88).text(r"connect ECONNREFUSED"),
  ],
  rules: &[],
  supersedes: &[],
  advise: connection_refused,
};

fn connection_refused(a: &mut Advice) {
  let registry = a.s.registry();
  let package = a.s.package_name();
  let setting = a.ctx.registry_for(package.as_deref()).1;
  let target = a
    .s
    .block
    .and_then(|b| b.details.refused.clone())
    .unwrap_or_else(|| a.s.host());
  if let Some(s) = &setting {
    let origin = s.origin();
    a.note(format!("registry = {} from {origin}", s.value));
  }
  let local = |address: &str| {
    ["127.", "localhost", "[::1]", "::1"]
      .iter()
      .any(|p| address.starts_with(p))
  };
  let registry_host = url::host_of(&registry).unwrap_or_default();
  if local(&target) && local(&registry_host) {
    a.say(format!(
      "Nothing listens at {target}: the registry is a local one ({registry}) that is not running. Start it (Verdaccio listens on 4873 by default)."
    ));
  } else if local(&target) {
    // The registry is not local, yet npm connected here: something sends
    // the name to this machine.
    a.say(format!(
      "npm connected to {target} for {registry_host}: this machine itself. A proxy or VPN client that should listen \
       there is off, or /etc/hosts sends {registry_host} here."
    ));
  } else {
    a.say(format!(
      "{target} refused the connection: nothing listens on that port, or a firewall rejects it."
    ));
  }
  let Some(s) = setting else {
    a.run("Check which registry npm uses:", "npm config get registry");
    return;
  };
  let origin = s.origin();
  match s.layer.source {
    Source::Project | Source::User | Source::Global => {
      let location = match s.layer.source {
        Source::Project => "project",
        Source::User => "user",
        _ => "global",
      };
      a.run(
        format!("If you did not mean to use {registry} (set at {origin}), go back to the default:"),
        format!("npm config delete {} --location={location}", s.key),
      );
    }
    Source::Cli => a.run(
      format!(
        "{registry} comes from --{} on your command line. Without it, npm would use:",
        s.key
      ),
      "npm config get registry",
    ),
    Source::Env => {
      let var = s.entry.raw.clone();
      a.run(
        format!(
          "{registry} comes from the environment variable {var}. If that is stale, unset it:"
        ),
        format!("unset {var}"),
      );
    }
    _ => a.run("Check which registry npm uses:", "npm config get registry"),
  }
}

pub(crate) static NETWORK_UNREACHABLE: Cause = Cause {
  id: "network-unreachable",
  title: "The network has no route to the registry",
  explain: "No route: offline, a VPN or firewall, or an IPv6 address without IPv6 connectivity.",
  tell: "ENETUNREACH, EHOSTUNREACH.",
  signatures: &[sig(95).codes(&["ENETUNREACH", "EHOSTUNREACH", "EADDRNOTAVAIL"])],
  rules: &[],
  supersedes: &[],
  advise: network_unreachable,
};

fn network_unreachable(a: &mut Advice) {
  note_proxy_if_any(a);
  ipv4_first(a, true);
  a.say(format!(
    "There is no route to {}: offline, a VPN, or a firewall.",
    a.s.host()
  ));
  a.environment_steps();
}

pub(crate) static NETWORK_TIMEOUT: Cause = Cause {
  id: "network-timeout",
  title: "The registry did not answer in time",
  explain: "Packets go unanswered: a firewall dropping traffic, an IPv6 black hole, a slow proxy, \
            or a fetch-timeout set too low.",
  tell: "ETIMEDOUT, 'network timeout at', npm's agent timeouts.",
  signatures: &[
    sig(95).codes(&[
      "ETIMEDOUT",
      "ESOCKETTIMEDOUT",
      "ERR_SOCKET_TIMEOUT",
      "ECONNECTIONTIMEOUT",
      "EIDLETIMEOUT",
      "ERESPONSETIMEOUT",
      "ETRANSFERTIMEOUT",
      "UND_ERR_CONNECT_TIMEOUT",
    ]),
    sig(90)
      .text(r"network timeout at|response timeout while trying to fetch|timeout connecting to host|idle timeout reached|transfer timeout")
      .seen_with(&["FETCH_ERROR"]),
  ],
  rules: &[],
  supersedes: &[],
  advise: network_timeout,
};

fn network_timeout(a: &mut Advice) {
  note_proxy_if_any(a);
  ipv4_first(a, false);
  a.say(format!(
    "{} did not answer in time: a firewall dropping packets, a slow proxy, or the registry being slow.",
    a.s.host()
  ));
  if let Some(timeout) = a.ctx.config.as_ref().and_then(|c| c.get("fetch-timeout")) {
    let origin = timeout.origin();
    a.note(format!("fetch-timeout = {} from {origin}", timeout.value));
  }
  a.run(
    "Retry with a longer timeout and a few retries:",
    a.s
      .command_with_all(&["--fetch-timeout=120000", "--fetch-retries=4"]),
  );
  a.environment_steps();
}

fn note_proxy_if_any(a: &mut Advice) {
  if let Some(proxy) = a.ctx.proxy_for(&a.s.url()) {
    a.note_proxy(&proxy);
  }
}

/// An IPv6 address in the error (or no route at all): Node.js may be trying
/// IPv6 on a network without it.
fn ipv4_first(a: &mut Advice, unreachable: bool) {
  if unreachable || a.s.has(Hint::Ipv6) {
    a.run(
      "If this network has no working IPv6 (an IPv6 address is in the error), make Node.js try IPv4 first:",
      format!("NODE_OPTIONS=--dns-result-order=ipv4first {}", a.s.command_line()),
    );
  }
}

pub(crate) static CONNECTION_RESET: Cause = Cause {
  id: "connection-reset",
  title: "The connection was cut mid-request",
  explain: "Something closed the connection: a proxy or firewall, a TLS-inspecting middlebox, or a \
            registry incident. Usually transient; repeated failures point at the network path.",
  tell: "ECONNRESET, 'socket hang up'.",
  signatures: &[
    sig(95).codes(&["ECONNRESET", "EPIPE"]),
    sig(88).text(
      r"socket hang up|read ECONNRESET|invalid response body while trying to fetch .*: aborted",
    ),
    // A nested npm's own block, inside an outer one (git dep preparation).
    sig(95).text(r"npm (?:ERR!|error) code ECONNRESET"),
  ],
  rules: &[],
  supersedes: &[],
  advise: connection_reset,
};

fn connection_reset(a: &mut Advice) {
  a.say(format!(
    "{} (or something between, such as a proxy or a TLS-inspecting firewall) closed the connection mid-request. Usually transient.",
    a.s.host()
  ));
  if let Some(proxy) = a.ctx.proxy_for(&a.s.url()) {
    let shown = a.note_proxy(&proxy);
    a.say(format!(
      "Requests go through {shown} ({}); if this repeats, the proxy is the first suspect.",
      proxy.origin
    ));
  }
  a.run("Run it again; npm retries what it can:", a.s.command_line());
}

pub(crate) static RATE_LIMITED: Cause = Cause {
  id: "rate-limited",
  title: "The registry is rate-limiting these requests",
  explain: "Too many requests from this address or token. Wait and retry; in CI, cache \
            ~/.npm between runs so fewer requests are made.",
  tell: "E429 Too Many Requests.",
  signatures: &[sig(97).codes(&["E429"]), sig(95).status(429)],
  rules: &[],
  supersedes: &[],
  advise: rate_limited,
};

fn rate_limited(a: &mut Advice) {
  a.say(format!(
    "{} is limiting requests from this address or token. Wait a few minutes before retrying.",
    a.s.host()
  ));
  if a.s.in_ci() == Some(true) {
    a.say("In CI, cache ~/.npm between runs (actions/setup-node: `cache: npm`) so fewer requests are made.");
  }
  a.run(
    "Then retry, preferring what is cached and backing off between retries:",
    a.s.command_with_all(&[
      "--prefer-offline",
      "--fetch-retries=5",
      "--fetch-retry-maxtimeout=120000",
    ]),
  );
}

pub(crate) static REGISTRY_UNAVAILABLE: Cause = Cause {
  id: "registry-unavailable",
  title: "The registry (or a proxy in front of it) is failing",
  explain: "A server error: the registry or a proxy in between is down or overloaded. Nothing on \
            this side is wrong; retry later, and check the registry's status page.",
  tell: "E5xx.",
  signatures: &[
    sig(95).codes(&["E500", "E502", "E503", "E504"]),
    sig(85).status(500),
    sig(85).status(502),
    sig(85).status(503),
    sig(85).status(504),
  ],
  rules: &[],
  supersedes: &[],
  advise: registry_unavailable,
};

fn registry_unavailable(a: &mut Advice) {
  let registry = a.s.registry();
  a.say(format!(
    "{} (or a proxy in front of it) failed with a server error. Nothing on your side is wrong; retry later.",
    a.s.host()
  ));
  if Product::of(&registry) == Product::Npmjs {
    a.say("npmjs.com posts incidents at https://status.npmjs.org/: check it before changing anything here.");
  }
  a.run(
    "Retry with more retries and a longer back-off, which rides out a short outage:",
    a.s
      .command_with_all(&["--fetch-retries=5", "--fetch-retry-maxtimeout=120000"]),
  );
}
