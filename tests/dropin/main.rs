//! npmx drops in everywhere: `install.sh` (prefix install, shims, shell
//! configuration, uninstall) and the Dev Container Feature, each run for real
//! in temporary folders against the real npm.
//!
//! Every test runs its programs with a cleared environment: HOME, PATH and npm's
//! cache and user config all point into the test's own temporary folder, so
//! nothing here reads or writes the machine's own files. install.sh gets the
//! test build of npmx through `--binary`, so no test builds a release.

use std::{
  collections::BTreeMap,
  ffi::OsStr,
  fs,
  os::unix::fs::{PermissionsExt, symlink},
  path::{Path, PathBuf},
  process::{Command, Output, Stdio},
  sync::OnceLock,
};

mod feature;
mod install_sh;

const NPMX: &str = env!("CARGO_BIN_EXE_npmx");

fn repo() -> &'static Path {
  Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn install_sh() -> PathBuf {
  repo().join("install.sh")
}

fn feature_dir() -> PathBuf {
  repo().join("devcontainer/src/npmx")
}

/// The first `program` on the test's own PATH.
fn on_path(program: &str) -> Option<PathBuf> {
  let path = std::env::var_os("PATH")?;
  std::env::split_paths(&path)
    .map(|dir| dir.join(program))
    .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

struct RealNpm {
  dir: PathBuf,
  npm_version: String,
  npx_version: String,
}

/// Is this `npm` on PATH a shim of an npmx the developer runs every day?
fn is_npmx_shim(path: &Path) -> bool {
  let target_is_npmx = fs::canonicalize(path).is_ok_and(|p| {
    p.file_name()
      .is_some_and(|n| n.to_string_lossy().starts_with("npmx"))
  });
  let head = fs::read(path).unwrap_or_default();
  let head = &head[..head.len().min(256)];
  target_is_npmx || (head.starts_with(b"#!") && String::from_utf8_lossy(head).contains("npmx-shim"))
}

/// The real npm every test expects to reach through npmx.
fn real_npm() -> &'static RealNpm {
  static REAL: OnceLock<RealNpm> = OnceLock::new();
  REAL.get_or_init(|| {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let npm = std::env::split_paths(&path)
      .map(|dir| dir.join("npm"))
      .find(|p| p.is_file() && !is_npmx_shim(p))
      .expect("these tests need Node.js and npm on PATH");
    let dir = npm.parent().unwrap().to_path_buf();
    let home = tempfile::tempdir().unwrap();
    let version = |program: &str| {
      let out = Command::new(dir.join(program))
        .arg("--version")
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", base_path(&dir))
        .env("npm_config_update_notifier", "false")
        .output()
        .unwrap();
      assert!(out.status.success(), "{program} --version failed: {out:?}");
      String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    RealNpm {
      npm_version: version("npm"),
      npx_version: version("npx"),
      dir,
    }
  })
}

/// The folder of the real npm, then the system's: what a fresh shell has.
fn base_path(npm_dir: &Path) -> String {
  format!("{}:/usr/bin:/bin", npm_dir.display())
}

fn text(bytes: &[u8]) -> String {
  String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn ok(out: Output) -> String {
  assert!(
    out.status.success(),
    "failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
    out.status,
    text(&out.stdout),
    text(&out.stderr)
  );
  text(&out.stdout)
}

/// A temporary HOME and prefix, and the commands that run in them.
struct Sandbox {
  dir: tempfile::TempDir,
}

impl Sandbox {
  fn new() -> Sandbox {
    let sandbox = Sandbox {
      dir: tempfile::tempdir().unwrap(),
    };
    fs::create_dir_all(sandbox.home()).unwrap();
    sandbox
  }

  fn root(&self) -> &Path {
    self.dir.path()
  }

  fn scratch(&self) -> PathBuf {
    self.root().join("scratch")
  }

  fn home(&self) -> PathBuf {
    self.root().join("home")
  }

  fn prefix(&self) -> PathBuf {
    self.home().join(".local")
  }

  fn shims(&self) -> PathBuf {
    self.prefix().join("lib/npmx/shims")
  }

  fn manifest(&self) -> PathBuf {
    self.prefix().join("lib/npmx/installed")
  }

  /// A command with nothing of the test's environment but what is set here.
  fn command(&self, program: impl AsRef<OsStr>, path: &str) -> Command {
    let mut command = Command::new(program);
    command
      .env_clear()
      .env("HOME", self.home())
      .env("PATH", path)
      .env("TMPDIR", self.root())
      .env("npm_config_update_notifier", "false")
      .env("npm_config_cache", self.scratch().join("npm-cache"))
      .env("npm_config_userconfig", self.scratch().join("npmrc"))
      // What shells and npm keep for themselves goes where `tree` does not look.
      .env("XDG_DATA_HOME", self.scratch().join("data"))
      .env("XDG_CACHE_HOME", self.scratch().join("cache"))
      .env("HISTFILE", self.scratch().join("history"))
      .stdin(Stdio::null());
    command
  }

  /// PATH with the shims first, as PATH mode makes it.
  fn shims_first(&self) -> String {
    format!("{}:{}", self.shims().display(), base_path(&real_npm().dir))
  }

  fn install_output(&self, args: &[&str]) -> Output {
    let mut command = self.command(install_sh(), "/usr/bin:/bin");
    command
      .arg("--binary")
      .arg(NPMX)
      .arg("--prefix")
      .arg(self.prefix())
      .args(args);
    command.output().unwrap()
  }

  #[track_caller]
  fn install(&self, args: &[&str]) -> String {
    ok(self.install_output(args))
  }

  #[track_caller]
  fn uninstall(&self) -> String {
    let mut command = self.command(install_sh(), "/usr/bin:/bin");
    command
      .arg("--uninstall")
      .arg("--prefix")
      .arg(self.prefix());
    ok(command.output().unwrap())
  }

  /// `sh -c SCRIPT` with this PATH; its standard output.
  #[track_caller]
  fn sh(&self, path: &str, script: &str) -> String {
    ok(
      self
        .command("/bin/sh", path)
        .arg("-c")
        .arg(script)
        .output()
        .unwrap(),
    )
  }
}

/// Every path under `dir` with what it is: file contents, link target, folder;
/// without a sandbox's scratch folder.
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
  fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
    let Ok(entries) = fs::read_dir(dir) else {
      return;
    };
    for entry in entries {
      let path = entry.unwrap().path();
      let rel = path.strip_prefix(root).unwrap().to_path_buf();
      // fish may keep its universal variables beside config.fish.
      if rel == Path::new("scratch") || path.ends_with("fish/fish_variables") {
        continue;
      }
      let meta = fs::symlink_metadata(&path).unwrap();
      if meta.file_type().is_symlink() {
        let target = fs::read_link(&path).unwrap();
        out.insert(rel, format!("link {}", target.display()));
      } else if meta.is_dir() {
        out.insert(rel, "dir".into());
        walk(root, &path, out);
      } else {
        let bytes = fs::read(&path).unwrap();
        out.insert(
          rel,
          format!(
            "file {:o} {} {}",
            meta.permissions().mode() & 0o777,
            bytes.len(),
            text(&bytes)
          ),
        );
      }
    }
  }
  let mut out = BTreeMap::new();
  if dir.exists() {
    out.insert(PathBuf::new(), "dir".into());
  }
  walk(dir, dir, &mut out);
  out
}

fn write_exe(path: &Path, body: &str) {
  fs::create_dir_all(path.parent().unwrap()).unwrap();
  fs::write(path, body).unwrap();
  fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn count(haystack: &str, needle: &str) -> usize {
  haystack.matches(needle).count()
}
