//! What the dependency tree asks for: peers that conflict, tarballs that do
//! not match their checksum, engines and platforms a package refuses, specs
//! npm cannot read, git dependencies it cannot fetch.

use std::path::Path;

use super::{Cause, sig};
use crate::{advice::Advice, ci::Ci, command::quote, details::split_spec, url};

pub(super) static CAUSES: &[&Cause] = &[
  &PEER_DEPENDENCY_CONFLICT,
  &INTEGRITY_MISMATCH,
  &ENGINE_MISMATCH,
  &PLATFORM_MISMATCH,
  &INVALID_SPEC,
  &GIT_DEPENDENCY_FAILED,
];

pub(crate) static PEER_DEPENDENCY_CONFLICT: Cause = Cause {
  id: "peer-dependency-conflict",
  title: "Two packages want incompatible versions of a peer dependency",
  explain: "Since npm 7, peer dependencies are installed and must agree: a package asks for a peer \
            (react@^17) that the tree already has in another version (react@18). Upgrade the \
            package to a release that accepts the version you have, or, if you know it works, say \
            so with `overrides` in package.json. `--legacy-peer-deps` gets past it (npm 6's \
            behaviour: peers are not installed or checked) as a stopgap; `--force` installs a \
            tree npm knows is broken.",
  tell: "ERESOLVE with 'Could not resolve dependency: peer …' or 'Conflicting peer dependency'.",
  signatures: &[
    sig(96).codes(&["ERESOLVE"]),
    sig(90).text(r"unable to resolve dependency tree|Conflicting peer dependency"),
  ],
  rules: &[],
  supersedes: &[],
  advise: peer_dependency_conflict,
};

fn peer_dependency_conflict(a: &mut Advice) {
  let Some(conflict) = a.s.block.and_then(|b| b.details.peer.clone()) else {
    a.run(
      "npm's explanation above names the package and the peer it wants. See the peers a package accepts:",
      "npm view <package> peerDependencies",
    );
    legacy_stopgap(a);
    return;
  };
  let (dependent, _) =
    split_spec(&conflict.dependent).unwrap_or((conflict.dependent.clone(), String::new()));
  let found = conflict
    .found
    .clone()
    .unwrap_or_else(|| format!("another version of {}", conflict.peer));
  a.note(format!(
    "{} wants {}@{} as a peer; the tree has {found}",
    conflict.dependent, conflict.peer, conflict.range
  ));
  a.run(
    format!(
      "{} asks for {}@\"{}\" as a peer dependency, and the project has {found}. See whether its latest release \
       accepts that; if it does, upgrade it:",
      conflict.dependent, conflict.peer, conflict.range
    ),
    format!("npm view {} peerDependencies", quote(&dependent)),
  );
  a.run(
    format!(
      "If you know {dependent} works with {found}, say so in package.json (overrides apply to this project's tree \
       only), then install again:"
    ),
    format!(
      "npm pkg set 'overrides.{dependent}.{peer}=${peer}'",
      peer = conflict.peer
    ),
  );
  legacy_stopgap(a);
}

fn legacy_stopgap(a: &mut Advice) {
  a.run(
    "As a stopgap only: --legacy-peer-deps installs without peers (npm 6's way), and every developer and CI job \
     must then use it; --force is not a fix, it installs a tree npm knows is broken:",
    a.s.command_with("--legacy-peer-deps"),
  );
}

pub(crate) static INTEGRITY_MISMATCH: Cause = Cause {
  id: "integrity-mismatch",
  title: "A downloaded package does not match its checksum",
  explain: "npm checks every tarball against the integrity hash in package-lock.json (or the \
            registry's metadata). A mismatch is most often a corrupt cache entry; otherwise a mirror \
            or proxy that serves different bytes than the registry the lockfile was made against, \
            or a lockfile whose hashes came from another registry.",
  tell: "EINTEGRITY, 'integrity checksum failed … wanted sha512-… but got sha512-…'.",
  signatures: &[
    sig(97).codes(&["EINTEGRITY"]),
    sig(92).text(r"integrity checksum failed"),
  ],
  rules: &[],
  supersedes: &[],
  advise: integrity_mismatch,
};

fn integrity_mismatch(a: &mut Advice) {
  if let Some((wanted, got)) = a.s.block.and_then(|b| b.details.integrity.clone()) {
    a.note(format!("wanted {wanted}, got {got}"));
  }
  a.run(
    "A corrupt cache entry is the usual cause. Check the cache (it drops what does not match), then install again:",
    "npm cache verify",
  );
  let registry = a.s.registry();
  if a.s.product() != crate::product::Product::Npmjs {
    a.say(format!(
      "{} is a mirror or proxy: if it rewrites or re-packs tarballs, its bytes differ from those the lockfile's \
       hashes were made from. Compare with the same package from registry.npmjs.org.",
      url::host_of(&registry).unwrap_or_default()
    ));
  }
  let package = a.s.package_name();
  a.run(
    "If package-lock.json was made against another registry, refresh the entry's hash from yours (and commit it):",
    match package {
      Some(name) => format!("npm install {} --package-lock-only", quote(&name)),
      None => "npm install --package-lock-only".into(),
    },
  );
}

pub(crate) static ENGINE_MISMATCH: Cause = Cause {
  id: "engine-mismatch",
  title: "A package does not support this Node.js or npm",
  explain: "A package's `engines` field excludes the running Node.js (or npm), and engine-strict is \
            on (or npm ≤ 6 treated it as an error, ENOTSUP). Switch to a Node.js version it \
            supports with your version manager, or use a release of the package that supports \
            yours.",
  tell: "EBADENGINE as an error (engine-strict), 'Not compatible with your version of node/npm'.",
  signatures: &[
    sig(96).codes(&["EBADENGINE"]),
    sig(90)
      .codes(&["ENOTSUP"])
      .text(r"not compatible with your version of node"),
  ],
  rules: &[],
  supersedes: &[],
  advise: engine_mismatch,
};

fn engine_mismatch(a: &mut Advice) {
  let Some((package, required, actual)) = a.s.block.and_then(|b| b.details.engine.clone()) else {
    a.say(
      "A package's engines field excludes this Node.js; npm's lines above name it and the range.",
    );
    return;
  };
  let wanted = json_field(&required, "node");
  let running = json_field(&actual, "node");
  a.note(format!("{package} requires {required}; running {actual}"));
  let Some(wanted) = wanted else {
    // An npm range, not a Node.js one.
    a.run(
      format!("{package} requires npm {required}. Update npm:"),
      "npm install -g npm@latest",
    );
    return;
  };
  let major = first_number(&wanted).unwrap_or_else(|| "<version>".into());
  let running = running.unwrap_or_else(|| "this Node.js".into());
  a.say(format!(
    "{package} requires Node.js {wanted}, and this is {running}."
  ));
  switch_node(a, &major);
  a.run(
    format!(
      "Or use a release of {} that supports {running}: see which Node.js each asks for:",
      name_of(&package)
    ),
    format!("npm view {} engines.node", quote(name_of(&package))),
  );
}

/// How to switch Node.js with the tool this person has.
fn switch_node(a: &mut Advice, major: &str) {
  if a.s.ci() == Some(Ci::GitHub) {
    a.say(format!(
      "In the workflow, set actions/setup-node's `node-version: {major}` (or `node-version-file: .nvmrc`)."
    ));
    return;
  }
  let env = |name: &str| a.ctx.env_var(name).is_some_and(|v| !v.is_empty());
  let project = a.ctx.package.as_ref().map(|p| p.dir.clone());
  let has = |file: &str| project.as_deref().is_some_and(|d| d.join(file).is_file());
  let command = if env("VOLTA_HOME") {
    format!("volta pin node@{major}")
  } else if env("FNM_DIR") || env("FNM_MULTISHELL_PATH") {
    format!("fnm install {major} && fnm use {major}")
  } else if env("MISE_SHELL") || has("mise.toml") || has(".mise.toml") {
    format!("mise use node@{major}")
  } else if env("ASDF_DIR") || has(".tool-versions") {
    format!("asdf install nodejs {major} && asdf set nodejs {major}")
  } else if env("NVM_DIR") || has(".nvmrc") {
    format!("nvm install {major} && nvm use {major}")
  } else {
    a.run(
      format!(
        "Switch to Node.js {major} with your version manager (nvm, fnm, volta, mise, asdf), e.g. with nvm:"
      ),
      format!("nvm install {major} && nvm use {major}"),
    );
    return;
  };
  let pin = if has(".nvmrc") || has(".node-version") {
    " (and keep .nvmrc / .node-version in step)"
  } else {
    ""
  };
  a.run(format!("Switch to Node.js {major}{pin}:"), command);
}

/// `"node"` from `{"node":">=18","npm":"…"}`.
fn json_field(json: &str, key: &str) -> Option<String> {
  let value: serde_json::Value = serde_json::from_str(json).ok()?;
  value[key].as_str().map(str::to_owned)
}

/// The first version number in a range: `>=18.17 <21` → `18.17`.
fn first_number(range: &str) -> Option<String> {
  let start = range.find(|c: char| c.is_ascii_digit())?;
  let number: String = range[start..]
    .chars()
    .take_while(|c| c.is_ascii_digit() || *c == '.')
    .collect();
  Some(
    number
      .trim_end_matches(".0")
      .trim_end_matches('.')
      .to_owned(),
  )
}

fn name_of(spec: &str) -> &str {
  match spec.get(1..).and_then(|s| s.rfind('@')) {
    Some(at) => &spec[..at + 1],
    None => spec,
  }
}

pub(crate) static PLATFORM_MISMATCH: Cause = Cause {
  id: "platform-mismatch",
  title: "A package does not support this operating system or CPU",
  explain: "A package's `os`, `cpu` or `libc` field excludes this machine. Packages like that are \
            meant to be optional dependencies (npm skips the ones that do not fit); installed as a \
            direct dependency, or pinned by a lockfile made elsewhere, they fail. For an install \
            meant for another machine (a Docker image, a Lambda bundle) tell npm which: --os, \
            --cpu, --libc.",
  tell: "EBADPLATFORM, 'Unsupported platform for …: wanted {\"os\":…} (current: …)'.",
  signatures: &[
    sig(96).codes(&["EBADPLATFORM"]),
    sig(90).text(r"Unsupported platform for"),
  ],
  rules: &[],
  supersedes: &[],
  advise: platform_mismatch,
};

fn platform_mismatch(a: &mut Advice) {
  let Some((package, wanted, current)) = a.s.block.and_then(|b| b.details.platform.clone()) else {
    a.say("A package's os/cpu fields exclude this machine; npm's lines above name it.");
    return;
  };
  let name = name_of(&package).to_owned();
  a.say(format!(
    "{package} only installs where {wanted}; this machine is {current}."
  ));
  a.run(
    format!("See what asks for {name}: if a dependency does, it should be an optional one there:"),
    format!("npm explain {}", quote(&name)),
  );
  let direct = a
    .ctx
    .package
    .as_ref()
    .is_some_and(|p| p.dir.join("package.json").is_file())
    && std::fs::read_to_string(
      a.ctx
        .package
        .as_ref()
        .map(|p| p.dir.join("package.json"))
        .unwrap_or_default(),
    )
    .is_ok_and(|t| t.contains(&format!("\"{name}\"")));
  if direct {
    a.run(
      format!(
        "package.json names {name} itself: make it optional, so npm skips it where it does not fit:"
      ),
      format!(
        "npm uninstall {n} && npm install --save-optional {n}",
        n = quote(&name)
      ),
    );
  }
  a.run(
    "If this install is for another machine (a Docker image, a serverless bundle), say which:",
    a.s.command_with_all(&["--os=<os>", "--cpu=<cpu>"]),
  );
}

pub(crate) static INVALID_SPEC: Cause = Cause {
  id: "invalid-spec",
  title: "npm cannot read a package name or version range",
  explain: "A dependency spec is not one npm can parse: a name with characters npm does not allow, \
            a tag or range with a typo (`^^1.0.0`, a stray space), or a URL npm does not \
            recognise. It comes from the command line, from package.json, or from a dependency's \
            package.json.",
  tell: "EINVALIDTAGNAME, EINVALIDPACKAGENAME, 'Invalid tag name', 'Invalid package name'.",
  signatures: &[
    sig(96).codes(&["EINVALIDTAGNAME", "EINVALIDPACKAGENAME", "EINVALIDTYPE"]),
    sig(88).text(r"Invalid (?:tag name|package name|comparator|version range)"),
  ],
  rules: &[],
  supersedes: &[],
  advise: invalid_spec,
};

fn invalid_spec(a: &mut Advice) {
  let spec = a.s.block.and_then(|b| b.details.invalid_spec.clone());
  let shown = spec.clone().unwrap_or_else(|| "a spec".into());
  let typed = spec
    .as_deref()
    .is_some_and(|s| a.ctx.command.args.iter().any(|arg| arg.contains(s)));
  if typed {
    let package = a
      .s
      .block
      .and_then(|b| b.details.invalid_spec_package.clone());
    match package {
      Some(name) => a.run(
        format!(
          "{shown} on your command line is not a valid range or tag for {name} (a typo? `^1.2.0`, not `^^1.2.0`). See what it has:"
        ),
        format!("npm view {} versions dist-tags", quote(&name)),
      ),
      None => a.run(
        format!("{shown} on your command line is not a valid package name (names are lower case, URL-safe). Search for the right one:"),
        format!("npm search {}", quote(&shown)),
      ),
    }
    return;
  }
  let in_package = spec.as_deref().and_then(|s| {
    let dir = &a.ctx.package.as_ref()?.dir;
    let text = std::fs::read_to_string(Path::new(dir).join("package.json")).ok()?;
    text.contains(s).then_some(())
  });
  if in_package.is_some() {
    a.run(
      format!("package.json has {shown}: fix it there (a typo in a range or name). See the dependency lists:"),
      "npm pkg get dependencies devDependencies optionalDependencies peerDependencies",
    );
  } else {
    a.run(
      format!(
        "{shown} is not a valid name or range. If it is not in your package.json, a dependency's package.json has it: upgrade that dependency. Find it:"
      ),
      format!(
        "grep -rl --include=package.json -F {} node_modules | head",
        quote(&shown)
      ),
    );
  }
}

pub(crate) static GIT_DEPENDENCY_FAILED: Cause = Cause {
  id: "git-dependency-failed",
  title: "npm could not fetch a git dependency",
  explain: "A dependency comes from a git repository, and git failed: git is not installed (common \
            in slim Docker images), the host refused the SSH key or wants credentials for https, \
            the host is unreachable, or the repository or ref is gone. In CI, an ssh:// URL needs \
            a deploy key; https with a token is easier.",
  tell: "ENOGIT, a git exit code (128) with 'An unknown git error occurred', 'Permission denied \
         (publickey)', 'git dep preparation failed'.",
  signatures: &[
    sig(96).codes(&["ENOGIT"]),
    sig(92).text(
      r"An unknown git error occurred|A git connection error occurred|git dep preparation failed|Permission denied \(publickey\)|Host key verification failed|could not read Username|spawn git ENOENT",
    ),
    sig(80).codes(&["128"]),
  ],
  rules: &[],
  supersedes: &[],
  advise: git_dependency_failed,
};

fn git_dependency_failed(a: &mut Advice) {
  let text = a
    .s
    .block
    .map(|b| b.text.to_ascii_lowercase())
    .unwrap_or_default();
  let repo = a.s.block.and_then(|b| b.details.git_url.clone());
  let shown = repo.clone().unwrap_or_else(|| "the repository".into());
  if a.s.request.code.as_deref() == Some("ENOGIT") || text.contains("spawn git enoent") {
    a.say("git is not installed (or not on PATH), and a dependency comes from a git repository.");
    let install = if a.s.facts.shape.container || a.ctx.devcontainer {
      "In the image, install git (Debian: `apt-get install -y git`; Alpine: `apk add git`) before npm runs."
    } else {
      "Install git (https://git-scm.com), then run npm again."
    };
    a.say(install);
    return;
  }
  if text.contains("permission denied (publickey)") || text.contains("host key verification failed")
  {
    a.say(format!(
      "The git host refused this machine's SSH key for {shown} (or does not know the host key)."
    ));
    if a.s.in_ci() != Some(false) {
      a.run(
        "In CI, fetch over https instead (with a token for a private repository):",
        "git config --global url.\"https://github.com/\".insteadOf ssh://git@github.com/",
      );
    }
    a.run(
      "Check the key works for that host:",
      "ssh -T git@github.com",
    );
    return;
  }
  if text.contains("could not read username") || text.contains("authentication failed") {
    a.say(format!(
      "{shown} wants credentials over https: it is private, or gone. Give git a token for that host (a credential helper, or a token in the URL kept out of version control)."
    ));
    return;
  }
  a.run(
    format!("git failed on {shown}. Run the same git command to see git's own reason:"),
    match &repo {
      Some(r) => format!("git ls-remote {}", quote(r)),
      None => "git ls-remote <repository-url>".into(),
    },
  );
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn major_versions_from_ranges() {
    assert_eq!(first_number(">=18.17.0").as_deref(), Some("18.17"));
    assert_eq!(first_number("^20.0.0 || ^22").as_deref(), Some("20"));
    assert_eq!(first_number(">=99").as_deref(), Some("99"));
    assert_eq!(name_of("@a/b@1.0.0"), "@a/b");
    assert_eq!(name_of("left-pad@1.3.0"), "left-pad");
  }
}
