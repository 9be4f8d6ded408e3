//! Finding the real npm.
//!
//! `NPMX_NPM` wins. Otherwise the first `npm` on PATH that is not npmx: a
//! candidate is npmx when it is the same file as the running executable (same
//! device and inode, which sees through symlinks and hard links) or when it is
//! one of npmx's shell-script shims, which carry the marker line `npmx-shim`.
//! Names prove nothing: the shim is called `npm` too, and so is every wrapper
//! script.
//!
//! This runs before every npm call, so it does the least the answer needs:
//! PATH is walked in order and stops at the first real npm, and the running
//! executable is looked at once, only when a candidate needs comparing.
//!
//! PATH is searched, never changed: npm and its scripts inherit it as it was,
//! so a nested `npm` in a lifecycle script reaches npmx again.

use std::{
  ffi::OsString,
  fs,
  io::Read,
  os::unix::fs::MetadataExt,
  path::{Path, PathBuf},
};

use crate::{Env, Error, Mode};

/// The marker line in `shims/npm` and `shims/npx`.
pub(crate) const SHIM_MARKER: &[u8] = b"npmx-shim";

#[derive(Debug)]
pub(crate) struct Npm {
  pub(crate) path: PathBuf,
  pub(crate) how: Found,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found {
  /// Named by `NPMX_NPM` / `NPMX_NPX`.
  Override(&'static str),
  /// Next to the npm named by `NPMX_NPM` (npx mode).
  BesideOverride,
  /// On PATH, after skipping these copies of npmx.
  Path { skipped: Vec<PathBuf> },
}

pub(crate) fn locate(mode: Mode, env: &Env) -> Result<Npm, Error> {
  let program = mode.program();

  if mode == Mode::Npx {
    if let Some(path) = env.get_os("NPMX_NPX").filter(|p| !p.is_empty()) {
      return checked_override("NPMX_NPX", path.into());
    }
  }
  if let Some(path) = env.get_os("NPMX_NPM").filter(|p| !p.is_empty()) {
    let npm = checked_override("NPMX_NPM", path.into())?;
    if mode != Mode::Npx {
      return Ok(npm);
    }
    // npx lives beside npm in every Node.js layout.
    if let Some(npx) = npm
      .path
      .parent()
      .map(|dir| dir.join("npx"))
      .filter(|p| is_executable(p))
    {
      return Ok(Npm {
        path: npx,
        how: Found::BesideOverride,
      });
    }
  }

  let mut me = None;
  let path_var = env.get_os("PATH").map(OsString::from).unwrap_or_default();
  let mut skipped = Vec::new();
  for candidate in on_path(program, &path_var) {
    let Some(meta) = executable(&candidate) else {
      continue;
    };
    let me = me.get_or_insert_with(Identity::of_current_exe);
    if me.as_ref().is_some_and(|me| me.is(&meta)) || is_shim_script(&candidate) {
      skipped.push(candidate);
      continue;
    }
    return Ok(Npm {
      path: candidate,
      how: Found::Path { skipped },
    });
  }
  Err(Error::NotFound {
    program,
    searched: path_var.to_string_lossy().into_owned(),
    skipped,
  })
}

fn checked_override(var: &'static str, path: PathBuf) -> Result<Npm, Error> {
  if is_executable(&path) {
    Ok(Npm {
      path,
      how: Found::Override(var),
    })
  } else {
    Err(Error::BadOverride { var, path })
  }
}

fn is_executable(path: &Path) -> bool {
  executable(path).is_some()
}

/// The file's metadata (symlinks followed) if it is a file the shell would
/// run: a regular file this user may execute.
fn executable(path: &Path) -> Option<fs::Metadata> {
  let meta = fs::metadata(path).ok()?;
  if !meta.is_file() || meta.mode() & 0o111 == 0 {
    return None;
  }
  let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
  // SAFETY: access(2) on a NUL-terminated path.
  (unsafe { libc::access(c_path.as_ptr(), libc::X_OK) } == 0).then_some(meta)
}

/// `dir/program` for each PATH entry, in order, as the shell looks: an
/// empty entry is the current directory.
fn on_path<'a>(program: &'a str, path_var: &'a OsString) -> impl Iterator<Item = PathBuf> + 'a {
  std::env::split_paths(path_var).map(move |dir| {
    if dir.as_os_str().is_empty() {
      PathBuf::from(".").join(program)
    } else {
      dir.join(program)
    }
  })
}

/// Who the running npmx is, on disk.
struct Identity {
  dev: u64,
  ino: u64,
}

impl Identity {
  fn of_current_exe() -> Option<Identity> {
    // On Linux, /proc/self/exe is the running file itself, even one
    // replaced on disk since; elsewhere, the path it was started from.
    let meta = fs::metadata("/proc/self/exe")
      .or_else(|_| fs::metadata(std::env::current_exe()?))
      .ok()?;
    Some(Identity {
      dev: meta.dev(),
      ino: meta.ino(),
    })
  }

  /// `candidate` (followed through symlinks) is this file; a hard link
  /// shares the inode.
  fn is(&self, candidate: &fs::Metadata) -> bool {
    candidate.dev() == self.dev && candidate.ino() == self.ino
  }
}

/// An npmx shell-script shim: `#!` on the first line and the marker in the first
/// few hundred bytes. The real npm is a Node.js script and never carries it.
pub(crate) fn is_shim_script(path: &Path) -> bool {
  let mut head = [0u8; 256];
  let Ok(mut file) = fs::File::open(path) else {
    return false;
  };
  let n = file.read(&mut head).unwrap_or(0);
  let head = &head[..n];
  head.starts_with(b"#!") && memchr::memmem::find(head, SHIM_MARKER).is_some()
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::os::unix::fs::PermissionsExt;

  fn write_exe(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
  }

  #[test]
  fn skips_shim_scripts_by_marker_not_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (shims, real) = (dir.path().join("shims"), dir.path().join("real"));
    fs::create_dir_all(&shims).unwrap();
    fs::create_dir_all(&real).unwrap();
    write_exe(
      &shims.join("npm"),
      "#!/bin/sh\n# npmx-shim\nexec npmx \"$@\"\n",
    );
    write_exe(
      &real.join("npm"),
      "#!/usr/bin/env node\nrequire('../lib/cli.js')\n",
    );
    let path = std::env::join_paths([&shims, &real]).unwrap();
    let env = Env::from_pairs([("PATH", path.to_str().unwrap())]);
    let npm = locate(Mode::Npm, &env).unwrap();
    assert_eq!(npm.path, real.join("npm"));
    assert_eq!(
      npm.how,
      Found::Path {
        skipped: vec![shims.join("npm")]
      }
    );
  }

  #[test]
  fn override_wins_and_npx_is_found_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    write_exe(&dir.path().join("npm"), "#!/bin/sh\n");
    write_exe(&dir.path().join("npx"), "#!/bin/sh\n");
    let npm = dir.path().join("npm");
    let env = Env::from_pairs([("NPMX_NPM", npm.to_str().unwrap()), ("PATH", "")]);
    assert_eq!(
      locate(Mode::Npm, &env).unwrap().how,
      Found::Override("NPMX_NPM")
    );
    let npx = locate(Mode::Npx, &env).unwrap();
    assert_eq!(
      (npx.path, npx.how),
      (dir.path().join("npx"), Found::BesideOverride)
    );
  }

  #[test]
  fn nothing_found_names_what_was_searched() {
    let env = Env::from_pairs([("PATH", "/nonexistent/a:/nonexistent/b")]);
    let err = locate(Mode::Npm, &env).unwrap_err();
    assert_eq!(err.exit_code(), 127);
    let text = err.to_string();
    assert!(text.contains("/nonexistent/a:/nonexistent/b"), "{text}");
    assert!(text.contains("install Node.js"), "{text}");
    assert!(text.contains("NPMX_NPM"), "{text}");
  }

  #[test]
  fn a_bad_override_is_an_error_not_a_fallback() {
    let env = Env::from_pairs([("NPMX_NPM", "/nonexistent/npm"), ("PATH", "/usr/bin")]);
    assert!(matches!(
      locate(Mode::Npm, &env),
      Err(Error::BadOverride { .. })
    ));
  }
}
