//! install.sh: prefix install, shims, shell configuration, uninstall.

use super::*;

#[test]
fn install_puts_npmx_in_bin_and_shims_in_their_own_folder() {
  let s = Sandbox::new();
  let out = s.install(&[]);
  let prefix = s.prefix();

  let installed = prefix.join("bin/npmx");
  assert_eq!(fs::read(&installed).unwrap(), fs::read(NPMX).unwrap());
  assert_eq!(
    fs::metadata(&installed).unwrap().permissions().mode() & 0o777,
    0o755
  );
  for name in ["npm", "npx"] {
    assert_eq!(
      fs::read_link(s.shims().join(name)).unwrap(),
      Path::new("../../../bin/npmx"),
      "relative, so the prefix can move as a whole"
    );
  }
  // bin/ holds npmx only: putting it on PATH must not shadow npm.
  let bin: Vec<_> = fs::read_dir(prefix.join("bin"))
    .unwrap()
    .map(|e| e.unwrap().file_name())
    .collect();
  assert_eq!(bin, ["npmx"]);
  assert!(
    fs::read_to_string(s.manifest())
      .unwrap()
      .starts_with("# npmx install manifest")
  );

  // It ends with `npmx --npmx-setup`, which wrote the PATH blocks: it says
  // so, and to open a new shell, and never asks to add lines by hand.
  assert!(out.contains("--npmx-setup"), "{out}");
  assert!(out.contains(".bashrc (created"), "{out}");
  assert!(out.contains("Open a new shell"), "{out}");
  assert!(out.contains("npmx --npmx-help"), "{out}");
  assert!(!out.contains("ONE of"), "{out}");
  assert!(!out.contains("add"), "{out}");

  // With --no-setup, the lines to add, written as $HOME/... for a HOME prefix.
  let s = Sandbox::new();
  let out = s.install(&["--no-setup"]);
  assert!(!s.home().join(".bashrc").exists());
  assert!(out.contains("npmx --npmx-setup"), "{out}");
  assert!(
    out.contains(r#"export PATH="$HOME/.local/lib/npmx/shims:$PATH""#),
    "{out}"
  );
  assert!(
    out.contains(r#"set -gx PATH "$HOME/.local/lib/npmx/shims" $PATH"#),
    "{out}"
  );
  assert!(out.contains("npmx --npmx-help"), "{out}");
  let out = s.install(&["--no-setup", "--mode=alias"]);
  assert!(
    out.contains("alias npm='npmx' npx='NPMX_ARG0=npx npmx'"),
    "{out}"
  );
  assert!(out.contains("alias npx 'NPMX_ARG0=npx npmx'"), "{out}");
}

#[test]
fn shims_first_on_path_run_the_real_npm_and_npx_through_npmx() {
  let s = Sandbox::new();
  s.install(&[]);
  let real = real_npm();
  let path = s.shims_first();
  let out = s.sh(
    &path,
    "command -v npm; command -v npx; npm --version; npx --version; npm --npmx-version",
  );
  let lines: Vec<_> = out.lines().collect();
  assert_eq!(
    lines,
    [
      s.shims().join("npm").to_str().unwrap(),
      s.shims().join("npx").to_str().unwrap(),
      real.npm_version.as_str(),
      real.npx_version.as_str(),
      concat!("npmx ", env!("CARGO_PKG_VERSION")),
    ]
  );
}

#[test]
fn script_shims_keep_the_contract_and_find_npmx_without_it_on_path() {
  let s = Sandbox::new();
  s.install(&["--shims=script"]);
  for name in ["npm", "npx"] {
    let shim = fs::read_to_string(s.shims().join(name)).unwrap();
    let repo_shim = fs::read_to_string(repo().join("shims").join(name)).unwrap();
    assert!(shim.starts_with("#!/bin/sh\n# npmx-shim"), "{shim}");
    // The contract both keep: the marker, and npmx started in this mode.
    let contract = format!("NPMX_ARG0={name} exec \"$");
    assert!(shim.contains(&contract), "{shim}");
    assert!(repo_shim.contains(&contract), "{repo_shim}");
    assert!(
      fs::symlink_metadata(s.shims().join(name))
        .unwrap()
        .is_file()
    );
  }
  // PREFIX/bin is not on PATH: the script knows where its npmx is.
  let real = real_npm();
  let out = s.sh(&s.shims_first(), "npm --version; npx --version");
  assert_eq!(out, format!("{}\n{}\n", real.npm_version, real.npx_version));

  // And back to symlinks in place.
  s.install(&["--shims=symlink"]);
  assert!(
    fs::symlink_metadata(s.shims().join("npm"))
      .unwrap()
      .file_type()
      .is_symlink()
  );
}

#[test]
fn reinstalling_changes_nothing() {
  let s = Sandbox::new();
  fs::write(s.home().join(".bashrc"), "# mine\n").unwrap();
  s.install(&["--write-shell-config=bash"]);
  let manifest = fs::read_to_string(s.manifest()).unwrap();
  let before = tree(s.root());
  s.install(&["--write-shell-config=bash"]);
  s.install(&["--write-shell-config", "bash,bash"]);
  assert_eq!(fs::read_to_string(s.manifest()).unwrap(), manifest);
  assert_eq!(tree(s.root()), before);
  let bashrc = fs::read_to_string(s.home().join(".bashrc")).unwrap();
  assert_eq!(count(&bashrc, "export PATH="), 1, "{bashrc}");
  assert_eq!(count(&bashrc, "# >>> npmx"), 1, "{bashrc}");
}

#[test]
fn uninstall_removes_exactly_what_install_added() {
  let s = Sandbox::new();
  let prefix = s.prefix();
  // A prefix in use: other tools in bin/, another program's lib/.
  write_exe(&prefix.join("bin/other-tool"), "#!/bin/sh\necho other\n");
  fs::create_dir_all(prefix.join("lib/python3/site-packages")).unwrap();
  fs::write(prefix.join("lib/python3/site-packages/x.py"), "x = 1\n").unwrap();
  // A .bashrc without a final newline, and a .zshrc that does not exist yet.
  fs::write(s.home().join(".bashrc"), "alias ll='ls -l'").unwrap();
  let before = tree(s.root());

  s.install(&["--write-shell-config=bash,zsh,fish", "--shims=script"]);
  s.install(&["--write-shell-config=bash"]);
  assert!(prefix.join("bin/npmx").exists());
  assert!(s.home().join(".config/fish/config.fish").exists());
  let out = s.uninstall();
  assert!(out.contains("npmx is uninstalled."), "{out}");
  assert_eq!(tree(s.root()), before);

  // Again: nothing left to do, and it says so.
  assert!(s.uninstall().contains("Nothing to remove"));
}

#[test]
fn uninstall_of_a_fresh_prefix_leaves_no_folder_behind() {
  let s = Sandbox::new();
  let before = tree(s.root());
  s.install(&["--write-shell-config=bash", "--mode=alias"]);
  s.uninstall();
  assert_eq!(tree(s.root()), before);
  assert!(!s.prefix().exists());
}

#[test]
fn uninstall_keeps_a_file_changed_since_install() {
  let s = Sandbox::new();
  s.install(&[]);
  let npmx = s.prefix().join("bin/npmx");
  fs::remove_file(&npmx).unwrap();
  write_exe(&npmx, "#!/bin/sh\necho someone else's npmx\n");
  let mut command = s.command(install_sh(), "/usr/bin:/bin");
  command.args(["--uninstall", "--prefix"]).arg(s.prefix());
  let out = command.output().unwrap();
  assert!(out.status.success());
  assert!(text(&out.stderr).contains("kept"), "{}", text(&out.stderr));
  assert!(npmx.exists());
  assert!(!s.shims().exists());
  // The setup it ran is undone without that binary: blocks and the files
  // it created are gone.
  assert!(
    text(&out.stderr).contains("undoing npmx --npmx-setup without"),
    "{}",
    text(&out.stderr)
  );
  for rc in [
    ".profile",
    ".bashrc",
    ".zshenv",
    ".zshrc",
    ".config/fish/config.fish",
  ] {
    assert!(!s.home().join(rc).exists(), "{rc} is left");
  }
}

#[test]
fn install_refuses_to_overwrite_files_that_are_not_its_own() {
  let s = Sandbox::new();
  let foreign = s.prefix().join("bin/npmx");
  write_exe(&foreign, "#!/bin/sh\necho another npmx\n");
  let before = tree(s.root());
  let out = s.install_output(&[]);
  assert!(!out.status.success());
  let err = text(&out.stderr);
  assert!(err.contains("refusing to overwrite"), "{err}");
  assert!(err.contains("bin/npmx"), "{err}");
  // Checked before anything was changed.
  assert_eq!(tree(s.root()), before);

  // A foreign shim is refused the same way.
  let s = Sandbox::new();
  write_exe(
    &s.shims().join("npm"),
    "#!/bin/sh\nexec /usr/bin/npm \"$@\"\n",
  );
  let before = tree(s.root());
  let out = s.install_output(&[]);
  assert!(!out.status.success());
  assert!(text(&out.stderr).contains("refusing to overwrite"));
  assert_eq!(tree(s.root()), before);
}

#[test]
fn bash_config_block_is_written_once_works_and_is_removed() {
  let s = Sandbox::new();
  let bashrc = s.home().join(".bashrc");
  let original = "# my bashrc\nexport EDITOR=vi\n";
  fs::write(&bashrc, original).unwrap();

  s.install(&["--write-shell-config=bash"]);
  s.install(&["--write-shell-config=bash"]);
  let written = fs::read_to_string(&bashrc).unwrap();
  assert!(written.starts_with(original), "{written}");
  assert_eq!(
    count(&written, "# >>> npmx $HOME/.local >>>"),
    1,
    "{written}"
  );
  assert_eq!(
    count(&written, "# <<< npmx $HOME/.local <<<"),
    1,
    "{written}"
  );
  assert_eq!(
    count(
      &written,
      "export PATH=\"$HOME/.local/lib/npmx/shims${PATH:+:$PATH}\""
    ),
    1,
    "{written}"
  );

  // An interactive bash reads it: npm is the shim, and runs the real npm.
  let out = ok(
    s.command("bash", &base_path(&real_npm().dir))
      .args(["-ic", "command -v npm; npm --version"])
      .output()
      .unwrap(),
  );
  assert_eq!(
    out,
    format!(
      "{}\n{}\n",
      s.shims().join("npm").display(),
      real_npm().npm_version
    )
  );

  s.uninstall();
  assert_eq!(fs::read_to_string(&bashrc).unwrap(), original);
}

#[test]
fn alias_mode_block_runs_npm_and_npx_modes() {
  let s = Sandbox::new();
  s.install(&["--write-shell-config=bash", "--mode=alias"]);
  let real = real_npm();
  let out = ok(
    s.command("bash", &base_path(&real.dir))
      .args([
        "-ic",
        "type npm; npm --npmx-version; npm --version; npx --version",
      ])
      .output()
      .unwrap(),
  );
  let lines: Vec<_> = out.lines().collect();
  assert!(lines[0].contains("aliased to `npmx'"), "{out}");
  assert_eq!(
    lines[1..],
    [
      concat!("npmx ", env!("CARGO_PKG_VERSION")),
      real.npm_version.as_str(),
      real.npx_version.as_str()
    ]
  );
  // Alias mode puts PREFIX/bin on PATH, which holds no npm of npmx's.
  assert!(!s.prefix().join("bin/npm").exists());
}

#[test]
fn zsh_and_fish_config_blocks_work() {
  let s = Sandbox::new();
  s.install(&["--write-shell-config=zsh,fish"]);
  let path = base_path(&real_npm().dir);
  let shim = s.shims().join("npm");
  let mut tried = 0;
  if let Some(zsh) = on_path("zsh") {
    let out = ok(
      s.command(&zsh, &path)
        .args(["-ic", "command -v npm"])
        .output()
        .unwrap(),
    );
    assert_eq!(out.trim(), shim.to_str().unwrap());
    tried += 1;
  }
  if let Some(fish) = on_path("fish") {
    let out = ok(
      s.command(&fish, &path)
        .args(["-c", "command -v npm; npm --version"])
        .output()
        .unwrap(),
    );
    assert_eq!(
      out,
      format!("{}\n{}\n", shim.display(), real_npm().npm_version)
    );
    tried += 1;
  }
  if tried < 2 {
    eprintln!("zsh_and_fish_config_blocks_work: zsh or fish not installed, checked {tried} of 2");
  }
  s.uninstall();
  assert!(!s.home().join(".zshrc").exists());
  assert!(!s.home().join(".config/fish/config.fish").exists());
}

/// `npm run x` whose script runs npm again: every level goes through npmx
/// exactly once (NPMX_DEPTH counts one per level), NPMX_ARG0 never reaches a
/// script, and the nested npm prints the real version.
#[test]
fn nested_npm_in_lifecycle_scripts_reaches_npmx_once_per_level() {
  for shims in ["--shims=symlink", "--shims=script"] {
    let s = Sandbox::new();
    s.install(&[shims]);
    let project = s.root().join("project");
    fs::create_dir_all(&project).unwrap();
    fs::write(
      project.join("package.json"),
      r#"{
  "name": "nested",
  "version": "1.0.0",
  "scripts": {
    "x": "echo \"depth=${NPMX_DEPTH-} arg0=${NPMX_ARG0-unset}\"; command -v npm; npm --version; npm run --silent y",
    "y": "echo \"inner depth=${NPMX_DEPTH-} arg0=${NPMX_ARG0-unset}\""
  }
}
"#,
    )
    .unwrap();
    let out = ok(
      s.command("npm", &s.shims_first())
        .args(["run", "--silent", "x"])
        .current_dir(&project)
        .output()
        .unwrap(),
    );
    assert_eq!(
      out,
      format!(
        "depth=1 arg0=unset\n{}\n{}\ninner depth=2 arg0=unset\n",
        s.shims().join("npm").display(),
        real_npm().npm_version
      ),
      "{shims}"
    );
  }
}

#[test]
fn non_interactive_programs_find_the_shim() {
  let s = Sandbox::new();
  s.install(&[]);
  let path = s.shims_first();
  let version = &real_npm().npm_version;

  // A Makefile recipe (make runs each line with /bin/sh -c).
  if let Some(make) = on_path("make") {
    let dir = s.root().join("make");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
      dir.join("Makefile"),
      "v:\n\t@npm --npmx-version\n\t@npm --version\n",
    )
    .unwrap();
    let out = ok(
      s.command(make, &path)
        .args(["-s", "v"])
        .current_dir(&dir)
        .output()
        .unwrap(),
    );
    assert_eq!(
      out,
      format!("npmx {}\n{version}\n", env!("CARGO_PKG_VERSION"))
    );
  }

  // A program started by execvp, no shell at all (IDE tasks, CI runners).
  let out = ok(
    s.command("/usr/bin/env", &path)
      .args(["npm", "--version"])
      .output()
      .unwrap(),
  );
  assert_eq!(out.trim(), version);

  // A git hook.
  if let Some(git) = on_path("git") {
    let path = format!("{path}:{}", git.parent().unwrap().display());
    let dir = s.root().join("repo");
    fs::create_dir_all(&dir).unwrap();
    let git = |args: &[&str]| {
      ok(
        s.command(&git, &path)
          .args(args)
          .current_dir(&dir)
          .env("GIT_CONFIG_NOSYSTEM", "1")
          .env("GIT_AUTHOR_NAME", "t")
          .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
          .env("GIT_COMMITTER_NAME", "t")
          .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
          .output()
          .unwrap(),
      )
    };
    git(&["init", "-q"]);
    write_exe(
      &dir.join(".git/hooks/pre-commit"),
      "#!/bin/sh\n{ command -v npm; npm --version; } > hook.out\n",
    );
    git(&["commit", "-q", "--allow-empty", "-m", "x"]);
    assert_eq!(
      fs::read_to_string(dir.join("hook.out")).unwrap(),
      format!("{}\n{version}\n", s.shims().join("npm").display())
    );
  }
}

/// npm's global prefix can be install.sh's own (`npm config set prefix
/// ~/.local`): install and uninstall never touch npm's files, npmx runs the npm
/// installed there, and `npm install -g npm` replacing it keeps working.
#[test]
fn npms_own_files_are_never_touched() {
  let s = Sandbox::new();
  let prefix = s.prefix();
  let fake_npm = |version: &str| {
    let pkg = prefix.join("lib/node_modules/npm");
    let _ = fs::remove_dir_all(&pkg);
    write_exe(
      &pkg.join("bin/npm-cli.js"),
      &format!("#!/bin/sh\necho \"npm {version}: $*\"\n"),
    );
    write_exe(
      &pkg.join("bin/npx-cli.js"),
      &format!("#!/bin/sh\necho \"npx {version}: $*\"\n"),
    );
    fs::write(
      pkg.join("package.json"),
      format!("{{\"name\":\"npm\",\"version\":\"{version}\"}}\n"),
    )
    .unwrap();
    fs::create_dir_all(prefix.join("bin")).unwrap();
    for name in ["npm", "npx"] {
      let link = prefix.join("bin").join(name);
      let _ = fs::remove_file(&link);
      symlink(format!("../lib/node_modules/npm/bin/{name}-cli.js"), &link).unwrap();
    }
  };
  fake_npm("10.0.0");
  let npm_files = tree(&prefix);

  s.install(&[]);
  let after_install = tree(&prefix);
  for (path, what) in &npm_files {
    assert_eq!(after_install.get(path), Some(what), "{}", path.display());
  }
  let path = format!(
    "{}:{}:/usr/bin:/bin",
    s.shims().display(),
    prefix.join("bin").display()
  );
  assert_eq!(s.sh(&path, "npm --version"), "npm 10.0.0: --version\n");
  assert_eq!(s.sh(&path, "npx --yes"), "npx 10.0.0: --yes\n");

  // `npm install -g npm` replaces npm's files; npmx runs the new npm.
  fake_npm("11.0.0");
  assert_eq!(s.sh(&path, "npm --version"), "npm 11.0.0: --version\n");
  let upgraded = tree(&prefix)
    .into_iter()
    .filter(|(p, _)| !after_install.contains_key(p) || npm_files.contains_key(p))
    .collect::<BTreeMap<_, _>>();

  s.uninstall();
  let after_uninstall = tree(&prefix);
  for (path, what) in &upgraded {
    assert_eq!(after_uninstall.get(path), Some(what), "{}", path.display());
  }
  assert!(!prefix.join("bin/npmx").exists());
  assert!(!prefix.join("lib/npmx").exists());
}

#[test]
fn install_sh_help_and_bad_options() {
  let s = Sandbox::new();
  let run = |args: &[&str]| {
    s.command(install_sh(), "/usr/bin:/bin")
      .args(args)
      .output()
      .unwrap()
  };
  let help = run(&["--help"]);
  assert!(help.status.success());
  assert!(text(&help.stdout).contains("--write-shell-config"));
  for bad in [
    &["--frobnicate"][..],
    &["--shims=copy"],
    &["--write-shell-config=tcsh"],
    &["--prefix"],
    &["--prefix", "/tmp/a:b"],
  ] {
    let out = run(bad);
    assert!(!out.status.success(), "{bad:?}");
    assert!(text(&out.stderr).starts_with("install.sh: "), "{bad:?}");
  }
  let out = run(&["--binary", "/nonexistent/npmx"]);
  assert!(!out.status.success());
  assert!(!s.prefix().exists());
}

#[test]
fn install_sh_runs_under_bash_as_well_as_sh() {
  let s = Sandbox::new();
  let before = tree(s.root());
  let run = |args: &[&str]| {
    ok(
      s.command("bash", "/usr/bin:/bin")
        .arg(install_sh())
        .arg("--prefix")
        .arg(s.prefix())
        .args(args)
        .output()
        .unwrap(),
    )
  };
  run(&["--binary", NPMX, "--write-shell-config=bash,fish"]);
  assert_eq!(
    s.sh(&s.shims_first(), "npm --version").trim(),
    real_npm().npm_version
  );
  run(&["--uninstall"]);
  assert_eq!(tree(s.root()), before);
}

#[test]
fn scripts_pass_shellcheck() {
  let Some(shellcheck) = on_path("shellcheck") else {
    eprintln!("scripts_pass_shellcheck: shellcheck not installed, skipped");
    return;
  };
  for script in [
    install_sh(),
    feature_dir().join("install.sh"),
    repo().join("shims/npm"),
    repo().join("shims/npx"),
    repo().join("devcontainer/test/npmx/test.sh"),
  ] {
    let out = Command::new(&shellcheck).arg(&script).output().unwrap();
    assert!(
      out.status.success(),
      "{}:\n{}",
      script.display(),
      text(&out.stdout)
    );
  }
}
