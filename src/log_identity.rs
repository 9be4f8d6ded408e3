//! Which debug log is this npm's, asked of the operating system: npm holds
//! its log open for writing while it runs, so on Linux `/proc/<pid>/fd`
//! names it — of npm's own process, or of its Node.js descendant when `npm`
//! is a shell shim (Volta, asdf, mise, corepack, nvm wrappers). Two npms
//! started together in one directory each name their own file, where stamps
//! and arguments cannot tell them apart.
//!
//! Where there is no `/proc` (macOS), or npm writes its log only at exit
//! (npm 6, 7 and 8.0–8.2), `debug_log` falls back on the stamp and the
//! `verbose argv` line.

use std::{fs, path::PathBuf};

/// How many processes of npm's tree are looked at: a shim, node, and the
/// helpers npm starts (scripts, git) — never a whole machine.
const MAX_PROCESSES: usize = 32;

/// The debug log one of `pid`'s tree holds open, if the OS can say.
pub(crate) fn open_log(pid: i32) -> Option<PathBuf> {
  process_tree(pid).into_iter().find_map(log_of)
}

/// The Node.js executable running in `pid`'s tree: npm's own process, or
/// the one a version manager's shim starts (Volta runs it as a child, mise
/// and asdf exec it). npm's global prefix is that executable's.
pub(crate) fn node_exe(pid: i32) -> Option<PathBuf> {
  process_tree(pid).into_iter().find_map(|p| {
    let exe = fs::read_link(format!("/proc/{p}/exe")).ok()?;
    let name = exe.file_name()?.to_str()?;
    (name == "node" || name == "nodejs").then_some(exe)
  })
}

/// `pid` and its descendants, parents first, at most `MAX_PROCESSES`.
fn process_tree(pid: i32) -> Vec<i32> {
  let mut tree = vec![pid];
  let mut next = 0;
  while next < tree.len() && tree.len() < MAX_PROCESSES {
    tree.extend(children(tree[next]));
    next += 1;
  }
  tree.truncate(MAX_PROCESSES);
  tree
}

/// Whether a process outside `pid`'s tree holds `log` open: then it is that
/// process's log (another npm's, started in the same directory with the same
/// arguments), whatever its stamp and arguments say. Asked only before the
/// stamp-and-arguments fallback takes a log, so the whole-machine scan is
/// rare: once per candidate, not per poll.
pub(crate) fn held_elsewhere(log: &std::path::Path, pid: i32) -> bool {
  use std::os::unix::fs::MetadataExt;
  if !available() {
    return false;
  }
  let Ok(meta) = fs::metadata(log) else {
    return false;
  };
  let (dev, ino) = (meta.dev(), meta.ino());
  let tree = process_tree(pid);
  let Ok(processes) = fs::read_dir("/proc") else {
    return false;
  };
  processes.flatten().any(|entry| {
    let Some(other) = entry
      .file_name()
      .to_str()
      .and_then(|n| n.parse::<i32>().ok())
    else {
      return false;
    };
    if tree.contains(&other) {
      return false;
    }
    let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
      return false;
    };
    fds.flatten().take(4096).any(|fd| {
      // Only a log's name is worth a stat.
      let named_like_a_log = fs::read_link(fd.path())
        .ok()
        .and_then(|t| t.file_name()?.to_str().map(is_log_name))
        .unwrap_or(false);
      named_like_a_log && fs::metadata(fd.path()).is_ok_and(|m| m.dev() == dev && m.ino() == ino)
    })
  })
}

/// Whether this system can answer at all.
pub(crate) fn available() -> bool {
  cfg!(target_os = "linux") && fs::metadata("/proc/self/fd").is_ok()
}

fn log_of(pid: i32) -> Option<PathBuf> {
  let fds = fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
  fds.flatten().take(4096).find_map(|fd| {
    let target = fs::read_link(fd.path()).ok()?;
    let name = target.file_name()?.to_str()?;
    is_log_name(name).then_some(target)
  })
}

/// `<stamp>-debug-0.log` (npm ≥ 8.3) or `<stamp>-debug.log` (npm 6–8.2).
pub(crate) fn is_log_name(name: &str) -> bool {
  let stamp = name
    .strip_suffix("-debug-0.log")
    .or_else(|| name.strip_suffix("-debug.log"));
  stamp.is_some_and(|s| s.len() == 24 && s.ends_with('Z'))
}

fn children(pid: i32) -> Vec<i32> {
  let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
    return Vec::new();
  };
  tasks
    .flatten()
    .filter_map(|t| fs::read_to_string(t.path().join("children")).ok())
    .flat_map(|list| {
      list
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect::<Vec<i32>>()
    })
    .collect()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn log_names_of_every_npm() {
    assert!(is_log_name("2026-01-01T00_00_00_000Z-debug-0.log"));
    assert!(is_log_name("2026-01-01T00_00_00_000Z-debug.log"));
    assert!(!is_log_name("2026-01-01T00_00_00_000Z-eresolve-report.txt"));
    assert!(!is_log_name("debug-0.log"));
  }

  #[test]
  fn a_process_holding_a_log_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("2026-01-01T00_00_00_000Z-debug-0.log");
    let _held = fs::File::create(&log).unwrap();
    // This test process holds it, as npm holds its own.
    let pid = std::process::id() as i32;
    assert_eq!(open_log(pid), Some(log));
  }
}
