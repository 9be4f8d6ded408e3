//! Bounded memory on any input: a 100 MB line and a million lines, read
//! from a saved log (`--npmx-diagnose`) and live from npm's debug log.
//! Peak memory is the child's own maximum resident set, from wait4.

use std::{
  fs,
  io::Write,
  path::Path,
  process::{Command, Stdio},
};

const LIMIT_KIB: i64 = 64 * 1024;

/// Runs `cmd` to its end; its exit code and peak RSS in KiB.
fn peak(mut cmd: Command) -> (i32, i64) {
  let child = cmd
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
  let pid = child.id() as i32;
  let mut status = 0;
  // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
  let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
  let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
  assert_eq!(waited, pid);
  (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

fn huge_line(path: &Path) {
  let mut f = fs::File::create(path).unwrap();
  let chunk = vec![b'x'; 1024 * 1024];
  // A 100 MB line (a minified bundle a build printed), then npm's block.
  f.write_all(b"npm error ").unwrap();
  for _ in 0..100 {
    f.write_all(&chunk).unwrap();
  }
  f.write_all(b"\nnpm error code E403\nnpm error 403 Forbidden - GET https://r.example/x - no\n")
    .unwrap();
}

fn million_lines(path: &Path, prefix: &str) {
  let mut f = std::io::BufWriter::new(fs::File::create(path).unwrap());
  for i in 0..1_000_000 {
    writeln!(
      f,
      "{prefix}warn deprecated pkg-{i}@1.0.0: use something else"
    )
    .unwrap();
  }
  writeln!(f, "{prefix}error code E403").unwrap();
  writeln!(
    f,
    "{prefix}error 403 Forbidden - GET https://registry.npmjs.org/left-pad"
  )
  .unwrap();
}

#[test]
fn a_saved_log_of_a_100_mb_line_or_a_million_lines_stays_small() {
  let dir = tempfile::tempdir().unwrap();
  for (name, make) in [
    ("line", huge_line as fn(&Path)),
    ("lines", |p: &Path| million_lines(p, "npm ")),
  ] {
    let input = dir.path().join(name);
    make(&input);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_npmx"));
    cmd
      .arg("--npmx-diagnose")
      .arg(&input)
      .env_clear()
      .env("HOME", dir.path());
    let (code, kib) = peak(cmd);
    assert_eq!(code, 0, "{name}: a diagnosis is still made");
    assert!(kib <= LIMIT_KIB, "{name}: peak {kib} KiB");
  }
}

#[test]
fn a_live_run_with_a_million_log_lines_stays_small() {
  let dir = tempfile::tempdir().unwrap();
  let root = dir.path();
  let lines = root.join("lines");
  let mut f = std::io::BufWriter::new(fs::File::create(&lines).unwrap());
  for i in 0..1_000_000 {
    writeln!(
      f,
      "{} warn deprecated pkg-{i}@1.0.0: use something else",
      i + 10
    )
    .unwrap();
  }
  drop(f);
  fs::write(
    root.join("steps"),
    format!(
      "append {}\nlog error code E403\nlog error 403 Forbidden - GET https://registry.npmjs.org/left-pad\nexit 1\n",
      lines.display()
    ),
  )
  .unwrap();
  fs::create_dir_all(root.join("home")).unwrap();
  let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/script-npm");
  let mut cmd = Command::new(env!("CARGO_BIN_EXE_npmx"));
  cmd
    .args([
      "install",
      &format!("--cache={}", root.join("cache").display()),
    ])
    .current_dir(root)
    .env_clear()
    .env("PATH", "/usr/bin:/bin")
    .env("HOME", root.join("home"))
    .env("NPMX_NPM", &script)
    .env("SCRIPT_NPM", root.join("steps"))
    .env("SCRIPT_LOGS", root.join("cache/_logs"));
  let (code, kib) = peak(cmd);
  assert_eq!(code, 1);
  assert!(kib <= LIMIT_KIB, "peak {kib} KiB");
}
