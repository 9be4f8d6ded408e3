//! `npmx --npmx-setup`: after it, every shell a person or a machine starts
//! runs `npm` through npmx — a new interactive bash, `bash -lc`, a command
//! over ssh (bash reads `.bashrc` then, and Debian's returns early), `zsh -c`,
//! an interactive zsh, fish — and `--undo` leaves the home folder as it was.
//!
//! The home folder starts as Debian's skeleton (`.bashrc` with its "not
//! interactive: return" guard, `.profile` that sources it); npmx is installed
//! as `~/.local/bin/npmx` (a symlink to the test build, as a package manager
//! would link it), and the npm behind the shims is the fake npm.

use std::{
  collections::BTreeMap,
  fs,
  os::unix::fs::{PermissionsExt, symlink},
  path::{Path, PathBuf},
};

use crate::harness::{Done, NPMX, Test};

/// Debian 12's /etc/skel/.bashrc, as far as startup order goes.
const DEBIAN_BASHRC: &str = "# ~/.bashrc: executed by bash(1) for non-login shells.

# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac

HISTCONTROL=ignoreboth
alias ll='ls -l'
";

/// Debian 12's /etc/skel/.profile.
const DEBIAN_PROFILE: &str = "# ~/.profile: executed by the command interpreter for login shells.
if [ -n \"$BASH_VERSION\" ]; then
    if [ -f \"$HOME/.bashrc\" ]; then
\t. \"$HOME/.bashrc\"
    fi
fi
if [ -d \"$HOME/bin\" ] ; then
    PATH=\"$HOME/bin:$PATH\"
fi
if [ -d \"$HOME/.local/bin\" ] ; then
    PATH=\"$HOME/.local/bin:$PATH\"
fi
";

const VERSION_LINE: &str = concat!("npmx ", env!("CARGO_PKG_VERSION"));

fn shell(name: &str) -> PathBuf {
  for dir in ["/usr/bin", "/bin"] {
    let path = Path::new(dir).join(name);
    if path.is_file() {
      return path;
    }
  }
  panic!("{name} is not installed: tests/e2e/provision.sh installs it (./test.sh runs it)")
}

/// A Debian-like home with npmx at `~/.local/bin/npmx`; PATH is what a
/// fresh session has before its startup files run: the (fake) npm and the
/// system.
fn machine() -> Test {
  let t = Test::new().path_is(["bin", "/usr/bin", "/bin"]);
  // What shells keep for themselves goes outside the home folder.
  let data = t.path("scratch/data");
  let t = t.env("XDG_DATA_HOME", data).env("HISTFILE", "/dev/null");
  t.write("home/.bashrc", DEBIAN_BASHRC);
  t.write("home/.profile", DEBIAN_PROFILE);
  fs::create_dir_all(t.path("home/.local/bin")).unwrap();
  symlink(NPMX, t.path("home/.local/bin/npmx")).unwrap();
  t
}

fn npmx_at_home(t: &Test, args: &[&str]) -> Done {
  t.clone().program("home/.local/bin/npmx").args(args).run()
}

#[track_caller]
fn ok(run: Done) -> String {
  assert_eq!(
    run.code(),
    Some(0),
    "stdout:\n{}\nstderr:\n{}",
    run.stdout(),
    run.stderr()
  );
  run.stdout()
}

/// `command -v npm; npm --npmx-version` in this shell, as started.
fn npm_in(t: &Test, program: &Path, args: &[&str]) -> String {
  let script = "command -v npm; npm --npmx-version";
  let mut all: Vec<&str> = args.to_vec();
  all.push(script);
  ok(t.clone().program(program).args(all).run())
}

fn through_npmx(t: &Test) -> String {
  format!(
    "{}\n{VERSION_LINE}\n",
    t.path("home/.local/lib/npmx/shims/npm").display()
  )
}

/// Every path under `dir`: folders, link targets, file modes and contents.
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
  fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
    for entry in fs::read_dir(dir).unwrap() {
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
        let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        let mode = meta.permissions().mode() & 0o777;
        out.insert(rel, format!("file {mode:o} {text}"));
      }
    }
  }
  let mut out = BTreeMap::new();
  walk(dir, dir, &mut out);
  out
}

#[test]
fn after_setup_every_shell_runs_npm_through_npmx_and_undo_restores_the_home() {
  let t = machine();
  let before = tree(&t.path("home"));

  let out = ok(npmx_at_home(&t, &["--npmx-setup"]));
  assert!(out.contains("Open a new shell"), "{out}");
  assert!(out.contains("npmx --npmx-help"), "{out}");
  assert!(out.contains("npmx --npmx-setup --undo"), "{out}");
  assert!(!out.contains("ONE of"), "{out}");
  let shims = t.path("home/.local/lib/npmx/shims");
  assert_eq!(
    fs::read_link(shims.join("npm")).unwrap(),
    Path::new("../../../bin/npmx")
  );
  assert_eq!(
    fs::read_link(shims.join("npx")).unwrap(),
    Path::new("../../../bin/npmx")
  );

  let want = through_npmx(&t);
  let bash = shell("bash");
  // A new terminal: interactive bash.
  assert_eq!(npm_in(&t, &bash, &["-i", "-c"]), want, "bash -ic");
  // A login shell: ~/.profile.
  assert_eq!(npm_in(&t, &bash, &["-l", "-c"]), want, "bash -lc");
  // `ssh host 'npm …'`: bash reads ~/.bashrc, which returns at once.
  let ssh = t.clone().env("SSH_CLIENT", "127.0.0.1 40000 22");
  assert_eq!(npm_in(&ssh, &bash, &["-c"]), want, "bash -c over ssh");
  let zsh = shell("zsh");
  assert_eq!(npm_in(&t, &zsh, &["-c"]), want, "zsh -c");
  assert_eq!(npm_in(&t, &zsh, &["-i", "-c"]), want, "zsh -ic");
  assert_eq!(npm_in(&t, &zsh, &["-l", "-c"]), want, "zsh -lc");
  let fish = shell("fish");
  assert_eq!(npm_in(&t, &fish, &["-c"]), want, "fish -c");
  assert_eq!(npm_in(&t, &fish, &["-i", "-c"]), want, "fish -ic");
  // npm itself runs behind npmx: the fake npm answers.
  let version = ok(
    t.clone()
      .program(&bash)
      .args(["-ic", "npm --version"])
      .run(),
  );
  assert_eq!(version, "0.0.0-fake\n");

  // Again: nothing changes.
  let once = tree(&t.path("home"));
  let out = ok(npmx_at_home(&t, &["--npmx-setup"]));
  assert!(out.contains("(up to date"), "{out}");
  assert_eq!(tree(&t.path("home")), once);

  let out = ok(npmx_at_home(&t, &["--npmx-setup", "--undo"]));
  assert!(out.contains("Undone"), "{out}");
  assert_eq!(tree(&t.path("home")), before);
  // And npm is the plain npm again.
  let plain = ok(
    t.clone()
      .program(&bash)
      .args(["-ic", "command -v npm"])
      .run(),
  );
  assert_eq!(plain, format!("{}\n", t.path("bin/npm").display()));
}

/// What a new user saw: the block appended to the end of Debian's `.bashrc`
/// (as install.sh used to write it) is never read by a command over ssh.
/// Setup moves it before the early return and keeps one at the end.
#[test]
fn a_block_after_debians_early_return_is_moved_before_it() {
  let t = machine();
  let shims = "$HOME/.local/lib/npmx/shims";
  let old_block = format!(
    "# >>> npmx $HOME/.local >>>\nexport PATH=\"{shims}:$PATH\"\n# <<< npmx $HOME/.local <<<\n"
  );
  t.write("home/.bashrc", format!("{DEBIAN_BASHRC}{old_block}"));
  ok(npmx_at_home(&t, &["--npmx-setup", "--shell=none"]));
  let bash = shell("bash");
  let ssh = t.clone().env("SSH_CLIENT", "127.0.0.1 40000 22");
  let before = npm_in(&ssh, &bash, &["-c"]);
  assert_eq!(
    before.lines().next(),
    Some(t.path("bin/npm").to_str().unwrap()),
    "the old block is not read over ssh: {before}"
  );

  let out = ok(npmx_at_home(&t, &["--npmx-setup", "--shell=bash"]));
  assert!(
    out.contains("before its \"not interactive: return\" line"),
    "{out}"
  );
  let bashrc = String::from_utf8(t.read("home/.bashrc")).unwrap();
  let block_at = bashrc.find("# >>> npmx $HOME/.local >>>").unwrap();
  let guard_at = bashrc.find("case $- in").unwrap();
  assert!(block_at < guard_at, "{bashrc}");
  assert_eq!(bashrc.matches("# >>> npmx $HOME/.local >>>").count(), 2);
  assert!(!bashrc.contains(&old_block), "{bashrc}");
  assert_eq!(npm_in(&ssh, &bash, &["-c"]), through_npmx(&t));
}

/// nvm and its like put their Node first from `.bashrc` and `.zshrc`; the
/// block at the end of those files comes after them.
#[test]
fn the_shims_stay_first_after_a_version_manager_in_the_startup_files() {
  let t = machine();
  t.fake_npm_at("nvm/bin/npm");
  let nvm = format!("export PATH=\"{}:$PATH\"\n", t.path("nvm/bin").display());
  t.write("home/.bashrc", format!("{DEBIAN_BASHRC}{nvm}"));
  t.write("home/.zshrc", &nvm);
  ok(npmx_at_home(&t, &["--npmx-setup", "--shell=bash,zsh"]));
  let want = through_npmx(&t);
  assert_eq!(npm_in(&t, &shell("bash"), &["-i", "-c"]), want);
  assert_eq!(npm_in(&t, &shell("zsh"), &["-i", "-c"]), want);
}

#[test]
fn a_bash_profile_gets_the_block_too_and_existing_text_is_kept() {
  let t = machine();
  // bash reads ~/.bash_profile instead of ~/.profile when it exists; this
  // one does not read ~/.bashrc, and ends without a newline.
  t.write("home/.bash_profile", "export EDITOR=vi");
  let before = tree(&t.path("home"));
  ok(npmx_at_home(&t, &["--npmx-setup", "--shell=bash"]));
  let profile = String::from_utf8(t.read("home/.bash_profile")).unwrap();
  assert!(
    profile.starts_with("export EDITOR=vi\n# >>> npmx"),
    "{profile}"
  );
  assert_eq!(npm_in(&t, &shell("bash"), &["-l", "-c"]), through_npmx(&t));
  ok(npmx_at_home(&t, &["--npmx-setup", "--undo"]));
  assert_eq!(tree(&t.path("home")), before);
}

#[test]
fn setup_refuses_to_replace_a_file_that_is_not_its_shim() {
  let t = machine();
  let foreign = t.executable("home/.local/lib/npmx/shims/npm", "#!/bin/sh\necho mine\n");
  let before = tree(&t.path("home"));
  let run = npmx_at_home(&t, &["--npmx-setup"]);
  assert_eq!(run.code(), Some(2), "{}", run.stdout());
  assert!(run.stderr().contains("is in the way"), "{}", run.stderr());
  assert!(run.stderr().contains(&foreign.display().to_string()));
  assert_eq!(tree(&t.path("home")), before);
}

#[test]
fn setup_help_and_bad_options() {
  let t = machine();
  let out = ok(npmx_at_home(&t, &["--npmx-setup", "--help"]));
  assert!(out.contains("--undo"), "{out}");
  let run = npmx_at_home(&t, &["--npmx-setup", "--shell=tcsh"]);
  assert_eq!(run.code(), Some(2));
  assert!(run.stderr().contains("unknown shell"), "{}", run.stderr());
  let help = ok(npmx_at_home(&t, &["--npmx-help"]));
  assert!(help.contains("--npmx-setup"), "{help}");
}
