//! Where npm writes this run's debug log: `logs-dir`, or `<cache>/_logs`,
//! from the same layers npm reads (flags, `npm_config_*`, the `.npmrc` files).

use std::path::PathBuf;

use crate::config::Config;

/// The directories to watch, most likely first. `logs-max=0` does not empty
/// the list: npm ≥ 8.6 then writes no log (and there is nothing to find), but
/// npm 6–8.5 write one all the same.
pub(crate) fn candidates(config: &Config) -> Vec<PathBuf> {
  let mut dirs = Vec::new();
  if let Some(dir) = config.get("logs-dir") {
    dirs.push(config.resolve_path(dir.value));
  }
  if let Some(cache) = config.cache_dir() {
    dirs.push(cache.join("_logs"));
  }
  // The default, in case a layer we could not read moved it.
  if let Some(home) = &config.home {
    dirs.push(home.join(".npm").join("_logs"));
  }
  dirs.dedup();
  dirs
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::Env;
  use std::{ffi::OsString, path::Path};

  fn dirs(args: &[&str], env: &[(&str, &str)]) -> Vec<PathBuf> {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let env = Env::from_pairs(env.iter().copied());
    candidates(&Config::load(
      &args,
      &env,
      Path::new("/nonexistent/cwd"),
      None,
    ))
  }

  #[test]
  fn logs_dir_then_cache_then_default() {
    let home = [("HOME", "/h")];
    assert_eq!(dirs(&[], &home), [PathBuf::from("/h/.npm/_logs")]);
    assert_eq!(
      dirs(&["--cache", "/c"], &home),
      [PathBuf::from("/c/_logs"), PathBuf::from("/h/.npm/_logs")]
    );
    assert_eq!(
      dirs(
        &["--logs-dir=~/l"],
        &[("HOME", "/h"), ("npm_config_cache", "/c")]
      )[..2],
      [PathBuf::from("/h/l"), PathBuf::from("/c/_logs")]
    );
    // npm < 8.6 writes a log whatever logs-max says.
    assert_eq!(
      dirs(&["--logs-max=0"], &home),
      [PathBuf::from("/h/.npm/_logs")]
    );
  }
}
