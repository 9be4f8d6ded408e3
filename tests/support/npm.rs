//! Where the npm installed here lives, for the tests that use it as an oracle.

use std::path::PathBuf;

/// npm's package directory: `NPMX_NPM`'s, else that of the first `npm` on
/// PATH that resolves into an npm package (skipping npmx's shims). Panics
/// when there is none: these tests need node and npm.
pub fn npm_dir() -> PathBuf {
  let candidates = std::env::var_os("NPMX_NPM")
    .map(PathBuf::from)
    .into_iter()
    .chain(which::which_all("npm").into_iter().flatten());
  for npm in candidates {
    let Ok(real) = std::fs::canonicalize(&npm) else {
      continue;
    };
    let found = real.ancestors().skip(1).take(4).find(|dir| {
      std::fs::read_to_string(dir.join("package.json"))
        .is_ok_and(|t| t.contains("\"name\": \"npm\"") || t.contains("\"name\":\"npm\""))
    });
    if let Some(dir) = found {
      return dir.to_owned();
    }
  }
  panic!("no npm found (NPMX_NPM or PATH): these tests need node and npm");
}

/// npm's major version, from its package.json.
#[allow(dead_code)] // not every test that includes this module needs it
pub fn npm_major(dir: &std::path::Path) -> u32 {
  let text = std::fs::read_to_string(dir.join("package.json")).unwrap();
  let json: serde_json::Value = serde_json::from_str(&text).unwrap();
  json["version"]
    .as_str()
    .and_then(|v| v.split('.').next()?.parse().ok())
    .expect("npm's package.json has a version")
}
