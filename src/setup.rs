//! `npmx --npmx-setup [--shell=LIST] [--undo]`: puts npmx in front of npm for
//! this user, the way `volta setup` and rustup's installer do, and takes it
//! away again.
//!
//! 1. The shims: `npm` and `npx`, symlinks to the npmx binary, in a folder of
//!    their own beside the install (`PREFIX/lib/npmx/shims` for
//!    `PREFIX/bin/npmx`, and for npm's global layout, where the binary lives
//!    under `PREFIX/lib/node_modules/`). Never in npmx's own `bin/`: putting
//!    that on PATH must not shadow npm.
//! 2. The PATH line, in a marked block, in the startup files each shell reads
//!    in every mode that runs commands (docs/design.md, "Setup"): bash
//!    `~/.profile` (and `~/.bash_profile` or `~/.bash_login` when bash reads
//!    that instead) for login shells, `~/.bashrc` for interactive shells and
//!    for commands run over ssh, with one block *before* the "not interactive:
//!    return" line Debian's and Arch's `.bashrc` open with and one at the end
//!    (after nvm and the like); zsh `.zshenv` (every zsh, `zsh -c` too) and
//!    `.zshrc` (after whatever it puts first); fish `config.fish`. Each
//!    block puts the shims first unless they are first already.
//! 3. What it created (folders, links, files) in `PREFIX/lib/npmx/setup`, so
//!    `--undo` removes exactly that and every block, and nothing else.
//!
//! Running it again changes nothing; a block found elsewhere in a file is
//! moved back where it belongs.

use std::{
  ffi::{OsStr, OsString},
  fs,
  io::Write,
  os::unix::fs::MetadataExt,
  path::{Component, Path, PathBuf},
};

use crate::{Env, Error, locate, output, redact::Redactor};

mod rc;
mod state;
#[cfg(test)]
mod tests;

use {rc::*, state::*};

const USAGE: &str = "\
Usage: npmx --npmx-setup [--shell=bash,zsh,fish|none] [--undo]

Creates the npm and npx shims beside this npmx and puts them first on PATH in
the startup files of bash, zsh and fish (a marked block in each; by default
for bash, and for zsh and fish when they are installed).

  --shell=LIST  the shells to configure (comma-separated), or `none` for the
                shims alone
  --undo        remove the shims, folders and files setup created and every
                block it wrote
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shell {
  Bash,
  Zsh,
  Fish,
}

impl Shell {
  const ALL: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

  fn name(self) -> &'static str {
    match self {
      Shell::Bash => "bash",
      Shell::Zsh => "zsh",
      Shell::Fish => "fish",
    }
  }
}

#[derive(Debug, PartialEq, Eq)]
struct Args {
  undo: bool,
  /// `None`: bash, and zsh and fish where installed.
  shells: Option<Vec<Shell>>,
}

fn parse(args: &[OsString]) -> Result<Option<Args>, Error> {
  let mut parsed = Args {
    undo: false,
    shells: None,
  };
  for arg in args {
    let arg = arg.to_str().unwrap_or("");
    match arg {
      "--undo" => parsed.undo = true,
      "-h" | "--help" => return Ok(None),
      _ => {
        let Some(list) = arg.strip_prefix("--shell=") else {
          return Err(usage(&format!(
            "--npmx-setup: unknown option {arg:?} (see `npmx --npmx-setup --help`)"
          )));
        };
        let mut shells = Vec::new();
        for name in list.split(',').filter(|s| !s.is_empty()) {
          match name {
            "none" => {}
            "bash" => shells.push(Shell::Bash),
            "zsh" => shells.push(Shell::Zsh),
            "fish" => shells.push(Shell::Fish),
            _ => {
              return Err(usage(&format!(
                "--npmx-setup: unknown shell {name:?} (bash, zsh, fish or none)"
              )));
            }
          }
        }
        shells.dedup();
        parsed.shells = Some(shells);
      }
    }
  }
  Ok(Some(parsed))
}

fn usage(message: &str) -> Error {
  Error::Usage {
    message: message.to_owned(),
  }
}

/// Where this npmx is, and where its shims and records go.
#[derive(Debug)]
struct Layout {
  /// The npmx the shims run, as it was invoked (symlinks kept: a shim that
  /// names `PREFIX/bin/npmx` survives an upgrade that replaces its target).
  exe: PathBuf,
  prefix: PathBuf,
  shims: PathBuf,
  /// What the shim symlinks hold: relative to the shims folder when the
  /// binary is under the same prefix.
  link_target: PathBuf,
  /// The record of what setup created.
  state: PathBuf,
}

impl Layout {
  fn of(exe: PathBuf) -> Layout {
    let components: Vec<Component> = exe.components().collect();
    // npm's global layout: PREFIX/lib/node_modules/<package>/…/npmx.
    let npm_global = components
      .windows(2)
      .position(|w| w[0].as_os_str() == "lib" && w[1].as_os_str() == "node_modules");
    let parent = exe.parent().unwrap_or(Path::new("/")).to_path_buf();
    let (prefix, data) = if let Some(i) = npm_global {
      let prefix: PathBuf = components[..i].iter().collect();
      let data = prefix.join("lib/npmx");
      (prefix, data)
    } else if parent.file_name() == Some(OsStr::new("bin")) {
      let prefix = parent.parent().unwrap_or(Path::new("/")).to_path_buf();
      let data = prefix.join("lib/npmx");
      (prefix, data)
    } else {
      // A binary in a folder of its own (an unpacked download): beside it.
      (parent.clone(), parent.join("npmx-setup"))
    };
    let shims = data.join("shims");
    let link_target = match exe.strip_prefix(&prefix) {
      Ok(rel) => {
        let ups = shims
          .strip_prefix(&prefix)
          .map(|s| s.components().count())
          .unwrap_or(0);
        let mut target = PathBuf::new();
        for _ in 0..ups {
          target.push("..");
        }
        target.join(rel)
      }
      Err(_) => exe.clone(),
    };
    Layout {
      state: data.join("setup"),
      exe,
      prefix,
      shims,
      link_target,
    }
  }
}

/// The npmx that is running, as the person invoked it: argv\[0\] (found on
/// PATH when it has no slash) when that is this very file under the name
/// `npmx`, else the running executable itself (a shim named npm, a launcher).
fn invoked_exe(arg0: Option<&OsStr>, env: &Env) -> Result<PathBuf, Error> {
  let running = fs::metadata("/proc/self/exe")
    .or_else(|_| fs::metadata(std::env::current_exe()?))
    .ok();
  let cwd = std::env::current_dir().unwrap_or_default();
  let from_arg0 = arg0.and_then(|arg0| {
    let path = Path::new(arg0);
    if path.file_name()? != "npmx" {
      return None;
    }
    let path = if arg0.as_encoded_bytes().contains(&b'/') {
      cwd.join(path)
    } else {
      let path_var = env.get_os("PATH")?;
      std::env::split_paths(path_var)
        .map(|d| cwd.join(d).join(path))
        .find(|p| p.is_file())?
    };
    let meta = fs::metadata(&path).ok()?;
    let running = running.as_ref()?;
    (meta.dev() == running.dev() && meta.ino() == running.ino()).then(|| normalize(&path))
  });
  if let Some(path) = from_arg0 {
    return Ok(path);
  }
  let exe = fs::canonicalize("/proc/self/exe")
    .or_else(|_| std::env::current_exe())
    .map_err(|e| Error::Input {
      what: "where this npmx is (/proc/self/exe)".into(),
      source: e,
    })?;
  Ok(exe)
}

/// `a/./b/../c` → `a/c`, without touching the disk (symlinks are kept).
fn normalize(path: &Path) -> PathBuf {
  let mut out = PathBuf::new();
  for c in path.components() {
    match c {
      Component::CurDir => {}
      Component::ParentDir => {
        out.pop();
      }
      other => out.push(other),
    }
  }
  out
}

// ---------------------------------------------------------------------------
// Doing it

struct Report {
  lines: Vec<String>,
}

impl Report {
  fn say(&mut self, line: impl Into<String>) {
    self.lines.push(line.into());
  }

  fn print(self) {
    let text = self.lines.join("\n") + "\n";
    output::stdout(&Redactor::default().clean(&text));
  }
}

/// The shims folder setup makes for this npmx (`--npmx-doctor` checks it
/// against PATH).
pub(crate) fn shims_dir(arg0: Option<&OsStr>, env: &Env) -> Option<PathBuf> {
  invoked_exe(arg0, env).ok().map(|exe| Layout::of(exe).shims)
}

pub(crate) fn run(args: &[OsString], arg0: Option<&OsStr>, env: &Env) -> Result<i32, Error> {
  let Some(args) = parse(args)? else {
    let _ = std::io::stdout().lock().write_all(USAGE.as_bytes());
    return Ok(0);
  };
  let exe = invoked_exe(arg0, env)?;
  let layout = Layout::of(exe);
  let home = env.home();
  if args.undo {
    undo(&layout, home.as_deref(), env)
  } else {
    setup(&layout, home.as_deref(), &args, env)
  }
}

fn failed(what: String, source: std::io::Error) -> Error {
  Error::Input { what, source }
}

fn on_path(program: &str, env: &Env) -> bool {
  env.get_os("PATH").is_some_and(|path| {
    std::env::split_paths(path)
      .any(|d| fs::metadata(d.join(program)).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0))
  })
}

fn default_shells(env: &Env, home: &Path) -> Vec<Shell> {
  let login_shell = env.get("SHELL").unwrap_or("");
  let config = env
    .get_os("XDG_CONFIG_HOME")
    .filter(|d| !d.is_empty())
    .map(PathBuf::from)
    .unwrap_or_else(|| home.join(".config"));
  let zdot = env
    .get_os("ZDOTDIR")
    .filter(|d| !d.is_empty())
    .map(PathBuf::from)
    .unwrap_or_else(|| home.to_owned());
  let mut shells = vec![Shell::Bash];
  if on_path("zsh", env) || login_shell.ends_with("/zsh") || zdot.join(".zshrc").exists() {
    shells.push(Shell::Zsh);
  }
  if on_path("fish", env) || login_shell.ends_with("/fish") || config.join("fish").is_dir() {
    shells.push(Shell::Fish);
  }
  shells
}

/// Creates `dir` and its missing parents, recording each one created.
fn make_dirs(dir: &Path, state: &mut State) -> Result<(), Error> {
  let mut missing = Vec::new();
  let mut at = Some(dir);
  while let Some(d) = at {
    if d.exists() {
      break;
    }
    missing.push(d.to_owned());
    at = d.parent();
  }
  for d in missing.iter().rev() {
    fs::create_dir(d).map_err(|e| failed(format!("cannot create {}", d.display()), e))?;
    state.add("dir", d, "");
  }
  Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
  match (fs::metadata(a), fs::metadata(b)) {
    (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
    _ => false,
  }
}

fn setup(layout: &Layout, home: Option<&Path>, args: &Args, env: &Env) -> Result<i32, Error> {
  let mut report = Report { lines: Vec::new() };
  let mut state = State::load(&layout.state);
  let version = env!("CARGO_PKG_VERSION");

  // Check before changing anything: a file in a shim's place that is not
  // npmx's is not ours to replace.
  for name in ["npm", "npx"] {
    let shim = layout.shims.join(name);
    if fs::symlink_metadata(&shim).is_ok()
      && !same_file(&shim, &layout.exe)
      && !locate::is_shim_script(&shim)
      && !state.has("link", &shim)
    {
      return Err(usage(&format!(
        "--npmx-setup: {} is in the way: it is not npmx's shim (remove it, or install npmx elsewhere)",
        shim.display()
      )));
    }
  }

  make_dirs(&layout.shims, &mut state)?;
  let mut shim_lines = Vec::new();
  for name in ["npm", "npx"] {
    let shim = layout.shims.join(name);
    let exists = fs::symlink_metadata(&shim).is_ok();
    if exists && (same_file(&shim, &layout.exe) || locate::is_shim_script(&shim)) {
      shim_lines.push(format!("  {} (already there)", shim.display()));
      continue;
    }
    if exists {
      // Our own link, left dangling by an npmx since moved.
      let _ = fs::remove_file(&shim);
    }
    std::os::unix::fs::symlink(&layout.link_target, &shim)
      .map_err(|e| failed(format!("cannot create {}", shim.display()), e))?;
    state.add("link", &shim, &layout.link_target.to_string_lossy());
    shim_lines.push(format!(
      "  {} -> {}",
      shim.display(),
      layout.link_target.display()
    ));
  }
  if !same_file(&layout.shims.join("npm"), &layout.exe)
    && !locate::is_shim_script(&layout.shims.join("npm"))
  {
    return Err(usage(&format!(
      "--npmx-setup: {} does not lead to this npmx ({})",
      layout.shims.join("npm").display(),
      layout.exe.display()
    )));
  }
  let save = |state: &State| {
    state
      .save(&layout.state)
      .map_err(|e| failed(format!("cannot write {}", layout.state.display()), e))
  };
  save(&state)?;

  report.say(format!(
    "npmx {version}: npm and npx run through npmx wherever {} comes first on PATH.",
    layout.shims.display()
  ));
  report.say("Shims:");
  for l in shim_lines {
    report.say(l);
  }

  let shells = match (&args.shells, home) {
    (Some(list), _) => list.clone(),
    (None, Some(home)) => default_shells(env, home),
    (None, None) => Vec::new(),
  };
  let mut written = Vec::new();
  if !shells.is_empty() {
    let Some(home) = home else {
      return Err(usage(
        "--npmx-setup: HOME is not set, so there are no startup files to write (--shell=none makes the shims alone)",
      ));
    };
    let block = Block::for_prefix(layout, Some(home));
    report.say("PATH, in a marked block (\"# >>> npmx …\") in:");
    for rc in rc_files(&shells, env, home) {
      let exists = rc.path.is_file();
      if !exists && !rc.create {
        continue;
      }
      if !exists {
        if let Some(dir) = rc.path.parent() {
          make_dirs(dir, &mut state)?;
        }
      }
      let old = fs::read(&rc.path).unwrap_or_default();
      let (stripped, _) = strip(&old, &block);
      let text = block.text(layout, Some(home), rc.flavour);
      let new = with_blocks(&stripped, &text, rc.place);
      let what = if !exists {
        state.add("created", &rc.path, "");
        "created"
      } else if new == old {
        "up to date"
      } else if !stripped.is_empty() && !stripped.ends_with(b"\n") {
        state.add("noeol", &rc.path, "");
        "added"
      } else if old == stripped {
        "added"
      } else {
        "updated"
      };
      if new != old {
        // In place, so a symlinked dotfile stays a symlink.
        fs::write(&rc.path, &new)
          .map_err(|e| failed(format!("cannot write {}", rc.path.display()), e))?;
      }
      save(&state)?;
      let placed =
        if rc.place == Place::BeforeGuardAndEnd && guard_line(&lines(&stripped)).is_some() {
          ", before its \"not interactive: return\" line and at its end"
        } else {
          ""
        };
      report.say(format!("  {} ({what}{placed})", rc.path.display()));
      written.push(rc.path);
    }
  }
  let skipped: Vec<&str> = Shell::ALL
    .iter()
    .filter(|s| !shells.contains(s))
    .map(|s| s.name())
    .collect();
  if args.shells.is_none() && !skipped.is_empty() {
    report.say(format!(
      "  (not {}: not installed; `npmx --npmx-setup --shell={}` writes it anyway)",
      skipped.join(" or "),
      skipped.join(",")
    ));
  }

  let first_now = env
    .get_os("PATH")
    .and_then(|p| std::env::split_paths(p).next())
    .is_some_and(|first| first == layout.shims || same_dir(&first, &layout.shims));
  report.say("");
  if first_now {
    report.say("npm already runs through npmx in this shell.");
  } else if written.is_empty() {
    report.say(format!(
      "Put {} first on PATH to run npm through npmx.",
      layout.shims.display()
    ));
  } else {
    report
      .say("Open a new shell (this one keeps its PATH): from then on, `npm` runs through npmx.");
  }
  report.say("Check: npm --npmx-version   (prints npmx's version when npm is npmx)");
  report.say("Help:  npmx --npmx-help     Undo: npmx --npmx-setup --undo");
  report.print();
  Ok(0)
}

fn same_dir(a: &Path, b: &Path) -> bool {
  same_file(a, b)
}

fn undo(layout: &Layout, home: Option<&Path>, env: &Env) -> Result<i32, Error> {
  let mut report = Report { lines: Vec::new() };
  let state = State::load(&layout.state);
  let mut kept = false;

  if let Some(home) = home {
    let block = Block::for_prefix(layout, Some(home));
    for rc in rc_files(&Shell::ALL, env, home) {
      let Ok(old) = fs::read(&rc.path) else {
        continue;
      };
      let (mut stripped, found) = strip(&old, &block);
      if !found {
        continue;
      }
      if state.has("noeol", &rc.path) && stripped.ends_with(b"\n") {
        stripped.pop();
      }
      if stripped.is_empty() && state.has("created", &rc.path) {
        fs::remove_file(&rc.path)
          .map_err(|e| failed(format!("cannot remove {}", rc.path.display()), e))?;
        report.say(format!(
          "removed {} (setup created it; nothing else was in it)",
          rc.path.display()
        ));
      } else {
        fs::write(&rc.path, &stripped)
          .map_err(|e| failed(format!("cannot write {}", rc.path.display()), e))?;
        report.say(format!("removed npmx's block from {}", rc.path.display()));
      }
    }
  }

  for (kind, path, extra) in state.entries.iter().rev() {
    if kind != "link" {
      continue;
    }
    match fs::read_link(path) {
      Ok(target) if target.as_os_str() == extra.as_str() => {
        fs::remove_file(path)
          .map_err(|e| failed(format!("cannot remove {}", path.display()), e))?;
        report.say(format!("removed {}", path.display()));
      }
      Ok(_) => {
        report.say(format!(
          "kept {}: it changed since setup made it",
          path.display()
        ));
        kept = true;
      }
      Err(_) => {}
    }
  }
  for name in ["npm", "npx"] {
    let shim = layout.shims.join(name);
    if fs::symlink_metadata(&shim).is_ok() && !state.has("link", &shim) {
      report.say(format!(
        "kept {}: setup did not make it (install.sh --uninstall removes what install.sh made)",
        shim.display()
      ));
    }
  }
  if layout.state.exists() {
    fs::remove_file(&layout.state)
      .map_err(|e| failed(format!("cannot remove {}", layout.state.display()), e))?;
  }
  for (kind, path, _) in state.entries.iter().rev() {
    if kind == "dir" && path.is_dir() && fs::remove_dir(path).is_ok() {
      report.say(format!("removed {}/", path.display()));
    }
  }
  if report.lines.is_empty() {
    report.say("Nothing to undo: npmx --npmx-setup has not written anything for this npmx.");
  } else if kept {
    report.say("Undone, except the files named above.");
  } else {
    report.say("Undone. Open a new shell for npm to be the plain npm again.");
  }
  report.print();
  Ok(0)
}
