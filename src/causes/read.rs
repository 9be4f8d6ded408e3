//! What an install may read: packages the registry will not show this user,
//! packages a policy blocks, names and versions that do not exist.

use super::{Cause, READ, sig};
use crate::{advice::Advice, command::quote, product::Product, url};

pub(super) static CAUSES: &[&Cause] = &[
  &REGISTRY_FORBIDDEN,
  &POLICY_BLOCKED,
  &PACKAGE_NOT_FOUND,
  &VERSION_NOT_FOUND,
];

const GITHUB_PACKAGES: &str = r"^npm\.pkg\.github\.com$";

pub(crate) static REGISTRY_FORBIDDEN: Cause = Cause {
  id: "registry-forbidden",
  title: "The registry refused access to this package",
  explain: "The registry will not let this user (or anonymous) read the package or scope: a \
            private package without access, a GitHub Packages token without read:packages, an \
            Artifactory or Google Artifact Registry permission missing.",
  tell: "403 on GET with no proxy configured.",
  signatures: &[
    sig(92)
      .status(403)
      .host(GITHUB_PACKAGES)
      .text(r"permission_denied: read_package"),
    sig(90)
      .status(403)
      .text(r"the caller does not have permission"),
    sig(70).status(403).on(READ).fallback(),
  ],
  rules: &[],
  supersedes: &[],
  advise: registry_forbidden,
};

fn registry_forbidden(a: &mut Advice) {
  let url = a.s.url();
  if a.lockfile_only() {
    return;
  }
  if a.s.product() == Product::GitHub {
    a.product_token_steps();
    return;
  }
  if a.scope_mapping() {
    return;
  }
  if Product::of(&url) == Product::Npmjs {
    npmjs_refused_a_read(a);
    return;
  }
  match a.ctx.credential_for(&url).map(|c| c.setting.origin()) {
    Some(origin) => a.note(format!("npm sent the credential set at {origin}")),
    None if a.ctx.config.is_some() => {
      a.note(format!("no credential for {} in any .npmrc", a.s.host()))
    }
    None => {}
  }
  let name = a.s.package_name().unwrap_or_else(|| "this package".into());
  a.say(format!(
    "{} refused to let this user read {name}. Ask its administrators for read access, or log in as a user who has it.",
    a.s.host()
  ));
  a.whoami("Check which user npm sends:");
  if a.ctx.codespaces {
    a.say("In GitHub Codespaces an organisation policy can block registry traffic; ask for the registry host to be allowed rather than switching registries.");
  }
}

/// registry.npmjs.org serves public packages to anyone, and answers 404, not
/// 403, for private ones a token cannot see: a 403 on a read is something
/// between this machine and npmjs.com, or npm's own hold on the package.
fn npmjs_refused_a_read(a: &mut Advice) {
  let name = a.s.package_name();
  let shown = name.as_deref().unwrap_or("the package");
  a.say(format!(
    "registry.npmjs.org serves public packages to everyone, so a 403 on reading {shown} comes from something in \
     between — a company proxy or firewall, a VPN, a network npm blocks — or npm has put {shown} on a security hold."
  ));
  match a.ctx.proxy_for(&a.s.url()) {
    Some(proxy) => {
      a.note_proxy(&proxy);
      a.remove_proxy(&proxy);
    }
    None => a.run(
      "See whether a proxy is set (npm's config or the environment):",
      "npm config get proxy https-proxy; env | grep -i _proxy",
    ),
  }
  let target = match &name {
    Some(n) => format!("https://registry.npmjs.org/{}", n.replace('/', "%2f")),
    None => "https://registry.npmjs.org/".into(),
  };
  a.run(
    "Ask npmjs.com directly, from the same machine: a 403 whose `server:` header is not cloudflare came from your network:",
    format!("curl -sSI {target}"),
  );
  if let Some(n) = name {
    a.say(format!(
      "If the request reaches npmjs.com and still fails, see whether npm holds the package: https://www.npmjs.com/package/{n}"
    ));
  }
}

pub(crate) static POLICY_BLOCKED: Cause = Cause {
  id: "policy-blocked",
  title: "A security policy blocked this package",
  explain: "A repository firewall or curation service (Sonatype Firewall, JFrog Curation, a package \
            firewall) blocked this package or version. Ask its administrators, or use a version \
            the policy allows.",
  tell: "403 with 'quarantined', 'policy violations', 'blocked by firewall'.",
  signatures: &[sig(96).status(403).text(
    r"quarantined|polic(?:y|ies) violat|violated polic|blocked by (?:package )?firewall|curation|blocked by (?:your )?(?:organi[sz]ation|administrator)",
  )],
  rules: &[],
  supersedes: &[],
  advise: policy_blocked,
};

fn policy_blocked(a: &mut Advice) {
  let name = a.s.package_name();
  if !a.s.reason().is_empty() {
    let reason = a.s.reason().to_owned();
    a.note(format!("the registry said: {reason}"));
  }
  a.say(format!(
    "{} blocked {} by policy (a repository firewall or curation service: Nexus Firewall, JFrog Curation, Socket …): \
     the package or that version was judged risky. Ask its administrators why, or use a version the policy allows.",
    a.s.host(),
    name.as_deref().unwrap_or("this package")
  ));
  if let Some(name) = name {
    a.run(
      "List the versions the registry offers:",
      format!("npm view {} versions", quote(&name)),
    );
  }
}

pub(crate) static PACKAGE_NOT_FOUND: Cause = Cause {
  id: "package-not-found",
  title: "The registry has no such package (or will not say)",
  explain: "The name is misspelled, not published, or private to a registry or scope this \
            configuration does not reach: a scoped package needs `@scope:registry=<url>` and a \
            token for that host.",
  tell: "404 on GET.",
  signatures: &[
    sig(85).status(404).on(READ),
    sig(80)
      .status(404)
      .text(r"is not in (?:the npm|this) registry|could not be found or you do not have permission")
      .fallback(),
  ],
  rules: &[],
  supersedes: &[],
  advise: package_not_found,
};

fn package_not_found(a: &mut Advice) {
  let name = a.s.package_name();
  let registry = a.s.registry();
  let npmjs = Product::of(&registry) == Product::Npmjs;
  if let Some(name) = &name {
    if let Some(scope) = url::scope_of(name) {
      let mapped = a
        .ctx
        .registry_for(Some(name))
        .1
        .is_some_and(|s| s.key.starts_with('@'));
      if !mapped && npmjs {
        if a.ctx.config.is_some() {
          a.note(format!(
            "no @{scope}:registry setting: npm looked for {name} on {registry}"
          ));
        }
        a.say(format!(
          "If {name} is a private package, npm needs to know its registry and have a token for it: map the scope, then log in there."
        ));
        a.run(
          "Map the scope (replace the URL with your registry's):",
          format!("npm config set @{scope}:registry https://<your-registry>/"),
        );
        return;
      }
    }
    a.run(
      format!("Check the name: does {registry} have {name}?"),
      format!("npm view {}", quote(name)),
    );
  }
  if !npmjs {
    a.say(format!(
      "{} only has what was published or proxied there; a private registry also answers 404 when you may not see the package.",
      url::host_of(&registry).unwrap_or_default()
    ));
  }
}

pub(crate) static VERSION_NOT_FOUND: Cause = Cause {
  id: "version-not-found",
  title: "No published version matches what was asked for",
  explain: "The package exists, but no version satisfies the range or tag asked for: a typo in \
            the range, a version not published yet (or unpublished), a dependency's range that \
            moved past what this registry has, or a private mirror that has not synced that \
            version (or a curation policy that hides it).",
  tell: "ETARGET, 'No matching version found for <package>@<range>'.",
  signatures: &[
    sig(95).codes(&["ETARGET"]),
    sig(90).text(r"no matching version found for"),
  ],
  rules: &[],
  supersedes: &[],
  advise: version_not_found,
};

fn version_not_found(a: &mut Advice) {
  let (name, range) = a
    .s
    .block
    .and_then(|b| b.details.wanted.clone())
    .unwrap_or_else(|| {
      (
        a.s.package_name().unwrap_or_else(|| "<package>".into()),
        "<range>".into(),
      )
    });
  // A saved debug log has no config, but its argv may name the registry.
  let registry = match (&a.ctx.config, a.ctx.command.flag("--registry")) {
    (None, Some(flag)) => flag.to_owned(),
    _ => a.ctx.registry_for(Some(&name)).0,
  };
  let npmjs = Product::of(&registry) == Product::Npmjs;
  let on = if npmjs {
    String::new()
  } else {
    format!(" --registry {}", quote(&registry))
  };
  a.run(
    format!(
      "No version of {name} on the registry matches {range}. See which versions and tags it has, then fix the range (yours, or the dependency's that asks for it):"
    ),
    format!("npm view {} versions dist-tags{on}", quote(&name)),
  );
  if !npmjs {
    a.say(format!(
      "{} is not npmjs.com: a mirror may not have synced that version yet, or a curation policy may hide it; compare with `npm view {} versions --registry https://registry.npmjs.org/`.",
      url::host_of(&registry).unwrap_or_default(),
      quote(&name)
    ));
  }
}
