//! Faults npmx must survive without changing what npm did: any input in
//! bounded memory (a 100 MB line, a million lines — peak memory is the
//! child's own maximum resident set, from wait4), writes that block (a FIFO
//! nobody reads), a signal that comes while npmx finishes, and kill -9.

use std::{
  fs,
  io::Write,
  path::Path,
  process::{Command, Stdio},
};

const LIMIT_KIB: i64 = 64 * 1024;

/// Runs `cmd` to its end; its exit code and peak RSS in KiB.
#[allow(clippy::zombie_processes)] // reaped by wait4, which gives its rusage
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
fn a_live_run_with_a_million_log_lines_and_a_100_mb_line_stays_small() {
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
  // And one error line of 100 MB in npm's log.
  write!(f, "1000010 error ").unwrap();
  let chunk = vec![b'x'; 1024 * 1024];
  for _ in 0..100 {
    f.write_all(&chunk).unwrap();
  }
  writeln!(f).unwrap();
  drop(f);
  let cmd = scripted(root, &format!("append {}\n{E403}exit 1\n", lines.display()));
  let (code, kib) = peak(cmd);
  assert_eq!(code, 1);
  assert!(kib <= LIMIT_KIB, "peak {kib} KiB");
}

fn mkfifo(path: &Path) {
  let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
  // SAFETY: a valid NUL-terminated path.
  assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// A scripted npm (tests/support/script-npm) in `root`, with these steps.
fn scripted(root: &Path, steps: &str) -> Command {
  fs::write(root.join("steps"), steps).unwrap();
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
  cmd
}

const E403: &str =
  "log error code E403\nlog error 403 Forbidden - GET https://registry.npmjs.org/left-pad\n";

#[test]
fn a_report_or_summary_nobody_reads_costs_neither_the_diagnosis_nor_the_report() {
  let dir = tempfile::tempdir().unwrap();
  let fifo = dir.path().join("fifo");
  mkfifo(&fifo);
  // Saved log, report to a FIFO: npmx still ends.
  let mut input = Command::new(env!("CARGO_BIN_EXE_npmx"))
    .arg("--npmx-diagnose")
    .env_clear()
    .env("HOME", dir.path())
    .env("NPMX_REPORT", &fifo)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
  input
    .stdin
    .take()
    .unwrap()
    .write_all(b"npm error code E403\nnpm error 403 Forbidden - GET https://registry.npmjs.org/x\n")
    .unwrap();
  let out = input.wait_with_output().unwrap();
  assert_eq!(out.status.code(), Some(0));
  assert!(String::from_utf8_lossy(&out.stdout).contains("[registry-forbidden]"));
  assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the report"));

  // Live, in GitHub Actions, the step summary a FIFO: stderr and the report
  // are written first.
  let root = dir.path().join("live");
  fs::create_dir_all(&root).unwrap();
  let report = root.join("report.json");
  let out = scripted(&root, &format!("{E403}exit 1\n"))
    .env("GITHUB_ACTIONS", "true")
    .env("GITHUB_STEP_SUMMARY", &fifo)
    .env("NPMX_REPORT", &report)
    .output()
    .unwrap();
  assert_eq!(out.status.code(), Some(1));
  assert!(String::from_utf8_lossy(&out.stderr).contains("[registry-forbidden]"));
  assert!(
    fs::read_to_string(&report)
      .unwrap()
      .contains("registry-forbidden")
  );
}

#[test]
fn a_sigterm_while_npmx_finishes_is_died_of() {
  use std::os::unix::process::ExitStatusExt;
  let dir = tempfile::tempdir().unwrap();
  let fifo = dir.path().join("fifo");
  mkfifo(&fifo);
  // npm exits 0 at once; npmx then spends up to 2 s on a report nobody reads.
  let child = scripted(dir.path(), &format!("{E403}exit 0\n"))
    .env("NPMX_REPORT", &fifo)
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
  std::thread::sleep(std::time::Duration::from_millis(800));
  // SAFETY: signalling our own child.
  unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
  let status = child.wait_with_output().unwrap().status;
  assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

/// kill -9 of npmx at random moments while npm starts (1,000 times): npm
/// never outlives it.
#[test]
fn npm_never_outlives_a_killed_npmx() {
  let dir = tempfile::tempdir().unwrap();
  let marker = format!("npmx-orphan-test-{}", std::process::id());
  let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
  for _ in 0..1000 {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    let child = scripted(dir.path(), "wait\n")
      .arg(&marker)
      .stdout(Stdio::null())
      .stderr(Stdio::null())
      .spawn()
      .unwrap();
    std::thread::sleep(std::time::Duration::from_micros(seed % 3000));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait_with_output();
  }
  // The scripted npm sleeps in a loop: anything left of it is an orphan.
  let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
  loop {
    let left = processes_with(&marker);
    if left.is_empty() {
      break;
    }
    assert!(
      std::time::Instant::now() < deadline,
      "npm outlived npmx: {left:?}"
    );
    std::thread::sleep(std::time::Duration::from_millis(100));
  }
}

fn processes_with(marker: &str) -> Vec<u32> {
  let mut found = Vec::new();
  for entry in fs::read_dir("/proc").unwrap().flatten() {
    let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
      continue;
    };
    let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
    if String::from_utf8_lossy(&cmdline).contains(marker) {
      found.push(pid);
    }
  }
  found
}
