//! The ways npmx ships, each installed for real on this machine from the
//! artefacts `dist/build.sh` makes (built once per run, the release build
//! install.sh makes too, so cargo's cache usually has it):
//!
//! - `dist`: the release tarball (contents, checksum, a static non-PIE
//!   binary) and install.sh installing from it without cargo;
//! - `npm_package`: the npm packages published to a local Verdaccio, `npm
//!   install -g` from it, `npmx --npmx-setup`, and `npm` then running through
//!   the same native binary, with no launcher in between;
//! - `action`: the GitHub Action's scripts in a simulated runner, and
//!   actionlint over the action and the workflows;
//! - `container`: the Dev Container Feature in a real Podman container
//!   (part of `./test.sh`; `NPMX_CONTAINER_TESTS=0` skips it, see that module).
//!
//! Every program runs with a cleared environment: its own HOME, PATH, and for
//! npm its own cache, user config and an empty global config (this machine's
//! global npmrc names a cafile, and NODE_EXTRA_CA_CERTS is not passed on).

mod action;
mod container;
mod dist;
mod npm_package;

use std::{
  collections::BTreeMap,
  fs,
  os::unix::fs::PermissionsExt,
  path::{Path, PathBuf},
  process::{Command, Output, Stdio},
  sync::OnceLock,
};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn repo() -> &'static Path {
  Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The host's Rust target, as dist/build.sh names its tarball.
pub fn host() -> String {
  let out = Command::new("rustc").arg("-vV").output().unwrap();
  String::from_utf8(out.stdout)
    .unwrap()
    .lines()
    .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
    .unwrap()
}

/// What dist/build.sh wrote, built once for the whole run.
pub struct Dist {
  pub dir: PathBuf,
  pub tarball: PathBuf,
  /// The binary it packaged.
  pub binary: PathBuf,
}

pub fn dist() -> &'static Dist {
  static DIST: OnceLock<Dist> = OnceLock::new();
  DIST.get_or_init(|| {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ship-dist");
    let _ = fs::remove_dir_all(&dir);
    let out = Command::new(repo().join("dist/build.sh"))
      .arg(&dir)
      .stdin(Stdio::null())
      .output()
      .unwrap();
    assert!(
      out.status.success(),
      "dist/build.sh failed:\n{}",
      text(&out.stderr)
    );
    let host = host();
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
      .map(PathBuf::from)
      .unwrap_or_else(|| repo().join("target"));
    Dist {
      tarball: dir.join(format!("npmx-{VERSION}-{host}.tar.gz")),
      binary: target_dir.join(&host).join("release/npmx"),
      dir,
    }
  })
}

/// The folders of the real node and npm: a fresh shell's PATH with them.
pub fn node_path() -> String {
  let mut dirs: Vec<String> = Vec::new();
  for program in ["node", "npm"] {
    let found = which(program).unwrap_or_else(|| panic!("{program} is not on PATH"));
    let dir = found.parent().unwrap().display().to_string();
    if !dirs.contains(&dir) {
      dirs.push(dir);
    }
  }
  for system in ["/usr/bin", "/bin"] {
    if !dirs.iter().any(|d| d == system) {
      dirs.push(system.into());
    }
  }
  dirs.join(":")
}

pub fn which(program: &str) -> Option<PathBuf> {
  let path = std::env::var_os("PATH")?;
  std::env::split_paths(&path)
    .map(|d| d.join(program))
    .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

pub fn text(bytes: &[u8]) -> String {
  String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
pub fn ok(out: Output) -> String {
  assert!(
    out.status.success(),
    "failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
    out.status,
    text(&out.stdout),
    text(&out.stderr)
  );
  text(&out.stdout)
}

/// A temporary machine: a home folder and scratch space.
pub struct Machine {
  pub dir: tempfile::TempDir,
}

impl Default for Machine {
  fn default() -> Machine {
    Machine::new()
  }
}

impl Machine {
  pub fn new() -> Machine {
    let dir = tempfile::Builder::new()
      .prefix("npmx-ship-")
      .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
      .unwrap();
    fs::create_dir_all(dir.path().join("home")).unwrap();
    fs::create_dir_all(dir.path().join("scratch")).unwrap();
    fs::write(dir.path().join("scratch/npmrc"), "").unwrap();
    fs::write(dir.path().join("scratch/global-npmrc"), "").unwrap();
    Machine { dir }
  }

  pub fn path(&self, rel: &str) -> PathBuf {
    self.dir.path().join(rel)
  }

  pub fn home(&self) -> PathBuf {
    self.path("home")
  }

  /// `program` with a cleared environment: HOME, this PATH, npm's own
  /// cache and configs, shells' data outside the home folder.
  pub fn command(&self, program: impl AsRef<std::ffi::OsStr>, path: &str) -> Command {
    let mut c = Command::new(program);
    c.env_clear()
      .env("HOME", self.home())
      .env("PATH", path)
      .env("TMPDIR", self.path("scratch"))
      .env("XDG_DATA_HOME", self.path("scratch/data"))
      .env("HISTFILE", "/dev/null")
      .env("npm_config_userconfig", self.path("scratch/npmrc"))
      .env("npm_config_globalconfig", self.path("scratch/global-npmrc"))
      .env("npm_config_cache", self.path("scratch/npm-cache"))
      .env("npm_config_update_notifier", "false")
      .env("npm_config_fund", "false")
      .env("npm_config_audit", "false")
      .current_dir(self.dir.path())
      .stdin(Stdio::null());
    c
  }

  /// `bash ARGS… SCRIPT`: its stdout, asserting success.
  #[track_caller]
  pub fn bash(&self, path: &str, args: &[&str], script: &str) -> String {
    ok(
      self
        .command("bash", path)
        .args(args)
        .arg(script)
        .output()
        .unwrap(),
    )
  }
}

/// Every path under `dir`: folders, link targets, file modes and contents.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
  fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
    let Ok(entries) = fs::read_dir(dir) else {
      return;
    };
    for entry in entries {
      let path = entry.unwrap().path();
      let rel = path.strip_prefix(root).unwrap().to_path_buf();
      let meta = fs::symlink_metadata(&path).unwrap();
      if meta.file_type().is_symlink() {
        out.insert(
          rel,
          format!("link {}", fs::read_link(&path).unwrap().display()),
        );
      } else if meta.is_dir() {
        out.insert(rel, "dir".into());
        walk(root, &path, out);
      } else {
        let bytes = fs::read(&path).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        let digest = if bytes.len() > 4096 {
          format!("{} bytes", bytes.len())
        } else {
          text(&bytes)
        };
        out.insert(rel, format!("file {mode:o} {digest}"));
      }
    }
  }
  let mut out = BTreeMap::new();
  walk(dir, dir, &mut out);
  out
}
