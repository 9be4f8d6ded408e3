//! The Dev Container Feature.

use super::*;

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
