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

// ---------------------------------------------------------------------------
// install.sh

#[test]
fn install_puts_npmx_in_bin_and_shims_in_their_own_folder() {
  let s = Sandbox::new();
  let out = s.install(&[]);
  let prefix = s.prefix();

  let installed = prefix.join("bin/npmx");
  assert_eq!(fs::read(&installed).unwrap(), fs::read(NPMX).unwrap());
  assert_eq!(
    fs::metadata(&installed).unwrap().permissions().mode() & 0o777,
    0o755
  );
  for name in ["npm", "npx"] {
    assert_eq!(
      fs::read_link(s.shims().join(name)).unwrap(),
      Path::new("../../../bin/npmx"),
      "relative, so the prefix can move as a whole"
    );
  }
  // bin/ holds npmx only: putting it on PATH must not shadow npm.
  let bin: Vec<_> = fs::read_dir(prefix.join("bin"))
    .unwrap()
    .map(|e| e.unwrap().file_name())
    .collect();
  assert_eq!(bin, ["npmx"]);
  assert!(
    fs::read_to_string(s.manifest())
      .unwrap()
      .starts_with("# npmx install manifest")
  );

  // It ends with `npmx --npmx-setup`, which wrote the PATH blocks: it says
  // so, and to open a new shell, and never asks to add lines by hand.
  assert!(out.contains("--npmx-setup"), "{out}");
  assert!(out.contains(".bashrc (created"), "{out}");
  assert!(out.contains("Open a new shell"), "{out}");
  assert!(out.contains("npmx --npmx-help"), "{out}");
  assert!(!out.contains("ONE of"), "{out}");
  assert!(!out.contains("add"), "{out}");

  // With --no-setup, the lines to add, written as $HOME/... for a HOME prefix.
  let s = Sandbox::new();
  let out = s.install(&["--no-setup"]);
  assert!(!s.home().join(".bashrc").exists());
  assert!(out.contains("npmx --npmx-setup"), "{out}");
  assert!(
    out.contains(r#"export PATH="$HOME/.local/lib/npmx/shims:$PATH""#),
    "{out}"
  );
  assert!(
    out.contains(r#"set -gx PATH "$HOME/.local/lib/npmx/shims" $PATH"#),
    "{out}"
  );
  assert!(out.contains("npmx --npmx-help"), "{out}");
  let out = s.install(&["--no-setup", "--mode=alias"]);
  assert!(
    out.contains("alias npm='npmx' npx='NPMX_ARG0=npx npmx'"),
    "{out}"
  );
  assert!(out.contains("alias npx 'NPMX_ARG0=npx npmx'"), "{out}");
}

#[test]
fn shims_first_on_path_run_the_real_npm_and_npx_through_npmx() {
  let s = Sandbox::new();
  s.install(&[]);
  let real = real_npm();
  let path = s.shims_first();
  let out = s.sh(
    &path,
    "command -v npm; command -v npx; npm --version; npx --version; npm --npmx-version",
  );
  let lines: Vec<_> = out.lines().collect();
  assert_eq!(
    lines,
    [
      s.shims().join("npm").to_str().unwrap(),
      s.shims().join("npx").to_str().unwrap(),
      real.npm_version.as_str(),
      real.npx_version.as_str(),
      concat!("npmx ", env!("CARGO_PKG_VERSION")),
    ]
  );
}

#[test]
fn script_shims_keep_the_contract_and_find_npmx_without_it_on_path() {
  let s = Sandbox::new();
  s.install(&["--shims=script"]);
  for name in ["npm", "npx"] {
    let shim = fs::read_to_string(s.shims().join(name)).unwrap();
    let repo_shim = fs::read_to_string(repo().join("shims").join(name)).unwrap();
    assert!(shim.starts_with("#!/bin/sh\n# npmx-shim"), "{shim}");
    // The contract both keep: the marker, and npmx started in this mode.
    let contract = format!("NPMX_ARG0={name} exec \"$");
    assert!(shim.contains(&contract), "{shim}");
    assert!(repo_shim.contains(&contract), "{repo_shim}");
    assert!(
      fs::symlink_metadata(s.shims().join(name))
        .unwrap()
        .is_file()
    );
  }
  // PREFIX/bin is not on PATH: the script knows where its npmx is.
  let real = real_npm();
  let out = s.sh(&s.shims_first(), "npm --version; npx --version");
  assert_eq!(out, format!("{}\n{}\n", real.npm_version, real.npx_version));

  // And back to symlinks in place.
  s.install(&["--shims=symlink"]);
  assert!(
    fs::symlink_metadata(s.shims().join("npm"))
      .unwrap()
      .file_type()
      .is_symlink()
  );
}

#[test]
fn reinstalling_changes_nothing() {
  let s = Sandbox::new();
  fs::write(s.home().join(".bashrc"), "# mine\n").unwrap();
  s.install(&["--write-shell-config=bash"]);
  let manifest = fs::read_to_string(s.manifest()).unwrap();
  let before = tree(s.root());
  s.install(&["--write-shell-config=bash"]);
  s.install(&["--write-shell-config", "bash,bash"]);
  assert_eq!(fs::read_to_string(s.manifest()).unwrap(), manifest);
  assert_eq!(tree(s.root()), before);
  let bashrc = fs::read_to_string(s.home().join(".bashrc")).unwrap();
  assert_eq!(count(&bashrc, "export PATH="), 1, "{bashrc}");
  assert_eq!(count(&bashrc, "# >>> npmx"), 1, "{bashrc}");
}

#[test]
fn uninstall_removes_exactly_what_install_added() {
  let s = Sandbox::new();
  let prefix = s.prefix();
  // A prefix in use: other tools in bin/, another program's lib/.
  write_exe(&prefix.join("bin/other-tool"), "#!/bin/sh\necho other\n");
  fs::create_dir_all(prefix.join("lib/python3/site-packages")).unwrap();
  fs::write(prefix.join("lib/python3/site-packages/x.py"), "x = 1\n").unwrap();
  // A .bashrc without a final newline, and a .zshrc that does not exist yet.
  fs::write(s.home().join(".bashrc"), "alias ll='ls -l'").unwrap();
  let before = tree(s.root());

  s.install(&["--write-shell-config=bash,zsh,fish", "--shims=script"]);
  s.install(&["--write-shell-config=bash"]);
  assert!(prefix.join("bin/npmx").exists());
  assert!(s.home().join(".config/fish/config.fish").exists());
  let out = s.uninstall();
  assert!(out.contains("npmx is uninstalled."), "{out}");
  assert_eq!(tree(s.root()), before);

  // Again: nothing left to do, and it says so.
  assert!(s.uninstall().contains("Nothing to remove"));
}

#[test]
fn uninstall_of_a_fresh_prefix_leaves_no_folder_behind() {
  let s = Sandbox::new();
  let before = tree(s.root());
  s.install(&["--write-shell-config=bash", "--mode=alias"]);
  s.uninstall();
  assert_eq!(tree(s.root()), before);
  assert!(!s.prefix().exists());
}

#[test]
fn uninstall_keeps_a_file_changed_since_install() {
  let s = Sandbox::new();
  s.install(&[]);
  let npmx = s.prefix().join("bin/npmx");
  fs::remove_file(&npmx).unwrap();
  write_exe(&npmx, "#!/bin/sh\necho someone else's npmx\n");
  let mut command = s.command(install_sh(), "/usr/bin:/bin");
  command.args(["--uninstall", "--prefix"]).arg(s.prefix());
  let out = command.output().unwrap();
  assert!(out.status.success());
  assert!(text(&out.stderr).contains("kept"), "{}", text(&out.stderr));
  assert!(npmx.exists());
  assert!(!s.shims().exists());
  // The setup it ran is undone without that binary: blocks and the files
  // it created are gone.
  assert!(
    text(&out.stderr).contains("undoing npmx --npmx-setup without"),
    "{}",
    text(&out.stderr)
  );
  for rc in [
    ".profile",
    ".bashrc",
    ".zshenv",
    ".zshrc",
    ".config/fish/config.fish",
  ] {
    assert!(!s.home().join(rc).exists(), "{rc} is left");
  }
}

#[test]
fn install_refuses_to_overwrite_files_that_are_not_its_own() {
  let s = Sandbox::new();
  let foreign = s.prefix().join("bin/npmx");
  write_exe(&foreign, "#!/bin/sh\necho another npmx\n");
  let before = tree(s.root());
  let out = s.install_output(&[]);
  assert!(!out.status.success());
  let err = text(&out.stderr);
  assert!(err.contains("refusing to overwrite"), "{err}");
  assert!(err.contains("bin/npmx"), "{err}");
  // Checked before anything was changed.
  assert_eq!(tree(s.root()), before);

  // A foreign shim is refused the same way.
  let s = Sandbox::new();
  write_exe(
    &s.shims().join("npm"),
    "#!/bin/sh\nexec /usr/bin/npm \"$@\"\n",
  );
  let before = tree(s.root());
  let out = s.install_output(&[]);
  assert!(!out.status.success());
  assert!(text(&out.stderr).contains("refusing to overwrite"));
  assert_eq!(tree(s.root()), before);
}

#[test]
fn bash_config_block_is_written_once_works_and_is_removed() {
  let s = Sandbox::new();
  let bashrc = s.home().join(".bashrc");
  let original = "# my bashrc\nexport EDITOR=vi\n";
  fs::write(&bashrc, original).unwrap();

  s.install(&["--write-shell-config=bash"]);
  s.install(&["--write-shell-config=bash"]);
  let written = fs::read_to_string(&bashrc).unwrap();
  assert!(written.starts_with(original), "{written}");
  assert_eq!(
    count(&written, "# >>> npmx $HOME/.local >>>"),
    1,
    "{written}"
  );
  assert_eq!(
    count(&written, "# <<< npmx $HOME/.local <<<"),
    1,
    "{written}"
  );
  assert_eq!(
    count(
      &written,
      "export PATH=\"$HOME/.local/lib/npmx/shims${PATH:+:$PATH}\""
    ),
    1,
    "{written}"
  );

  // An interactive bash reads it: npm is the shim, and runs the real npm.
  let out = ok(
    s.command("bash", &base_path(&real_npm().dir))
      .args(["-ic", "command -v npm; npm --version"])
      .output()
      .unwrap(),
  );
  assert_eq!(
    out,
    format!(
      "{}\n{}\n",
      s.shims().join("npm").display(),
      real_npm().npm_version
    )
  );

  s.uninstall();
  assert_eq!(fs::read_to_string(&bashrc).unwrap(), original);
}

#[test]
fn alias_mode_block_runs_npm_and_npx_modes() {
  let s = Sandbox::new();
  s.install(&["--write-shell-config=bash", "--mode=alias"]);
  let real = real_npm();
  let out = ok(
    s.command("bash", &base_path(&real.dir))
      .args([
        "-ic",
        "type npm; npm --npmx-version; npm --version; npx --version",
      ])
      .output()
      .unwrap(),
  );
  let lines: Vec<_> = out.lines().collect();
  assert!(lines[0].contains("aliased to `npmx'"), "{out}");
  assert_eq!(
    lines[1..],
    [
      concat!("npmx ", env!("CARGO_PKG_VERSION")),
      real.npm_version.as_str(),
      real.npx_version.as_str()
    ]
  );
  // Alias mode puts PREFIX/bin on PATH, which holds no npm of npmx's.
  assert!(!s.prefix().join("bin/npm").exists());
}

#[test]
fn zsh_and_fish_config_blocks_work() {
  let s = Sandbox::new();
  s.install(&["--write-shell-config=zsh,fish"]);
  let path = base_path(&real_npm().dir);
  let shim = s.shims().join("npm");
  let mut tried = 0;
  if let Some(zsh) = on_path("zsh") {
    let out = ok(
      s.command(&zsh, &path)
        .args(["-ic", "command -v npm"])
        .output()
        .unwrap(),
    );
    assert_eq!(out.trim(), shim.to_str().unwrap());
    tried += 1;
  }
  if let Some(fish) = on_path("fish") {
    let out = ok(
      s.command(&fish, &path)
        .args(["-c", "command -v npm; npm --version"])
        .output()
        .unwrap(),
    );
    assert_eq!(
      out,
      format!("{}\n{}\n", shim.display(), real_npm().npm_version)
    );
    tried += 1;
  }
  if tried < 2 {
    eprintln!("zsh_and_fish_config_blocks_work: zsh or fish not installed, checked {tried} of 2");
  }
  s.uninstall();
  assert!(!s.home().join(".zshrc").exists());
  assert!(!s.home().join(".config/fish/config.fish").exists());
}

/// `npm run x` whose script runs npm again: every level goes through npmx
/// exactly once (NPMX_DEPTH counts one per level), NPMX_ARG0 never reaches a
/// script, and the nested npm prints the real version.
#[test]
fn nested_npm_in_lifecycle_scripts_reaches_npmx_once_per_level() {
  for shims in ["--shims=symlink", "--shims=script"] {
    let s = Sandbox::new();
    s.install(&[shims]);
    let project = s.root().join("project");
    fs::create_dir_all(&project).unwrap();
    fs::write(
      project.join("package.json"),
      r#"{
  "name": "nested",
  "version": "1.0.0",
  "scripts": {
    "x": "echo \"depth=${NPMX_DEPTH-} arg0=${NPMX_ARG0-unset}\"; command -v npm; npm --version; npm run --silent y",
    "y": "echo \"inner depth=${NPMX_DEPTH-} arg0=${NPMX_ARG0-unset}\""
  }
}
"#,
    )
    .unwrap();
    let out = ok(
      s.command("npm", &s.shims_first())
        .args(["run", "--silent", "x"])
        .current_dir(&project)
        .output()
        .unwrap(),
    );
    assert_eq!(
      out,
      format!(
        "depth=1 arg0=unset\n{}\n{}\ninner depth=2 arg0=unset\n",
        s.shims().join("npm").display(),
        real_npm().npm_version
      ),
      "{shims}"
    );
  }
}

#[test]
fn non_interactive_programs_find_the_shim() {
  let s = Sandbox::new();
  s.install(&[]);
  let path = s.shims_first();
  let version = &real_npm().npm_version;

  // A Makefile recipe (make runs each line with /bin/sh -c).
  if let Some(make) = on_path("make") {
    let dir = s.root().join("make");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
      dir.join("Makefile"),
      "v:\n\t@npm --npmx-version\n\t@npm --version\n",
    )
    .unwrap();
    let out = ok(
      s.command(make, &path)
        .args(["-s", "v"])
        .current_dir(&dir)
        .output()
        .unwrap(),
    );
    assert_eq!(
      out,
      format!("npmx {}\n{version}\n", env!("CARGO_PKG_VERSION"))
    );
  }

  // A program started by execvp, no shell at all (IDE tasks, CI runners).
  let out = ok(
    s.command("/usr/bin/env", &path)
      .args(["npm", "--version"])
      .output()
      .unwrap(),
  );
  assert_eq!(out.trim(), version);

  // A git hook.
  if let Some(git) = on_path("git") {
    let path = format!("{path}:{}", git.parent().unwrap().display());
    let dir = s.root().join("repo");
    fs::create_dir_all(&dir).unwrap();
    let git = |args: &[&str]| {
      ok(
        s.command(&git, &path)
          .args(args)
          .current_dir(&dir)
          .env("GIT_CONFIG_NOSYSTEM", "1")
          .env("GIT_AUTHOR_NAME", "t")
          .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
          .env("GIT_COMMITTER_NAME", "t")
          .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
          .output()
          .unwrap(),
      )
    };
    git(&["init", "-q"]);
    write_exe(
      &dir.join(".git/hooks/pre-commit"),
      "#!/bin/sh\n{ command -v npm; npm --version; } > hook.out\n",
    );
    git(&["commit", "-q", "--allow-empty", "-m", "x"]);
    assert_eq!(
      fs::read_to_string(dir.join("hook.out")).unwrap(),
      format!("{}\n{version}\n", s.shims().join("npm").display())
    );
  }
}

/// npm's global prefix can be install.sh's own (`npm config set prefix
/// ~/.local`): install and uninstall never touch npm's files, npmx runs the npm
/// installed there, and `npm install -g npm` replacing it keeps working.
#[test]
fn npms_own_files_are_never_touched() {
  let s = Sandbox::new();
  let prefix = s.prefix();
  let fake_npm = |version: &str| {
    let pkg = prefix.join("lib/node_modules/npm");
    let _ = fs::remove_dir_all(&pkg);
    write_exe(
      &pkg.join("bin/npm-cli.js"),
      &format!("#!/bin/sh\necho \"npm {version}: $*\"\n"),
    );
    write_exe(
      &pkg.join("bin/npx-cli.js"),
      &format!("#!/bin/sh\necho \"npx {version}: $*\"\n"),
    );
    fs::write(
      pkg.join("package.json"),
      format!("{{\"name\":\"npm\",\"version\":\"{version}\"}}\n"),
    )
    .unwrap();
    fs::create_dir_all(prefix.join("bin")).unwrap();
    for name in ["npm", "npx"] {
      let link = prefix.join("bin").join(name);
      let _ = fs::remove_file(&link);
      symlink(format!("../lib/node_modules/npm/bin/{name}-cli.js"), &link).unwrap();
    }
  };
  fake_npm("10.0.0");
  let npm_files = tree(&prefix);

  s.install(&[]);
  let after_install = tree(&prefix);
  for (path, what) in &npm_files {
    assert_eq!(after_install.get(path), Some(what), "{}", path.display());
  }
  let path = format!(
    "{}:{}:/usr/bin:/bin",
    s.shims().display(),
    prefix.join("bin").display()
  );
  assert_eq!(s.sh(&path, "npm --version"), "npm 10.0.0: --version\n");
  assert_eq!(s.sh(&path, "npx --yes"), "npx 10.0.0: --yes\n");

  // `npm install -g npm` replaces npm's files; npmx runs the new npm.
  fake_npm("11.0.0");
  assert_eq!(s.sh(&path, "npm --version"), "npm 11.0.0: --version\n");
  let upgraded = tree(&prefix)
    .into_iter()
    .filter(|(p, _)| !after_install.contains_key(p) || npm_files.contains_key(p))
    .collect::<BTreeMap<_, _>>();

  s.uninstall();
  let after_uninstall = tree(&prefix);
  for (path, what) in &upgraded {
    assert_eq!(after_uninstall.get(path), Some(what), "{}", path.display());
  }
  assert!(!prefix.join("bin/npmx").exists());
  assert!(!prefix.join("lib/npmx").exists());
}

#[test]
fn install_sh_help_and_bad_options() {
  let s = Sandbox::new();
  let run = |args: &[&str]| {
    s.command(install_sh(), "/usr/bin:/bin")
      .args(args)
      .output()
      .unwrap()
  };
  let help = run(&["--help"]);
  assert!(help.status.success());
  assert!(text(&help.stdout).contains("--write-shell-config"));
  for bad in [
    &["--frobnicate"][..],
    &["--shims=copy"],
    &["--write-shell-config=tcsh"],
    &["--prefix"],
    &["--prefix", "/tmp/a:b"],
  ] {
    let out = run(bad);
    assert!(!out.status.success(), "{bad:?}");
    assert!(text(&out.stderr).starts_with("install.sh: "), "{bad:?}");
  }
  let out = run(&["--binary", "/nonexistent/npmx"]);
  assert!(!out.status.success());
  assert!(!s.prefix().exists());
}

#[test]
fn install_sh_runs_under_bash_as_well_as_sh() {
  let s = Sandbox::new();
  let before = tree(s.root());
  let run = |args: &[&str]| {
    ok(
      s.command("bash", "/usr/bin:/bin")
        .arg(install_sh())
        .arg("--prefix")
        .arg(s.prefix())
        .args(args)
        .output()
        .unwrap(),
    )
  };
  run(&["--binary", NPMX, "--write-shell-config=bash,fish"]);
  assert_eq!(
    s.sh(&s.shims_first(), "npm --version").trim(),
    real_npm().npm_version
  );
  run(&["--uninstall"]);
  assert_eq!(tree(s.root()), before);
}

#[test]
fn scripts_pass_shellcheck() {
  let Some(shellcheck) = on_path("shellcheck") else {
    eprintln!("scripts_pass_shellcheck: shellcheck not installed, skipped");
    return;
  };
  for script in [
    install_sh(),
    feature_dir().join("install.sh"),
    repo().join("shims/npm"),
    repo().join("shims/npx"),
    repo().join("devcontainer/test/npmx/test.sh"),
  ] {
    let out = Command::new(&shellcheck).arg(&script).output().unwrap();
    assert!(
      out.status.success(),
      "{}:\n{}",
      script.display(),
      text(&out.stdout)
    );
  }
}

// ---------------------------------------------------------------------------
// The Dev Container Feature

fn feature_json() -> serde_json::Value {
  serde_json::from_str(
    &fs::read_to_string(feature_dir().join("devcontainer-feature.json")).unwrap(),
  )
  .unwrap()
}

/// The feature's shims folder inside the container, from its containerEnv.
fn feature_shims_dir() -> String {
  let path = feature_json()["containerEnv"]["PATH"]
    .as_str()
    .unwrap()
    .to_owned();
  path.strip_suffix(":${PATH}").unwrap().to_owned()
}

/// A temporary root for the Feature, with a Debian-like /etc.
struct FeatureRoot {
  sandbox: Sandbox,
}

impl FeatureRoot {
  fn new() -> FeatureRoot {
    let sandbox = Sandbox::new();
    let root = sandbox.root().join("root");
    fs::create_dir_all(root.join("etc/profile.d")).unwrap();
    // /etc/profile as Debian has it: PATH rebuilt, then profile.d sourced.
    fs::write(
      root.join("etc/profile"),
      format!(
        "PATH=\"/usr/local/bin:/usr/bin:/bin\"\nexport PATH\nfor i in {}/etc/profile.d/*.sh; do\n  if [ -r \"$i\" ]; then . \"$i\"; fi\ndone\nunset i\n",
        root.display()
      ),
    )
    .unwrap();
    // bash.bashrc where something (nvm-like) puts another npm first.
    let other = sandbox.root().join("other-node/bin");
    write_exe(&other.join("npm"), "#!/bin/sh\necho other npm\n");
    fs::write(
      root.join("etc/bash.bashrc"),
      format!(
        "# System-wide .bashrc file for interactive bash(1) shells.\nexport PATH=\"{}:$PATH\"",
        other.display()
      ),
    )
    .unwrap();
    FeatureRoot { sandbox }
  }

  fn root(&self) -> PathBuf {
    self.sandbox.root().join("root")
  }

  fn shims(&self) -> PathBuf {
    PathBuf::from(format!("{}{}", self.root().display(), feature_shims_dir()))
  }

  /// The containerEnv PATH, under this root.
  fn container_path(&self) -> String {
    format!("{}:{}", self.shims().display(), base_path(&real_npm().dir))
  }

  fn install_output(&self, script: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = self.sandbox.command("/bin/sh", &base_path(&real_npm().dir));
    command
      .arg(script)
      .env("NPMX_FEATURE_ROOT", self.root())
      .envs(env.iter().copied());
    command.output().unwrap()
  }

  #[track_caller]
  fn install(&self, env: &[(&str, &str)]) -> String {
    ok(self.install_output(&feature_dir().join("install.sh"), env))
  }
}

#[test]
fn feature_metadata_follows_the_spec() {
  let json = feature_json();
  assert_eq!(json["id"], "npmx");
  assert_eq!(
    feature_dir().file_name().unwrap(),
    "npmx",
    "the folder is named after the id"
  );
  assert!(json["version"].as_str().unwrap().split('.').count() == 3);
  assert!(json["name"].is_string());
  assert_eq!(
    json["installsAfter"],
    serde_json::json!(["ghcr.io/devcontainers/features/node"])
  );
  assert_eq!(
    json["containerEnv"]["PATH"],
    "/usr/local/share/npmx/lib/npmx/shims:${PATH}"
  );
  for (name, option) in json["options"].as_object().unwrap() {
    assert!(option["type"].is_string(), "{name}");
    assert!(option.get("default").is_some(), "{name}");
    assert!(option["description"].is_string(), "{name}");
  }
  let script = fs::read_to_string(feature_dir().join("install.sh")).unwrap();
  assert!(script.contains("share=$root/usr/local/share/npmx"));
  let mode = fs::metadata(feature_dir().join("install.sh"))
    .unwrap()
    .permissions()
    .mode();
  assert!(mode & 0o111 != 0, "install.sh must be executable");
}

#[test]
fn feature_puts_the_shims_first_for_login_and_non_login_shells() {
  let f = FeatureRoot::new();
  let s = &f.sandbox;
  f.install(&[("BINARYPATH", NPMX)]);
  let out = f.install(&[("BINARYPATH", NPMX)]);
  assert!(out.contains("now runs through npmx"), "{out}");

  let root = f.root();
  assert_eq!(
    fs::read(root.join("usr/local/share/npmx/bin/npmx")).unwrap(),
    fs::read(NPMX).unwrap()
  );
  assert_eq!(
    fs::read_link(f.shims().join("npm")).unwrap(),
    Path::new("../../../bin/npmx"),
    "made by npmx --npmx-setup"
  );
  let bashrc = fs::read_to_string(root.join("etc/bash.bashrc")).unwrap();
  assert_eq!(count(&bashrc, "# >>> npmx"), 1, "{bashrc}");

  let shim = f.shims().join("npm");
  let expected = format!("{}\n{}\n", shim.display(), real_npm().npm_version);
  let check = "command -v npm; npm --version";
  let profile = root.join("etc/profile");
  let container_path = f.container_path();

  // Non-login shells and programs: the containerEnv PATH alone.
  assert_eq!(s.sh(&container_path, check), expected);
  let out = ok(
    s.command("bash", &container_path)
      .args(["--noprofile", "--norc", "-c", check])
      .output()
      .unwrap(),
  );
  assert_eq!(out, expected);

  // Login shells: /etc/profile rebuilds PATH, profile.d puts the shims back.
  for shell in ["/bin/sh", "bash"] {
    let script = format!(". '{}'; {check}; echo \"$PATH\"", profile.display());
    let mut command = s.command(shell, &container_path);
    if shell == "bash" {
      command.args(["--noprofile", "--norc"]);
    }
    let out = ok(command.arg("-c").arg(&script).output().unwrap());
    assert_eq!(
      out,
      format!(
        "{expected}{}:/usr/local/bin:/usr/bin:/bin\n",
        f.shims().display()
      ),
      "{shell}"
    );
  }

  // Interactive non-login bash: bash.bashrc puts another npm first, the
  // Feature's line after it puts the shims back (once: PATH has no duplicate).
  let script = format!(
    ". '{}'; . '{}'; {check}; echo \"$PATH\"",
    root.join("etc/bash.bashrc").display(),
    root.join("etc/bash.bashrc").display()
  );
  let out = ok(
    s.command("bash", &container_path)
      .args(["--noprofile", "--norc", "-c", &script])
      .output()
      .unwrap(),
  );
  let mut lines = out.lines();
  assert_eq!(
    lines.next().unwrap(),
    shim.to_str().unwrap(),
    "{out}\n{bashrc}"
  );
  let path = out.lines().last().unwrap();
  assert_eq!(
    count(&format!("{path}:"), &format!("{}:", f.shims().display())),
    1,
    "{path}"
  );

  if let Some(zsh) = on_path("zsh") {
    let out = ok(
      s.command(zsh, &format!("/usr/bin:{container_path}"))
        .args([
          "-fc",
          &format!(
            ". '{}'; {check}",
            root.join("etc/profile.d/npmx.sh").display()
          ),
        ])
        .output()
        .unwrap(),
    );
    assert_eq!(out, expected);
  }
}

#[test]
fn feature_installs_a_binary_next_to_its_script_with_script_shims() {
  let f = FeatureRoot::new();
  let copy = f.sandbox.root().join("feature");
  fs::create_dir_all(&copy).unwrap();
  for name in ["install.sh", "devcontainer-feature.json"] {
    fs::copy(feature_dir().join(name), copy.join(name)).unwrap();
  }
  // Packed into a Feature's tarball the binary may lose its x bit.
  fs::copy(NPMX, copy.join("npmx")).unwrap();
  fs::set_permissions(copy.join("npmx"), fs::Permissions::from_mode(0o644)).unwrap();
  ok(f.install_output(&copy.join("install.sh"), &[("SHIMS", "script")]));
  let shim = fs::read_to_string(f.shims().join("npx")).unwrap();
  assert!(shim.contains("npmx-shim"), "{shim}");
  assert_eq!(
    f.sandbox.sh(&f.container_path(), "npx --version").trim(),
    real_npm().npx_version
  );
}

#[test]
fn feature_builds_from_source_when_cargo_is_there() {
  let f = FeatureRoot::new();
  let s = &f.sandbox;
  let source = s.root().join("source");
  fs::create_dir_all(&source).unwrap();
  fs::write(source.join("Cargo.toml"), "[package]\nname = \"npmx\"\n").unwrap();
  // A stand-in cargo: checks how it is called and "builds" the test binary.
  let bin = s.root().join("cargo-bin");
  write_exe(
    &bin.join("cargo"),
    &format!(
      "#!/bin/sh\n[ \"$*\" = 'build --release --locked' ] || exit 3\n[ -f Cargo.toml ] || exit 4\nmkdir -p \"$CARGO_TARGET_DIR/release\"\ncp '{NPMX}' \"$CARGO_TARGET_DIR/release/npmx\"\n"
    ),
  );
  let mut command = s.command(
    "/bin/sh",
    &format!("{}:{}", bin.display(), base_path(&real_npm().dir)),
  );
  command
    .arg(feature_dir().join("install.sh"))
    .env("NPMX_FEATURE_ROOT", f.root())
    .env("SOURCEPATH", &source);
  ok(command.output().unwrap());
  assert_eq!(
    s.sh(&f.container_path(), "npm --version").trim(),
    real_npm().npm_version
  );
}

#[test]
fn feature_downloads_from_url_and_fails_clearly_without_a_binary() {
  let f = FeatureRoot::new();
  let out = f.install_output(&feature_dir().join("install.sh"), &[]);
  assert!(!out.status.success());
  assert!(
    text(&out.stderr).contains("no npmx to install"),
    "{}",
    text(&out.stderr)
  );
  assert!(!f.shims().exists());

  if on_path("curl").is_some() {
    let arch = text(&Command::new("uname").arg("-m").output().unwrap().stdout)
      .trim()
      .to_owned();
    let served = f.sandbox.root().join(format!("npmx-{arch}"));
    fs::copy(NPMX, &served).unwrap();
    let url = format!("file://{}/npmx-{{arch}}", f.sandbox.root().display());
    let mut command = f.sandbox.command(
      "/bin/sh",
      &format!(
        "{}:/usr/bin:/bin",
        on_path("curl").unwrap().parent().unwrap().display()
      ),
    );
    command
      .arg(feature_dir().join("install.sh"))
      .env("NPMX_FEATURE_ROOT", f.root())
      .env("URL", &url);
    ok(command.output().unwrap());
    assert_eq!(
      fs::read(f.root().join("usr/local/share/npmx/bin/npmx")).unwrap(),
      fs::read(NPMX).unwrap()
    );
  }
}

/// Spaces, quotes, `$` and backquotes in the prefix survive every line
/// install.sh prints, writes or generates, in both modes.
#[test]
fn odd_prefix_paths_are_quoted_everywhere() {
  let s = Sandbox::new();
  let prefix = s.root().join("my \"odd\" $HOME `pre'fix`");
  let run = |args: &[&str]| {
    ok(
      s.command(install_sh(), "/usr/bin:/bin")
        .arg("--prefix")
        .arg(&prefix)
        .args(args)
        .output()
        .unwrap(),
    )
  };
  let before = tree(s.root());
  let path = base_path(&real_npm().dir);
  let expected = format!(
    "npmx {}\n{}\n",
    env!("CARGO_PKG_VERSION"),
    real_npm().npm_version
  );
  let check = "npm --npmx-version; npm --version";
  for mode in ["--mode=path", "--mode=alias"] {
    let out = run(&[
      "--binary",
      NPMX,
      "--shims=script",
      "--write-shell-config=bash,fish",
      mode,
    ]);
    assert!(out.contains("--prefix '"), "{out}");
    let out = ok(
      s.command("bash", &path)
        .args(["-ic", check])
        .output()
        .unwrap(),
    );
    assert_eq!(out, expected, "bash {mode}");
    if let Some(fish) = on_path("fish") {
      let out = ok(s.command(fish, &path).args(["-c", check]).output().unwrap());
      assert_eq!(out, expected, "fish {mode}");
    }
  }
  run(&["--uninstall"]);
  assert_eq!(tree(s.root()), before);
}

/// bash reads ~/.bash_profile instead of ~/.profile when it exists, and this
/// one does not read ~/.bashrc: setup writes its block there too.
#[test]
fn a_bash_profile_that_skips_bashrc_gets_the_block() {
  let s = Sandbox::new();
  fs::write(s.home().join(".bash_profile"), "export A=1\n").unwrap();
  let out = s.install(&["--write-shell-config=bash"]);
  assert!(out.contains(".bash_profile (added)"), "{out}");
  let out = ok(
    s.command("bash", &base_path(&real_npm().dir))
      .args(["-lc", "command -v npm"])
      .output()
      .unwrap(),
  );
  assert_eq!(out.trim(), s.shims().join("npm").to_str().unwrap());
  s.uninstall();
  assert_eq!(
    fs::read_to_string(s.home().join(".bash_profile")).unwrap(),
    "export A=1\n"
  );
}
