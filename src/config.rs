//! npm's configuration as npm resolves it, with where each value came from.
//!
//! Precedence, highest first: command-line flags, `npm_config_*` environment
//! variables, the project `.npmrc` (at the package root npm picks), the user
//! config, the global config, and npm's builtin `npmrc`. Reading these files
//! is cheap and local; npmx never asks npm (`npm config get` would start a
//! second Node.js). Where npm's debug log later names the files it really
//! loaded (`silly config load:file:`), that record is the better witness.

use std::{
  ffi::OsString,
  fs,
  path::{Path, PathBuf},
};

use crate::{
  Env, npm_flags,
  npmrc::{self, Entry},
  prefix::{local_prefix, npm_root},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
  Cli,
  Env,
  Project,
  User,
  Global,
  Builtin,
}

impl Source {
  pub(crate) fn describe(self) -> &'static str {
    match self {
      Source::Cli => "command line",
      Source::Env => "environment",
      Source::Project => "project .npmrc",
      Source::User => "user .npmrc",
      Source::Global => "global npmrc",
      Source::Builtin => "npm's builtin npmrc",
    }
  }
}

#[derive(Clone, Debug)]
pub(crate) struct Layer {
  pub(crate) source: Source,
  /// The file, for file layers (whether or not it exists).
  pub(crate) path: Option<PathBuf>,
  pub(crate) exists: bool,
  pub(crate) entries: Vec<Entry>,
}

/// One value and where it was set.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Setting<'a> {
  pub(crate) key: &'a str,
  pub(crate) value: &'a str,
  pub(crate) entry: &'a Entry,
  pub(crate) layer: &'a Layer,
}

impl Setting<'_> {
  /// "project .npmrc /work/app/.npmrc:3", "environment npm_config_registry",
  /// "command line --registry".
  pub(crate) fn origin(&self) -> String {
    match (self.layer.source, &self.layer.path) {
      (Source::Cli, _) => format!("command line --{}", self.key),
      (Source::Env, _) => format!("environment variable {}", self.entry.raw),
      (source, Some(path)) => {
        format!(
          "{} {}:{}",
          source.describe(),
          path.display(),
          self.entry.line
        )
      }
      (source, None) => source.describe().to_owned(),
    }
  }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Config {
  /// Highest precedence first.
  pub(crate) layers: Vec<Layer>,
  /// The package root npm works in (where the project `.npmrc` is read).
  pub(crate) local_prefix: PathBuf,
  /// The cwd npm was started in.
  pub(crate) cwd: PathBuf,
  pub(crate) home: Option<PathBuf>,
}

impl Config {
  /// Reads every layer. `npm` is the real npm's path (to find its builtin and
  /// global config); `args` are npm's arguments.
  pub(crate) fn load(args: &[OsString], env: &Env, cwd: &Path, npm: Option<&Path>) -> Config {
    let home = env.home();
    let mut config = Config {
      cwd: cwd.to_owned(),
      home: home.clone(),
      ..Config::default()
    };
    config.layers.push(Layer {
      source: Source::Cli,
      path: None,
      exists: true,
      entries: cli_entries(args),
    });
    config.layers.push(Layer {
      source: Source::Env,
      path: None,
      exists: true,
      entries: env_entries(env),
    });

    let global_mode = config.get("global").is_some_and(|s| s.value == "true")
      || config.get("location").is_some_and(|s| s.value == "global");
    config.local_prefix = match config
      .get("prefix")
      .filter(|s| s.layer.source == Source::Cli)
    {
      Some(prefix) => config.resolve_path(prefix.value),
      None => local_prefix(cwd, global_mode),
    };

    let default_user = home.as_ref().map(|h| h.join(".npmrc"));
    let user_path = config
      .get("userconfig")
      .map(|s| config.resolve_path(s.value))
      .or(default_user);
    let project_path = config.local_prefix.join(".npmrc");
    if !global_mode && Some(&project_path) != user_path.as_ref() {
      config
        .layers
        .push(read_layer(Source::Project, project_path, env));
    }
    if let Some(path) = user_path {
      config.layers.push(read_layer(Source::User, path, env));
    }

    let npm_root = npm.and_then(npm_root);
    // npm reads its builtin npmrc first, and its `globalconfig` and `prefix`
    // decide where the global npmrc is (Debian's names /etc/npmrc,
    // Homebrew's sets the prefix to Homebrew's own).
    if let Some(root) = &npm_root {
      config
        .layers
        .push(read_layer(Source::Builtin, root.join("npmrc"), env));
    }
    let global_path = match config.get("globalconfig") {
      Some(s) => Some(config.resolve_path(s.value)),
      None => config
        .global_prefix(env, npm_root.as_deref())
        .map(|p| p.join("etc").join("npmrc")),
    };
    if let Some(path) = global_path {
      let at = config.layers.len() - usize::from(npm_root.is_some());
      config
        .layers
        .insert(at, read_layer(Source::Global, path, env));
    }
    config
  }

  /// npm's debug log names the config files npm really loaded (`silly config
  /// load:file:`), in its order: builtin, project, user, global (no project
  /// in global mode or when it is the user config). Where that record and
  /// npmx's own reckoning disagree, npm's record wins.
  pub(crate) fn align_with_loaded(&mut self, loaded: &[String], env: &Env) {
    let sources: &[Source] = match loaded.len() {
      4 => &[
        Source::Builtin,
        Source::Project,
        Source::User,
        Source::Global,
      ],
      3 => &[Source::Builtin, Source::User, Source::Global],
      _ => return,
    };
    let files = [
      Source::Project,
      Source::User,
      Source::Global,
      Source::Builtin,
    ];
    self
      .layers
      .retain(|l| !files.contains(&l.source) || sources.contains(&l.source));
    for (source, path) in sources.iter().zip(loaded) {
      let path = PathBuf::from(path);
      match self.layers.iter_mut().find(|l| l.source == *source) {
        Some(layer) if layer.path.as_ref() == Some(&path) => {}
        Some(layer) => *layer = read_layer(*source, path, env),
        None => {
          let at = self
            .layers
            .iter()
            .position(|l| files.contains(&l.source) && rank(l.source) > rank(*source));
          let layer = read_layer(*source, path, env);
          match at {
            Some(at) => self.layers.insert(at, layer),
            None => self.layers.push(layer),
          }
        }
      }
    }
  }

  /// The effective value of `key`, and where it came from.
  pub(crate) fn get(&self, key: &str) -> Option<Setting<'_>> {
    self.layers.iter().find_map(|layer| {
      layer
        .entries
        .iter()
        .rev()
        .find(|e| e.key == key)
        .map(|entry| Setting {
          key: &entry.key,
          value: &entry.value,
          entry,
          layer,
        })
    })
  }

  /// Every setting in every layer, highest precedence first (shadowed ones too).
  pub(crate) fn all(&self) -> impl Iterator<Item = Setting<'_>> {
    self.layers.iter().flat_map(|layer| {
      layer.entries.iter().map(move |entry| Setting {
        key: &entry.key,
        value: &entry.value,
        entry,
        layer,
      })
    })
  }

  /// A path-typed value as npm resolves it: `~/` is the home directory, a
  /// relative path is relative to the cwd.
  pub(crate) fn resolve_path(&self, value: &str) -> PathBuf {
    if let (Some(rest), Some(home)) = (value.strip_prefix("~/"), &self.home) {
      return home.join(rest);
    }
    if value == "~" {
      if let Some(home) = &self.home {
        return home.clone();
      }
    }
    self.cwd.join(value)
  }

  /// npm's cache directory (`cache`, default `~/.npm`).
  pub(crate) fn cache_dir(&self) -> Option<PathBuf> {
    match self.get("cache") {
      Some(s) => Some(self.resolve_path(s.value)),
      None => self.home.as_ref().map(|h| h.join(".npm")),
    }
  }

  fn global_prefix(&self, env: &Env, npm_root: Option<&Path>) -> Option<PathBuf> {
    if let Some(prefix) = self.get("prefix") {
      return Some(self.resolve_path(prefix.value));
    }
    if let Some(prefix) = env.get("PREFIX").filter(|p| !p.is_empty()) {
      return Some(PathBuf::from(prefix));
    }
    // npm's own default: the prefix of the Node.js that runs it
    // (dirname(dirname(process.execPath)), the executable's real path), the
    // `node` npm's `#!/usr/bin/env node` finds on PATH. With npm installed
    // beside another Node.js, that is not where npm's package sits.
    let node = env
      .get_os("PATH")
      .and_then(|path| which::which_in("node", Some(path), &self.local_prefix).ok())
      .and_then(|node| fs::canonicalize(node).ok());
    if let Some(prefix) = node.as_deref().and_then(|n| n.ancestors().nth(2)) {
      return Some(prefix.to_owned());
    }
    // <prefix>/lib/node_modules/npm on Unix.
    npm_root
      .and_then(|root| root.ancestors().nth(3))
      .map(Path::to_owned)
  }
}

/// Precedence among file layers, highest first.
fn rank(source: Source) -> u8 {
  match source {
    Source::Cli => 0,
    Source::Env => 1,
    Source::Project => 2,
    Source::User => 3,
    Source::Global => 4,
    Source::Builtin => 5,
  }
}

fn read_layer(source: Source, path: PathBuf, env: &Env) -> Layer {
  // npm reads the file as UTF-8 the lossy way, so a stray byte costs one
  // character, not the file.
  match fs::read(&path) {
    Ok(bytes) => Layer {
      source,
      entries: npmrc::parse(&String::from_utf8_lossy(&bytes), env),
      path: Some(path),
      exists: true,
    },
    Err(_) => Layer {
      source,
      entries: Vec::new(),
      path: Some(path),
      exists: false,
    },
  }
}

/// The options on npm's command line, as npm reads them (`npm_flags`):
/// `-dd` is `loglevel=verbose`, `--reg x` is `registry=x`.
fn cli_entries(args: &[OsString]) -> Vec<Entry> {
  let args: Vec<String> = args
    .iter()
    .map(|a| a.to_string_lossy().into_owned())
    .collect();
  npm_flags::parse(&args)
    .options
    .into_iter()
    .map(|(key, value)| Entry {
      key,
      raw: value.clone(),
      value,
      line: 0,
      vars: Vec::new(),
    })
    .collect()
}

/// `npm_config_foo_bar=x` is `foo-bar=x`; keys for a host (`//…`) keep their
/// case and underscores; empty values are ignored, as npm does.
fn env_entries(env: &Env) -> Vec<Entry> {
  const PREFIX: &str = "npm_config_";
  env
    .with_prefix_ignore_case(PREFIX)
    .filter(|(_, value)| !value.is_empty())
    .map(|(name, value)| {
      let key = &name[PREFIX.len()..];
      let key = if key.starts_with("//") {
        key.to_owned()
      } else {
        let mut out = String::with_capacity(key.len());
        for (i, c) in key.chars().enumerate() {
          out.push(if c == '_' && i > 0 {
            '-'
          } else {
            c.to_ascii_lowercase()
          });
        }
        out
      };
      Entry {
        key,
        value: value.to_owned(),
        raw: name.to_owned(),
        line: 0,
        vars: Vec::new(),
      }
    })
    .collect()
}

#[cfg(test)]
mod tests {
  use super::*;

  fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
  }

  #[test]
  fn flags_beat_env_beat_project_beat_user_beat_global() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (home, project, global) = (root.join("home"), root.join("app"), root.join("g"));
    for d in [&home, &project, &global] {
      fs::create_dir_all(d).unwrap();
    }
    fs::write(project.join("package.json"), "{}").unwrap();
    fs::write(
      project.join(".npmrc"),
      "registry=https://project/\ncafile=p.pem\nproxy=http://p\n",
    )
    .unwrap();
    fs::write(
      home.join(".npmrc"),
      "registry=https://user/\ncafile=u.pem\ntag=u\nproxy=http://u\n",
    )
    .unwrap();
    fs::write(global.join("npmrc"), "tag=g\naccess=public\n").unwrap();
    let g = global.join("npmrc");
    let env = Env::from_pairs([
      ("HOME", home.to_str().unwrap()),
      ("NPM_CONFIG_REGISTRY", "https://env/"),
      ("npm_config_globalconfig", g.to_str().unwrap()),
      ("npm_config_proxy", ""),
    ]);
    let config = Config::load(
      &args(&["--registry", "https://flag/", "install"]),
      &env,
      &project,
      None,
    );
    assert_eq!(config.get("registry").unwrap().value, "https://flag/");
    let config = Config::load(&args(&["install"]), &env, &project, None);
    let registry = config.get("registry").unwrap();
    assert_eq!(
      (registry.value, registry.origin().as_str()),
      ("https://env/", "environment variable NPM_CONFIG_REGISTRY")
    );
    let cafile = config.get("cafile").unwrap();
    assert_eq!(cafile.value, "p.pem");
    assert_eq!(
      cafile.origin(),
      format!("project .npmrc {}:2", project.join(".npmrc").display())
    );
    // An empty npm_config_ variable is ignored, as npm ignores it.
    assert_eq!(config.get("proxy").unwrap().value, "http://p");
    assert_eq!(config.get("tag").unwrap().value, "u");
    assert_eq!(config.get("access").unwrap().layer.source, Source::Global);
  }

  #[test]
  fn command_line_options_as_npm_reads_them() {
    let entries = cli_entries(&args(&[
      "--noproxy",
      "x",
      "-dd",
      "--reg=https://r/",
      "--no-strict-ssl",
      "-C",
      "/app",
      "publish",
      "--",
      "--tag=no",
    ]));
    let pairs: Vec<_> = entries
      .iter()
      .map(|e| (e.key.as_str(), e.value.as_str()))
      .collect();
    assert_eq!(
      pairs,
      [
        ("noproxy", "x"),
        ("loglevel", "verbose"),
        ("registry", "https://r/"),
        ("strict-ssl", "false"),
        ("prefix", "/app"),
      ]
    );
  }

  #[test]
  fn npm_s_builtin_npmrc_can_move_the_global_npmrc() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let npm = root.join("share/npm");
    fs::create_dir_all(npm.join("bin")).unwrap();
    fs::write(npm.join("package.json"), r#"{"name": "npm"}"#).unwrap();
    fs::write(npm.join("bin/npm-cli.js"), "").unwrap();
    let env = Env::from_pairs([("PATH", ""), ("HOME", "/nonexistent")]);
    let global = |builtin: &str, args: &[&str]| {
      fs::write(npm.join("npmrc"), builtin).unwrap();
      let args: Vec<OsString> = args.iter().map(OsString::from).collect();
      let config = Config::load(&args, &env, &root, Some(&npm.join("bin/npm-cli.js")));
      let sources: Vec<Source> = config.layers.iter().map(|l| l.source).collect();
      assert_eq!(sources.last(), Some(&Source::Builtin));
      config
        .layers
        .iter()
        .find(|l| l.source == Source::Global)
        .and_then(|l| l.path.clone())
    };
    // Debian's npm package.
    assert_eq!(
      global("globalconfig=/etc/npmrc\nprefix=/usr/local\n", &[]),
      Some(PathBuf::from("/etc/npmrc"))
    );
    // Homebrew's.
    assert_eq!(
      global("prefix = /home/linuxbrew/.linuxbrew\n", &[]),
      Some(PathBuf::from("/home/linuxbrew/.linuxbrew/etc/npmrc"))
    );
    // The command line still wins.
    assert_eq!(
      global("prefix = /brew\n", &["--prefix=/mine"]),
      Some(PathBuf::from("/mine/etc/npmrc"))
    );
  }

  #[test]
  fn the_global_npmrc_is_under_the_prefix_of_the_node_on_path() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let node = root.join("node-22/bin/node");
    fs::create_dir_all(node.parent().unwrap()).unwrap();
    fs::write(&node, "#!/bin/sh\n").unwrap();
    fs::set_permissions(&node, fs::Permissions::from_mode(0o755)).unwrap();
    let bin = node.parent().unwrap().to_str().unwrap().to_owned();
    let env = Env::from_pairs([("PATH", bin.as_str()), ("HOME", "/nonexistent")]);
    let config = Config::load(&[], &env, &root, None);
    let global = config
      .layers
      .iter()
      .find(|l| l.source == Source::Global)
      .and_then(|l| l.path.clone());
    assert_eq!(global, Some(root.join("node-22/etc/npmrc")));
  }

  #[test]
  fn npm_s_record_of_loaded_files_wins() {
    let dir = tempfile::tempdir().unwrap();
    let (home, app) = (dir.path().join("home"), dir.path().join("app"));
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&app).unwrap();
    fs::write(home.join(".npmrc"), "registry=https://ours/\n").unwrap();
    let elsewhere = dir.path().join("elsewhere.npmrc");
    fs::write(&elsewhere, "registry=https://npms/\n").unwrap();
    let env = Env::from_pairs([("HOME", home.to_str().unwrap())]);
    let mut config = Config::load(&[], &env, &app, None);
    assert_eq!(config.get("registry").unwrap().value, "https://ours/");
    let loaded: Vec<String> = [
      "/npm/npmrc",
      app.join(".npmrc").to_str().unwrap(),
      elsewhere.to_str().unwrap(),
      "/etc/npmrc",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    config.align_with_loaded(&loaded, &env);
    let registry = config.get("registry").unwrap();
    assert_eq!(
      (registry.value, registry.layer.source),
      ("https://npms/", Source::User)
    );
    let sources: Vec<_> = config.layers.iter().map(|l| l.source).collect();
    assert_eq!(
      sources,
      [
        Source::Cli,
        Source::Env,
        Source::Project,
        Source::User,
        Source::Global,
        Source::Builtin
      ]
    );
  }

  #[test]
  fn env_keys_are_normalised_like_npm() {
    let env = Env::from_pairs([
      ("npm_config_https_proxy", "http://x"),
      ("npm_config_//r.example/:_authToken", "t"),
    ]);
    let entries = env_entries(&env);
    let keys: Vec<_> = entries.iter().map(|e| e.key.as_str()).collect();
    assert!(keys.contains(&"https-proxy"), "{keys:?}");
    assert!(keys.contains(&"//r.example/:_authToken"), "{keys:?}");
  }

  #[test]
  fn user_config_in_home_is_not_read_twice_as_project() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    fs::create_dir_all(home.join("node_modules")).unwrap();
    fs::write(home.join(".npmrc"), "registry=https://user/\n").unwrap();
    let env = Env::from_pairs([("HOME", home.to_str().unwrap())]);
    let config = Config::load(&[], &env, home, None);
    let sources: Vec<_> = config.layers.iter().map(|l| l.source).collect();
    assert!(!sources.contains(&Source::Project), "{sources:?}");
    assert_eq!(config.get("registry").unwrap().layer.source, Source::User);
  }
}
