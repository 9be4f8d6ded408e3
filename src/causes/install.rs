//! The machine npm installs on: files it may not write, a full disk, too
//! many open files, a file in the way, a node_modules left half-written.

use super::{Cause, sig};
use crate::{
  advice::{Advice, quote_path, version_below},
  command::quote,
  shape::Os,
};

pub(super) static CAUSES: &[&Cause] = &[
  &PERMISSION_DENIED,
  &DISK_FULL,
  &TOO_MANY_OPEN_FILES,
  &BIN_CONFLICT,
  &INSTALL_INTERRUPTED,
];

pub(crate) static PERMISSION_DENIED: Cause = Cause {
  id: "permission-denied",
  title: "npm may not write where it needs to",
  explain: "The operating system refused npm a file: a global install into a system folder \
            (/usr/local, /usr) that only root may write, a cache or node_modules left owned by root \
            by an earlier `sudo npm`, or a container volume owned by another user. `sudo npm` is \
            not the fix: it runs every package's install scripts as root and leaves more root-owned \
            files behind. Give npm a global prefix of your own, or take the files back.",
  tell: "EACCES or EPERM with npm's `path` line naming the file.",
  signatures: &[sig(90).codes(&["EACCES"]), sig(80).codes(&["EPERM"])],
  rules: &[],
  supersedes: &[],
  advise: permission_denied,
};

fn permission_denied(a: &mut Advice) {
  let Some(path) = a.s.block.and_then(|b| b.path.clone()) else {
    a.run(
      "The operating system refused npm a file. npm's log names it; check who owns it:",
      "ls -ld \"$(npm config get prefix)\" ~/.npm",
    );
    return;
  };
  let cache_dir = a.ctx.config.as_ref().and_then(|c| c.cache_dir());
  let cache = path.contains("/_cacache")
    || path.contains("/.npm/")
    || path.ends_with("/.npm")
    || cache_dir
      .as_ref()
      .is_some_and(|c| path.starts_with(&*c.to_string_lossy()));
  let global = a.ctx.command.global() || a.s.facts.global() || path.contains("/lib/node_modules");
  let windows = a.s.facts.shape.os == Some(Os::Windows) || path.contains(":\\");
  if windows {
    // No chown on Windows: EPERM there is a file held open, or a folder
    // that needs an elevated prompt.
    a.say(format!(
      "Windows refused npm {path}: usually a file held open (an editor, a running dev server, antivirus) or a \
       folder that needs an administrator prompt. Close what holds it, then run npm again."
    ));
    a.run(
      "If it is npm's cache, check it and let npm rebuild what is broken:",
      "npm cache verify",
    );
    return;
  }
  // In a container running as another user, root's cache or home is not
  // this user's to take: give this user a cache of its own instead.
  let container = a.s.facts.shape.container || a.ctx.devcontainer;
  if cache && container && path.starts_with("/root/") {
    a.run(
      format!(
        "{path} is in root's npm cache, and this container runs npm as another user. Give that user a cache of its \
         own (in the Dockerfile: `ENV npm_config_cache=/tmp/.npm`, or a HOME it owns) rather than changing root's files:"
      ),
      format!("npm_config_cache=/tmp/.npm {}", a.s.command_line()),
    );
    return;
  }
  if cache {
    let dir = cache_dir
      .map(|c| c.display().to_string())
      .unwrap_or_else(|| "~/.npm".into());
    a.run(
      format!("{path} is in npm's cache and belongs to another user (often root, after an earlier `sudo npm`). Take the cache back:"),
      format!("sudo chown -R \"$(id -u):$(id -g)\" {}", quote_path(&dir)),
    );
  } else if global {
    if let Some(prefix) = a.ctx.config.as_ref().and_then(|c| c.get("prefix")) {
      let origin = prefix.origin();
      a.note(format!("prefix = {} from {origin}", prefix.value));
    }
    a.run(
      format!(
        "npm installs global packages under its prefix, and your user may not write there ({path}). Do not use sudo npm (it runs \
         every install script as root); give npm a folder of your own for global packages:"
      ),
      "npm config set prefix ~/.npm-global",
    );
    a.run(
      "and put its bin folder on PATH (in your shell's rc file), then install again:",
      "export PATH=\"$HOME/.npm-global/bin:$PATH\"",
    );
    a.say("Or install Node.js with a version manager (nvm, fnm, mise, volta): its global packages live in your home.");
  } else {
    let dir = match path.find("/node_modules") {
      Some(i) => path[..i + "/node_modules".len()].to_owned(),
      None => path
        .rsplit_once('/')
        .map(|(d, _)| d.to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or(path.clone()),
    };
    a.run(
      format!("{dir} belongs to another user (an earlier `sudo npm install`, or a container volume). Take it back, then run npm again without sudo:"),
      format!("sudo chown -R \"$(id -u):$(id -g)\" {}", quote_path(&dir)),
    );
  }
}

pub(crate) static DISK_FULL: Cause = Cause {
  id: "disk-full",
  title: "The disk is full",
  explain: "npm could not write because the filesystem has no space left: the project's disk, the \
            cache's (~/.npm, often gigabytes), or in Docker the builder's disk. npm 6 and 7 \
            sometimes said only 'cb() never called' after it.",
  tell: "ENOSPC, 'no space left on device'.",
  signatures: &[
    sig(98).codes(&["ENOSPC"]),
    sig(94).text(r"no space left on device"),
  ],
  rules: &[],
  supersedes: &[&super::usage::NPM_BUG],
  advise: disk_full,
};

fn disk_full(a: &mut Advice) {
  let path = a.s.block.and_then(|b| b.path.clone());
  let dir = path
    .as_deref()
    .and_then(|p| std::path::Path::new(p).parent())
    .map(|d| d.display().to_string())
    .unwrap_or_else(|| ".".into());
  if let Some(free) = a.ctx.env.as_ref().and(free_bytes(&dir)) {
    a.note(format!("{} free on the filesystem of {dir}", human(free)));
  }
  a.run(
    format!(
      "No space was left where npm writes{}. See how full that disk is:",
      path.map(|p| format!(" ({p})")).unwrap_or_default()
    ),
    format!("df -h {}", quote_path(&dir)),
  );
  a.run(
    "npm's cache alone can take gigabytes; it is safe to empty (npm fetches again what it needs):",
    "npm cache clean --force",
  );
  if a.s.facts.shape.container || a.ctx.devcontainer {
    a.run(
      "In Docker, the builder's disk fills with old layers and build cache. See, then prune:",
      "docker system df && docker builder prune",
    );
  } else {
    a.say("Or put npm's cache on a disk with room: `npm config set cache <dir>`.");
  }
}

/// Free bytes on the filesystem holding `dir` (this machine only).
fn free_bytes(dir: &str) -> Option<u64> {
  let c = std::ffi::CString::new(dir).ok()?;
  let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
  // SAFETY: a valid NUL-terminated path and a statvfs to fill.
  (unsafe { libc::statvfs(c.as_ptr(), &mut stat) } == 0).then(|| {
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    let bytes = u64::from(stat.f_bavail) * u64::from(stat.f_frsize);
    bytes
  })
}

fn human(bytes: u64) -> String {
  const MIB: u64 = 1024 * 1024;
  if bytes >= 1024 * MIB {
    format!("{:.1} GiB", bytes as f64 / (1024 * MIB) as f64)
  } else {
    format!("{} MiB", bytes / MIB)
  }
}

pub(crate) static TOO_MANY_OPEN_FILES: Cause = Cause {
  id: "too-many-open-files",
  title: "npm hit the limit on open files",
  explain: "The process may only open so many files at once (`ulimit -n`), and a large install \
            opened more. macOS's default (256) and some containers' are low. Raise the limit in \
            the shell (or the container) that runs npm.",
  tell: "EMFILE, 'too many open files'.",
  signatures: &[
    sig(97).codes(&["EMFILE", "ENFILE"]),
    sig(92).text(r"too many open files"),
  ],
  rules: &[],
  supersedes: &[],
  advise: too_many_open_files,
};

/// What to raise the open-file limit to.
const ENOUGH_FILES: u64 = 65536;

fn too_many_open_files(a: &mut Advice) {
  // On this machine, the limit npm ran with: npmx's own, which npm inherits.
  let limit = a.ctx.env.as_ref().and_then(|_| {
    let mut limit = libc::rlimit {
      rlim_cur: 0,
      rlim_max: 0,
    };
    // SAFETY: getrlimit fills the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    #[allow(clippy::unnecessary_cast)]
    ok.then_some((limit.rlim_cur as u64, limit.rlim_max as u64))
  });
  let file = a.s.block.and_then(|b| b.path.clone());
  let opening = file
    .as_deref()
    .map(|f| format!(" when it tried to open {f}"))
    .unwrap_or_default();
  let target = match limit {
    Some((soft, hard)) => {
      a.note(format!("open-file limit here: {soft} (hard limit {hard})"));
      a.say(format!(
        "npm had all {soft} files a process may have open here in use (`ulimit -n` is {soft}){opening}."
      ));
      (hard > soft).then_some(hard.min(ENOUGH_FILES))
    }
    None => {
      a.say(format!(
        "npm had all the files a process may have open in use (`ulimit -n`){opening}."
      ));
      Some(ENOUGH_FILES)
    }
  };
  match target {
    Some(n) => a.run(
      "Raise the open-file limit in the shell that runs npm, then run it again:",
      format!("ulimit -n {n} && {}", a.s.command_line()),
    ),
    None => a.run(
      "The hard limit is that low too, so this shell cannot raise it. Raise it where it is set: for \
       logins, as root in /etc/security/limits.conf (then log in again); for a systemd service, \
       `LimitNOFILE=65536`; or in the script that lowered it (`ulimit -n`):",
      format!("echo '* - nofile {ENOUGH_FILES}' | sudo tee -a /etc/security/limits.conf"),
    ),
  }
  if a
    .s
    .facts
    .warnings
    .iter()
    .any(|w| w.contains("TAR_ENTRY_ERROR"))
  {
    a.run(
      "npm's TAR_ENTRY_ERROR warnings mean some packages were unpacked without all their files: with the limit raised, start from a clean node_modules:",
      "rm -rf node_modules && npm install",
    );
  }
  if a.s.facts.shape.os == Some(Os::Mac) {
    a.run(
      "On macOS the system-wide limit caps it too:",
      "sudo launchctl limit maxfiles 65536 200000",
    );
  }
  if a.s.facts.shape.container || a.ctx.devcontainer {
    a.say("In Docker, the container's limit applies: `docker run --ulimit nofile=65536:65536 …`.");
  }
}

pub(crate) static BIN_CONFLICT: Cause = Cause {
  id: "bin-conflict",
  title: "A file is in the way of a package's command",
  explain: "npm links each package's commands (`bin`) into a bin folder, and a file of that name is \
            already there: another package's command, or one installed by something else (Homebrew, \
            the OS, a manual download). npm does not overwrite what is not its own. Remove the \
            other one, or, only if it is npm's own, reinstall with --force.",
  tell: "EEXIST on a bin link, 'File exists: …'.",
  signatures: &[sig(95).codes(&["EEXIST"])],
  rules: &[],
  supersedes: &[],
  advise: bin_conflict,
};

fn bin_conflict(a: &mut Advice) {
  let Some(path) = a.s.block.and_then(|b| b.path.clone()) else {
    a.say("A file is in the way of a package's command; npm's `path` line names it.");
    return;
  };
  // On this machine: where the file in the way points, and so whose it is.
  let target = a
    .ctx
    .env
    .as_ref()
    .and(std::fs::read_link(&path).ok())
    .map(|t| t.display().to_string());
  match &target {
    Some(t) if t.contains("node_modules") => {
      a.note(format!("{path} -> {t}"));
      a.run(
        format!("{path} is another npm package's command (it links to {t}). See which package owns it:"),
        "npm ls -g --depth=0",
      );
      a.run(
        "If you mean to replace it, uninstall that package first; or, as it is npm's own file, overwrite it:",
        a.s.command_with("--force"),
      );
    }
    Some(t) => {
      a.note(format!("{path} -> {t}"));
      a.say(format!(
        "{path} belongs to something else (it links to {t}: Homebrew, the OS, another tool). Remove it with the tool \
         that installed it, or give npm a global prefix of its own (`npm config set prefix ~/.npm-global`)."
      ));
    }
    None => a.run(
      format!("{path} is already there. See what it is before removing it (never --force over a file that is not npm's):"),
      format!("ls -l {}", quote(&path)),
    ),
  }
}

pub(crate) static INSTALL_INTERRUPTED: Cause = Cause {
  id: "install-interrupted",
  title: "node_modules was left half-written",
  explain: "npm renames folders inside node_modules as it installs; ENOTEMPTY (or, on Windows, EPERM) \
            on such a rename means an earlier install was interrupted, another npm is installing \
            into the same folder right now, or (Windows) an editor or antivirus holds a file open. \
            Before replacing a package npm moves it aside to `.<name>-<hash>` beside it, a name fixed \
            by the path: an interrupted install leaves that folder, and npm before 11.7.0 fails on it \
            every time until it is removed. Stop the other npm, remove the leftover (or node_modules) \
            and install again.",
  tell: "ENOTEMPTY, or EPERM/EBUSY on a rename inside node_modules.",
  signatures: &[
    sig(95).codes(&["ENOTEMPTY"]),
    sig(92)
      .codes(&["EPERM", "EBUSY"])
      .text(r"rename '[^']*node_modules"),
  ],
  rules: &[],
  supersedes: &[&PERMISSION_DENIED],
  advise: install_interrupted,
};

/// The npm release that removes a leftover retired folder itself instead of
/// failing on it (npm/cli#8721).
const LEFTOVER_FIXED_IN: (u64, u64, u64) = (11, 7, 0);

/// `rename 'from' -> 'to'` where `to` is npm's retired copy of `from`:
/// `.<name>-<8 characters>` beside it (arborist's retire-path.js).
fn retired_rename(text: &str) -> Option<(String, String)> {
  static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
  let re =
    RE.get_or_init(|| regex::Regex::new(r"rename '([^']+)' -> '([^']+)'").expect("valid regex"));
  let c = re.captures(text)?;
  let (from, to) = (c[1].to_owned(), c[2].to_owned());
  let split = |p: &str| {
    p.rsplit_once(['/', '\\'])
      .map(|(d, b)| (d.to_owned(), b.to_owned()))
  };
  let ((from_dir, name), (to_dir, retired)) = (split(&from)?, split(&to)?);
  let hash = retired
    .strip_prefix('.')?
    .strip_prefix(name.as_str())?
    .strip_prefix('-')?;
  (from_dir == to_dir && hash.len() == 8 && hash.chars().all(|c| c.is_ascii_alphanumeric()))
    .then_some((from, to))
}

fn install_interrupted(a: &mut Advice) {
  let windows = a.s.facts.shape.os == Some(Os::Windows);
  let text = a.s.block.map(|b| b.text.as_str()).unwrap_or_default();
  if let Some((from, to)) = retired_rename(text) {
    a.run(
      format!(
        "npm moves {from} aside to {to} before replacing it, and that folder is already there, left by \
         an earlier install that was interrupted (npm names it from the path, so every install meets it \
         again). It is npm's own old copy: remove it, then run npm again:"
      ),
      if windows {
        format!("rmdir /s /q \"{to}\" && {}", a.s.command_line())
      } else {
        format!("rm -rf {} && {}", quote_path(&to), a.s.command_line())
      },
    );
    if let Some(v) = a
      .s
      .facts
      .npm_version
      .clone()
      .filter(|v| version_below(v, LEFTOVER_FIXED_IN))
    {
      a.run(
        format!(
          "npm {v} fails on such a leftover; npm 11.7.0 and later remove it and go on \
           (https://github.com/npm/cli/pull/8721). Upgrade npm:"
        ),
        "npm install -g npm@latest",
      );
    }
  }
  a.run(
    "Another npm may still be installing into this node_modules (two installs must never share one). Check:",
    if windows {
      "tasklist | findstr node"
    } else {
      "pgrep -af npm"
    },
  );
  a.run(
    "Then remove the half-written node_modules and install again (package-lock.json stays):",
    if windows {
      "rmdir /s /q node_modules && npm install".to_owned()
    } else {
      "rm -rf node_modules && npm install".to_owned()
    },
  );
  if windows {
    a.say("On Windows, an editor, a running dev server or antivirus holding a file open blocks the rename: close them first.");
  }
}

#[cfg(test)]
mod tests {
  use super::retired_rename;

  #[test]
  fn a_rename_onto_npms_retired_copy_is_told_from_other_renames() {
    let text = "ENOTEMPTY: directory not empty, rename '/p/node_modules/@s/x' -> '/p/node_modules/@s/.x-CDSqJrhb'";
    assert_eq!(
      retired_rename(text),
      Some((
        "/p/node_modules/@s/x".into(),
        "/p/node_modules/@s/.x-CDSqJrhb".into()
      ))
    );
    for other in [
      "rename '/p/node_modules/x' -> '/p/node_modules/.y-CDSqJrhb'",
      "rename '/p/node_modules/x' -> '/q/node_modules/.x-CDSqJrhb'",
      "rename '/p/node_modules/x' -> '/p/node_modules/.x-CDSq'",
      "rename '/p/node_modules/.staging/x' -> '/p/node_modules/x'",
    ] {
      assert_eq!(retired_rename(other), None, "{other}");
    }
  }
}
