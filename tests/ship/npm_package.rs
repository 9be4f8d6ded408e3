//! The npm packages, for real: published to a Verdaccio on 127.0.0.1,
//! installed with `npm install -g` into a temporary prefix, set up with
//! `npmx --npmx-setup`, and then `npm` in a new shell runs through npmx —
//! the platform package's native binary itself, exec'd directly by the shim
//! (no launcher, no Node.js on the way), the very file dist/build.sh built.
//! That is why its start-up is the cargo-built one's: the benchmark measures
//! it with `NPMX_BENCH_BIN=<that file>` (README, "Install").

use std::{
  fs,
  io::{Read, Write},
  net::{TcpListener, TcpStream},
  os::unix::process::CommandExt,
  path::{Path, PathBuf},
  process::{Child, Command, Stdio},
  time::{Duration, Instant},
};

use crate::{Machine, VERSION, dist, node_path, ok, repo, text, tree};

const USER: &str = "publisher";
const PASSWORD: &str = "publisher-password";

/// A Verdaccio of tests/e2e/node_modules (provision.sh installs it), on a
/// free port of 127.0.0.1, no uplinks; stopped when dropped.
struct Verdaccio {
  child: Child,
  port: u16,
}

impl Verdaccio {
  fn start(dir: &Path) -> Verdaccio {
    let bin = repo().join("tests/e2e/node_modules/verdaccio/bin/verdaccio");
    assert!(
      bin.exists(),
      "Verdaccio is not installed: run tests/e2e/provision.sh (./test.sh does)"
    );
    fs::create_dir_all(dir.join("storage")).unwrap();
    // htpasswd's {SHA} form: base64(sha1(password)), made by openssl.
    let sha = Command::new("sh")
      .arg("-c")
      .arg(format!(
        "printf %s '{PASSWORD}' | openssl dgst -sha1 -binary | openssl base64"
      ))
      .output()
      .unwrap();
    let sha = text(&sha.stdout).trim().to_owned();
    fs::write(
      dir.join("htpasswd"),
      format!("{USER}:{{SHA}}{sha}:autocreated 2026-01-01T00:00:00.000Z\n"),
    )
    .unwrap();
    fs::write(
      dir.join("config.yaml"),
      format!(
        "storage: {d}/storage\nauth:\n  htpasswd:\n    file: {d}/htpasswd\n    max_users: -1\npackages:\n  '**':\n    access: $all\n    publish: $authenticated\nlog: {{ type: stdout, format: pretty, level: warn }}\n",
        d = dir.display()
      ),
    )
    .unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
      .unwrap()
      .local_addr()
      .unwrap()
      .port();
    let mut command = Command::new("node");
    command
      .arg(&bin)
      .arg("--config")
      .arg(dir.join("config.yaml"))
      .arg("--listen")
      .arg(format!("127.0.0.1:{port}"))
      .env_clear()
      .env("PATH", node_path())
      .env("HOME", dir)
      .env("NODE_ENV", "production")
      .current_dir(dir)
      .stdin(Stdio::null())
      .stdout(fs::File::create(dir.join("verdaccio.log")).unwrap())
      .stderr(Stdio::inherit());
    // SAFETY: prctl is async-signal-safe. Verdaccio dies with this test.
    unsafe {
      command.pre_exec(|| {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        Ok(())
      });
    }
    let child = command.spawn().unwrap();
    let v = Verdaccio { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !v.ping() {
      assert!(
        Instant::now() < deadline,
        "Verdaccio did not answer on port {port}: {}",
        fs::read_to_string(dir.join("verdaccio.log")).unwrap_or_default()
      );
      std::thread::sleep(Duration::from_millis(100));
    }
    v
  }

  fn ping(&self) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
      return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(
      s,
      "GET /-/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    );
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
  }

  fn url(&self) -> String {
    format!("http://127.0.0.1:{}/", self.port)
  }
}

impl Drop for Verdaccio {
  fn drop(&mut self) {
    let _ = self.child.kill();
    let _ = self.child.wait();
  }
}

fn base64(bytes: &[u8]) -> String {
  const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let mut out = String::new();
  for chunk in bytes.chunks(3) {
    let n = chunk
      .iter()
      .enumerate()
      .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
    for i in 0..4 {
      if i <= chunk.len() {
        out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
      } else {
        out.push('=');
      }
    }
  }
  out
}

/// `npm …` as the publisher (its own user npmrc with the registry and basic
/// auth for it).
fn npm(m: &Machine, registry: &str, args: &[&str]) -> std::process::Output {
  let auth = base64(format!("{USER}:{PASSWORD}").as_bytes());
  let host = registry.trim_start_matches("http:");
  fs::write(
    m.path("scratch/npmrc"),
    format!("registry={registry}\n{host}:_auth={auth}\n"),
  )
  .unwrap();
  m.command("npm", &node_path()).args(args).output().unwrap()
}

fn resolve(path: &Path) -> PathBuf {
  fs::canonicalize(path).unwrap()
}

#[test]
fn npm_install_g_then_setup_runs_npm_through_the_native_binary() {
  let d = dist();
  let m = Machine::new();
  let registry = Verdaccio::start(&m.path("verdaccio"));
  let url = registry.url();
  let npm_dir = d.dir.join("npm");
  let mut platform = None;
  for entry in fs::read_dir(&npm_dir).unwrap() {
    let p = entry.unwrap().path();
    let name = p.file_name().unwrap().to_string_lossy().into_owned();
    if name != format!("npmx-cli-npmx-{VERSION}.tgz") {
      platform = Some(p);
    }
  }
  let platform = platform.expect("a platform package for this host");
  for tgz in [
    platform,
    npm_dir.join(format!("npmx-cli-npmx-{VERSION}.tgz")),
  ] {
    ok(npm(
      &m,
      &url,
      &["publish", tgz.to_str().unwrap(), "--access", "public"],
    ));
  }

  // What the platform package declares (npm installs only the one that fits).
  let view = ok(npm(
    &m,
    &url,
    &[
      "view",
      "@npmx-cli/npmx-linux-x64-gnu",
      "--json",
      "os",
      "cpu",
      "libc",
      "bin",
    ],
  ));
  let view: serde_json::Value = serde_json::from_str(&view).unwrap();
  assert_eq!(view["os"], serde_json::json!(["linux"]));
  assert_eq!(view["cpu"], serde_json::json!(["x64"]));
  assert_eq!(view["libc"], serde_json::json!(["glibc"]));
  assert_eq!(view["bin"], serde_json::json!({"npmx": "npmx"}));

  let prefix = m.path("prefix");
  let home_before = tree(&m.home());
  let out = ok(npm(
    &m,
    &url,
    &[
      "install",
      "-g",
      "--prefix",
      prefix.to_str().unwrap(),
      "@npmx-cli/npmx",
    ],
  ));
  assert!(out.contains("added 2 packages"), "{out}");
  // npm linked the main package's bin only: the sh launcher, no Node.js.
  let launcher = resolve(&prefix.join("bin/npmx"));
  assert_eq!(
    launcher,
    resolve(&prefix.join("lib/node_modules/@npmx-cli/npmx/bin/npmx"))
  );
  assert!(
    fs::read_to_string(&launcher)
      .unwrap()
      .starts_with("#!/bin/sh\n")
  );
  assert!(
    !prefix.join("bin/npm").exists(),
    "npm's own bin is not touched"
  );
  let native =
    prefix.join("lib/node_modules/@npmx-cli/npmx/node_modules/@npmx-cli/npmx-linux-x64-gnu/npmx");
  assert_eq!(fs::read(&native).unwrap(), fs::read(&d.binary).unwrap());

  // Setup, as the README says, through the launcher.
  let path = format!("{}:{}", prefix.join("bin").display(), node_path());
  let out = ok(
    m.command("npmx", &path)
      .args(["--npmx-setup", "--shell=bash"])
      .output()
      .unwrap(),
  );
  assert!(out.contains("Open a new shell"), "{out}");
  let shims = prefix.join("lib/npmx/shims");
  // The shim is the native binary itself, linked straight to it.
  assert_eq!(resolve(&shims.join("npm")), resolve(&native));
  assert_eq!(resolve(&shims.join("npx")), resolve(&native));

  // A new login shell: npm is npmx, which runs the real npm.
  let real_version = ok(
    m.command("npm", &node_path())
      .arg("--version")
      .output()
      .unwrap(),
  );
  let out = m.bash(
    &node_path(),
    &["-lc"],
    "command -v npm; npm --npmx-version; npm --version",
  );
  assert_eq!(
    out,
    format!(
      "{}\nnpmx {VERSION}\n{real_version}",
      shims.join("npm").display()
    )
  );
  // And npmx is in front for real: a failing npm is diagnosed.
  let failing = m
    .command("bash", &node_path())
    .args(["-lc", "cd \"$HOME\" && npm run no-such-script"])
    .output()
    .unwrap();
  assert!(!failing.status.success());
  assert!(
    text(&failing.stderr).contains("npmx: "),
    "{}",
    text(&failing.stderr)
  );

  // Removal: undo, then npm uninstall -g, leaves the home as it was and
  // nothing of npmx in the prefix.
  ok(
    m.command("npmx", &path)
      .args(["--npmx-setup", "--undo"])
      .output()
      .unwrap(),
  );
  ok(npm(
    &m,
    &url,
    &[
      "uninstall",
      "-g",
      "--prefix",
      prefix.to_str().unwrap(),
      "@npmx-cli/npmx",
    ],
  ));
  assert_eq!(tree(&m.home()), home_before);
  // npm 11 leaves the scope's folder, empty, as it does for any scoped
  // package it uninstalls; nothing else of npmx stays.
  let left: Vec<_> = tree(&prefix)
    .into_iter()
    .filter(|(p, _)| p.to_string_lossy().contains("npmx"))
    .collect();
  assert_eq!(
    left,
    [(
      PathBuf::from("lib/node_modules/@npmx-cli"),
      "dir".to_owned()
    )]
  );
}
