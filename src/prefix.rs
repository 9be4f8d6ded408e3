//! Where npm's project and npm itself are: the local prefix npm finds by
//! walking up from the working directory (workspaces included), and the
//! folder npm's own package sits in.

use std::{
  fs,
  path::{Path, PathBuf},
};

/// The first directory up from `cwd` with a package.json or node_modules; if it
/// is a workspace of a root further up, that root (npm ≥ 7).
pub(crate) fn local_prefix(cwd: &Path, global_mode: bool) -> PathBuf {
  let mut found: Option<PathBuf> = None;
  for dir in cwd.ancestors() {
    let has_package_json = dir.join("package.json").is_file();
    match &found {
      None if has_package_json || dir.join("node_modules").is_dir() => {
        if global_mode {
          return dir.to_owned();
        }
        found = Some(dir.to_owned());
      }
      Some(prefix) if has_package_json && is_workspace_of(dir, prefix) => {
        return dir.to_owned();
      }
      _ => {}
    }
  }
  found.unwrap_or_else(|| cwd.to_owned())
}

fn is_workspace_of(root: &Path, member: &Path) -> bool {
  let Ok(text) = fs::read_to_string(root.join("package.json")) else {
    return false;
  };
  let Ok(pkg) = serde_json::from_str::<serde_json::Value>(&text) else {
    return false;
  };
  let patterns = match &pkg["workspaces"] {
    serde_json::Value::Array(a) => a.clone(),
    serde_json::Value::Object(o) => o
      .get("packages")
      .and_then(|p| p.as_array())
      .cloned()
      .unwrap_or_default(),
    _ => return false,
  };
  let Ok(relative) = member.strip_prefix(root) else {
    return false;
  };
  let relative = relative.to_string_lossy();
  patterns
    .iter()
    .filter_map(|p| p.as_str())
    .any(|p| glob_match(p.trim_start_matches("./"), &relative))
}

/// Enough of glob for workspace patterns: `*` within one segment, `**` across.
fn glob_match(pattern: &str, path: &str) -> bool {
  let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
  let path: Vec<&str> = path.split('/').collect();
  fn segments(p: &[&str], s: &[&str]) -> bool {
    match (p.first(), s.first()) {
      (None, None) => true,
      (Some(&"**"), _) => segments(&p[1..], s) || (!s.is_empty() && segments(p, &s[1..])),
      (Some(p0), Some(s0)) => segment(p0, s0) && segments(&p[1..], &s[1..]),
      _ => false,
    }
  }
  fn segment(p: &str, s: &str) -> bool {
    match p.split_once('*') {
      None => p == s,
      Some((head, tail)) => {
        s.starts_with(head)
          && (0..=s.len() - head.len())
            .any(|i| s.is_char_boundary(head.len() + i) && segment(tail, &s[head.len() + i..]))
      }
    }
  }
  segments(&pattern, &path)
}

/// npm's own package directory (holding its builtin `npmrc`), from the path of
/// its `bin/npm-cli.js` or the symlink to it.
pub(crate) fn npm_root(npm: &Path) -> Option<PathBuf> {
  let real = fs::canonicalize(npm).ok()?;
  real
    .ancestors()
    .skip(1)
    .take(4)
    .find(|dir| {
      dir.join("package.json").is_file()
        && fs::read_to_string(dir.join("package.json"))
          .is_ok_and(|text| text.contains("\"name\": \"npm\"") || text.contains("\"name\":\"npm\""))
    })
    .map(Path::to_owned)
}

/// Where an npm running on the Node.js executable `node` writes its logs,
/// as that Node.js's global npmrc (`<prefix>/etc/npmrc`) says: its
/// `logs-dir`, else its `cache`'s `_logs`. For an npm started by a version
/// manager's shim, whose Node.js npmx learns only once it runs.
pub(crate) fn logs_dirs_of_node(node: &Path, home: Option<&Path>) -> Vec<PathBuf> {
  let Some(prefix) = node.ancestors().nth(2) else {
    return Vec::new();
  };
  let Ok(text) = fs::read_to_string(prefix.join("etc/npmrc")) else {
    return Vec::new();
  };
  let entries = crate::npmrc::parse(&text, &crate::Env::current());
  let value = |key: &str| {
    entries.iter().rev().find(|e| e.key == key).map(|e| {
      let v = e.value.as_str();
      match (v.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => prefix.join(v),
      }
    })
  };
  let mut dirs: Vec<PathBuf> = value("logs-dir").into_iter().collect();
  dirs.extend(value("cache").map(|c| c.join("_logs")));
  dirs
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn project_root_is_the_workspace_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("packages/a/src")).unwrap();
    fs::write(
      root.join("package.json"),
      r#"{"workspaces":["packages/*"]}"#,
    )
    .unwrap();
    fs::write(root.join("packages/a/package.json"), "{}").unwrap();
    assert_eq!(local_prefix(&root.join("packages/a/src"), false), root);
    assert_eq!(
      local_prefix(&root.join("packages/a/src"), true),
      root.join("packages/a")
    );
    // Not a member: the nearest package wins.
    fs::write(root.join("package.json"), r#"{"workspaces":["other/*"]}"#).unwrap();
    assert_eq!(
      local_prefix(&root.join("packages/a/src"), false),
      root.join("packages/a")
    );
  }

  #[test]
  fn the_logs_of_an_npm_on_a_node_by_its_global_npmrc() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("image/node/22/bin/node");
    assert!(logs_dirs_of_node(&node, None).is_empty());
    fs::create_dir_all(dir.path().join("image/node/22/etc")).unwrap();
    fs::write(
      dir.path().join("image/node/22/etc/npmrc"),
      "cache=/c\nlogs-dir=~/l\n",
    )
    .unwrap();
    assert_eq!(
      logs_dirs_of_node(&node, Some(Path::new("/h"))),
      [PathBuf::from("/h/l"), PathBuf::from("/c/_logs")]
    );
  }

  #[test]
  fn globs() {
    assert!(glob_match("packages/*", "packages/a"));
    assert!(!glob_match("packages/*", "packages/a/b"));
    assert!(glob_match("packages/**", "packages/a/b"));
    assert!(glob_match("apps/web-*", "apps/web-ui"));
    assert!(!glob_match("apps/web-*", "apps/api"));
  }
}
