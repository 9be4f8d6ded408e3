//! The code's shape, as docs/design.md promises it: no source file much over
//! 600 lines, and no module that imports one that imports it back.

use std::{
  collections::{BTreeMap, BTreeSet},
  fs,
  path::{Path, PathBuf},
};

/// Every `.rs` file under `src/`.
fn sources() -> Vec<PathBuf> {
  let mut found = Vec::new();
  let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
  while let Some(dir) = dirs.pop() {
    for entry in fs::read_dir(&dir).unwrap().flatten() {
      let path = entry.path();
      if path.is_dir() {
        dirs.push(path);
      } else if path.extension().is_some_and(|e| e == "rs") {
        found.push(path);
      }
    }
  }
  found.sort();
  found
}

/// The top-level module a file belongs to: `src/causes/auth.rs` is `causes`.
fn module_of(path: &Path) -> String {
  let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
  let relative = path.strip_prefix(&src).unwrap();
  let first = relative.components().next().unwrap().as_os_str();
  first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// The top-level modules a file names as `crate::x`, in `use` lists too.
fn imports(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
  let mut found = BTreeSet::new();
  let code: String = text
    .lines()
    .filter(|l| !l.trim_start().starts_with("//"))
    .collect::<Vec<_>>()
    .join("\n");
  // `crate::x` and the names in `use crate::{x, y::z}`.
  let mut rest = code.as_str();
  while let Some(at) = rest.find("crate::") {
    rest = &rest[at + "crate::".len()..];
    let names: Vec<&str> = if let Some(list) = rest.strip_prefix('{') {
      let end = list.find("};").unwrap_or(list.len());
      list[..end]
        .split(',')
        .map(|n| n.trim().split("::").next().unwrap_or(""))
        .collect()
    } else {
      vec![
        rest
          .split(|c: char| !(c.is_alphanumeric() || c == '_'))
          .next()
          .unwrap_or(""),
      ]
    };
    for name in names {
      let name = name.trim_start_matches('{').trim();
      if modules.contains(name) {
        found.insert(name.to_owned());
      }
    }
  }
  found
}

#[test]
fn no_source_file_is_much_over_600_lines() {
  let long: Vec<String> = sources()
    .iter()
    .map(|p| (p, fs::read_to_string(p).unwrap().lines().count()))
    .filter(|(_, n)| *n > 650)
    .map(|(p, n)| format!("{}: {n} lines", p.display()))
    .collect();
  assert!(long.is_empty(), "split these by what they hold: {long:#?}");
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
  let files = sources();
  let modules: BTreeSet<String> = files.iter().map(|p| module_of(p)).collect();
  let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
  for file in &files {
    let module = module_of(file);
    let text = fs::read_to_string(file).unwrap();
    // Tests may reach anywhere.
    let text = text.split("#[cfg(test)]").next().unwrap();
    let mut uses = imports(text, &modules);
    uses.remove(&module);
    graph.entry(module).or_default().extend(uses);
  }
  // The reading itself works: edges known to exist are seen.
  for (from, to) in [("app", "child"), ("child", "spawn"), ("live", "diagnose")] {
    assert!(
      graph[from].contains(to),
      "{from} -> {to} not seen: {graph:?}"
    );
  }
  let mut cycles = Vec::new();
  for (a, uses) in &graph {
    for b in uses {
      if a < b && graph.get(b).is_some_and(|back| back.contains(a)) {
        cycles.push(format!("{a} <-> {b}"));
      }
    }
  }
  assert!(
    cycles.is_empty(),
    "modules that import each other: {cycles:?}"
  );
}
