//! A dependency's install script that failed, and the native build that is
//! the most common such script.
//!
//! Both come only from npm's own block for a failed script (`code 1`, `path
//! …/node_modules/<pkg>`, `command failed`): the signatures are `script()`
//! ones, which no other signature is, so what a script printed can never be
//! diagnosed as anything else. The person's own `npm test` or `npm run x`
//! failing is not one of these: its path is the project, not node_modules.

use super::{Cause, sig};
use crate::{advice::Advice, command::quote, shape::Os};

pub(super) static CAUSES: &[&Cause] = &[&NATIVE_BUILD_FAILED, &INSTALL_SCRIPT_FAILED];

/// A dependency's folder: npm's `path` line.
const IN_NODE_MODULES: &str = r"[/\\]node_modules[/\\]";

pub(crate) static INSTALL_SCRIPT_FAILED: Cause = Cause {
  id: "install-script-failed",
  title: "A dependency's install script failed",
  explain: "During an install, a dependency ran its own preinstall, install or postinstall script, \
            and it failed. Its output (in npm's error, and in the debug log) says why. Common \
            reasons: a download the script makes (a browser, a binary) blocked by the network, a \
            release of the package that does not support this Node.js, a tool it needs that is \
            missing. `--ignore-scripts` tells whether the project needs that script at all.",
  tell: "npm's `code 1` / `path …/node_modules/<pkg>` / `command failed` block (npm 7+), or npm 6's \
         'Failed at the <pkg> install script'.",
  signatures: &[
    sig(88)
      .script()
      .path(IN_NODE_MODULES)
      .seen_with(&["ELIFECYCLE"]),
    sig(88)
      .script()
      .text(r"Failed at the \S+ (?:pre|post)?install script"),
  ],
  rules: &[],
  supersedes: &[],
  advise: install_script_failed,
};

/// The dependency whose folder npm names: `/app/node_modules/@a/b` → `@a/b`.
fn dependency(a: &Advice) -> Option<String> {
  let path = a.s.block?.path.clone()?;
  let rest = path
    .rsplit_once("node_modules/")
    .or_else(|| path.rsplit_once("node_modules\\"))?
    .1;
  let mut parts = rest.split(['/', '\\']);
  let first = parts.next()?;
  Some(match first.starts_with('@') {
    true => format!("{first}/{}", parts.next()?),
    false => first.to_owned(),
  })
}

/// npm's `command sh -c <script>` line.
fn script_command(a: &Advice) -> Option<String> {
  a.s
    .block?
    .lines
    .iter()
    .find_map(|l| {
      l.trim()
        .strip_prefix("command sh -c ")
        .or_else(|| l.trim().strip_prefix("command cmd.exe /d /s /c "))
    })
    .map(str::to_owned)
}

fn install_script_failed(a: &mut Advice) {
  let package = dependency(a).unwrap_or_else(|| "a dependency".into());
  let command = script_command(a);
  let code = a.s.request.code.clone().unwrap_or_default();
  a.say(format!(
    "{package}'s install script failed{}{}. Its own output, above npm's summary (and in npm's debug log), says why.",
    command.as_deref().map(|c| format!(" running `{c}`")).unwrap_or_default(),
    if code.bytes().all(|b| b.is_ascii_digit()) && !code.is_empty() {
      format!(" with exit code {code}")
    } else {
      String::new()
    },
  ));
  if let Some(node) = a.s.facts.node_version.clone() {
    a.run(
      format!("See whether this release of {package} supports Node.js {node} (a newer release often does):"),
      format!("npm view {} engines version", quote(&package)),
    );
  }
  a.run(
    "Learn whether the project needs that script at all: install without scripts, then try the project:",
    a.s.command_with("--ignore-scripts"),
  );
  if package != "a dependency" {
    a.run(
      "Once the cause is fixed, rerun just that package's scripts:",
      format!("npm rebuild {}", quote(&package)),
    );
  }
}

pub(crate) static NATIVE_BUILD_FAILED: Cause = Cause {
  id: "native-build-failed",
  title: "A dependency's native module failed to build",
  explain: "The package compiles C/C++ code when installed (node-gyp), usually because no prebuilt \
            binary exists for this Node.js, OS and CPU. That needs Python 3, make and a C++ \
            compiler (Windows: the Visual Studio Build Tools). A Node.js newer than the package \
            supports often has no prebuilt binary and fails to compile too: use a newer release of \
            the package, or the Node.js LTS it supports.",
  tell: "A failed install script whose output shows `gyp ERR!`, node-gyp, prebuild-install or \
         node-pre-gyp.",
  signatures: &[sig(94)
    .script()
    .path(IN_NODE_MODULES)
    .text(r"gyp ERR!|node-gyp|prebuild-install|node-pre-gyp|cmake-js")
    .seen_with(&["ELIFECYCLE"])],
  rules: &[],
  supersedes: &[&INSTALL_SCRIPT_FAILED],
  advise: native_build_failed,
};

fn native_build_failed(a: &mut Advice) {
  let package = dependency(a).unwrap_or_else(|| "a dependency".into());
  let text = a.s.block.map(|b| b.text.clone()).unwrap_or_default();
  let lower = text.to_ascii_lowercase();
  let node = a.s.facts.node_version.clone();
  // The missing tool, by looking: npm's text first, then this machine's PATH.
  let mut missing: Vec<&str> = Vec::new();
  if lower.contains("find python") || lower.contains("python is not set") {
    missing.push("python3");
  }
  if lower.contains("make: not found") || lower.contains("not found: make") {
    missing.push("make");
  }
  if lower.contains("g++: not found")
    || lower.contains("c++: not found")
    || lower.contains("cc: not found")
  {
    missing.push("a C++ compiler");
  }
  if a.ctx.env.is_some() && cfg!(unix) {
    for (tool, name) in [
      ("python3", "python3"),
      ("make", "make"),
      ("c++", "a C++ compiler"),
    ] {
      if !on_path(a, tool) && !missing.contains(&name) {
        missing.push(name);
      }
    }
  }
  let windows = a.s.facts.shape.os == Some(Os::Windows)
    || lower.contains("msbuild")
    || lower.contains("visual studio");
  if lower.contains("no prebuilt binaries found")
    || lower.contains("404 not found") && lower.contains("prebuild")
  {
    a.say(format!(
      "{package} has no prebuilt binary for Node.js {} on this platform, so it tried to compile and failed. A \
       newer release of {package} may have one, or use the Node.js LTS it supports.",
      node.as_deref().unwrap_or("here")
    ));
    a.run(
      format!("See {package}'s latest release and the Node.js it supports:"),
      format!("npm view {} version engines", quote(&package)),
    );
  }
  if windows {
    a.say(
      "On Windows, node-gyp needs the Visual Studio Build Tools with the \"Desktop development with C++\" workload, \
       and Python 3: install both, then run npm again in a new terminal.",
    );
  } else if !missing.is_empty() {
    let tools = missing.join(", ");
    a.note(format!("missing: {tools}"));
    let install = match a.s.facts.shape.os {
      Some(Os::Mac) => "xcode-select --install".to_owned(),
      _ if a.s.facts.shape.container => {
        "apt-get install -y python3 make g++  # Alpine: apk add python3 make g++".to_owned()
      }
      _ => {
        "sudo apt-get install -y python3 make g++  # Fedora: sudo dnf install python3 make gcc-c++"
          .to_owned()
      }
    };
    a.run(
      format!(
        "{package} compiles native code, and this machine lacks {tools}. Install the build tools:"
      ),
      install,
    );
  } else {
    a.say(format!(
      "{package} compiles native code and the compiler failed: the first `error:` lines above (not the last) say why, \
       often a Node.js newer than {package} supports."
    ));
  }
  if package != "a dependency" {
    a.run(
      "Then rebuild just that package:",
      format!("npm rebuild {}", quote(&package)),
    );
  }
}

fn on_path(a: &Advice, tool: &str) -> bool {
  let Some(path) = a.ctx.env_var("PATH") else {
    return true;
  };
  std::env::split_paths(path).any(|dir| dir.join(tool).is_file())
}

#[cfg(test)]
mod tests {
  use crate::{offline, redact::Redactor};

  fn ids(text: &str) -> Vec<&'static str> {
    offline::diagnose_text(text, Redactor::default())
      .0
      .found
      .iter()
      .map(|d| d.cause.id)
      .collect()
  }

  #[test]
  fn a_dependency_s_script_is_named_and_its_output_is_never_diagnosed() {
    let text = "npm error code 1\nnpm error path /app/node_modules/x\nnpm error command failed\nnpm error command sh -c npm publish\nnpm error npm error You cannot publish over the previously published versions: 1.0.0.\nnpm error A complete log of this run can be found in: /h/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log\n";
    assert_eq!(ids(text), ["install-script-failed"]);
  }

  #[test]
  fn a_native_build_is_more_specific() {
    let text = "npm error code 1\nnpm error path /app/node_modules/bcrypt\nnpm error command failed\nnpm error command sh -c node-gyp rebuild\nnpm error gyp ERR! find Python\nnpm error A complete log of this run can be found in: /h/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log\n";
    assert_eq!(ids(text), ["native-build-failed"]);
  }

  #[test]
  fn the_person_s_own_script_is_not_a_dependency_s() {
    let text = "npm error code 1\nnpm error path /app\nnpm error command failed\nnpm error command sh -c jest\nnpm error A complete log of this run can be found in: /h/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log\n";
    assert!(ids(text).is_empty(), "{:?}", ids(text));
  }
}
