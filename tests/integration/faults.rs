//! Faults npmx must survive without changing what npm did: any input in
//! bounded memory (a 100 MB line, a million lines — peak memory is the
//! child's own maximum resident set, from wait4), writes that block (a FIFO
//! nobody reads), a signal that comes while npmx finishes, and kill -9.

use std::{fs, io::Write, path::Path};

use crate::harness::{Io, Test};

const LIMIT_KIB: i64 = 64 * 1024;

/// Runs `t` to its end, output discarded; its exit code and peak RSS in KiB.
fn peak(t: Test) -> (i32, i64) {
  let done = t.stdout(Io::Null).stderr(Io::Null).run();
  (done.code().unwrap(), done.peak_kib)
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
  for (name, make) in [
    ("line", huge_line as fn(&Path)),
    ("lines", |p: &Path| million_lines(p, "npm ")),
  ] {
    let t = Test::new();
    let input = t.path(name);
    make(&input);
    let (code, kib) = peak(t.args(["--npmx-diagnose".as_ref(), input.as_os_str()]));
    assert_eq!(code, 0, "{name}: a diagnosis is still made");
    assert!(kib <= LIMIT_KIB, "{name}: peak {kib} KiB");
  }
}

#[test]
fn a_live_run_with_a_million_log_lines_and_a_100_mb_line_stays_small() {
  let t = Test::new();
  let lines = t.path("lines");
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
  let steps = format!("append {}", lines.display());
  let (code, kib) = peak(scripted(t, &[&steps, E403[0], E403[1], "exit 1"]));
  assert_eq!(code, 1);
  assert!(kib <= LIMIT_KIB, "peak {kib} KiB");
}

fn mkfifo(path: &Path) {
  let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
  // SAFETY: a valid NUL-terminated path.
  assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// `npm install` where npm is the scripted one (tests/support/script-npm),
/// with these steps, its cache and logs in the test's directory.
fn scripted(t: Test, steps: &[&str]) -> Test {
  let t = t.scripted_npm(steps);
  let cache = format!("--cache={}", t.path("cache").display());
  t.args(["install", &cache])
}

/// npm's error block for a 403, as script steps.
const E403: [&str; 2] = [
  "log error code E403",
  "log error 403 Forbidden - GET https://registry.npmjs.org/left-pad",
];

#[test]
fn a_report_or_summary_nobody_reads_costs_neither_the_diagnosis_nor_the_report() {
  // Saved log, report to a FIFO: npmx still ends.
  let t = Test::new();
  let fifo = t.path("fifo");
  mkfifo(&fifo);
  let out = t
    .args(["--npmx-diagnose"])
    .env("NPMX_REPORT", &fifo)
    .input("npm error code E403\nnpm error 403 Forbidden - GET https://registry.npmjs.org/x\n")
    .run();
  assert_eq!(out.code(), Some(0));
  assert!(out.stdout().contains("[registry-forbidden]"));
  assert!(out.stderr().contains("cannot write the report"));

  // Live, in GitHub Actions, the step summary a FIFO: stderr and the report
  // are written first.
  let t = Test::new();
  let fifo = t.path("fifo");
  mkfifo(&fifo);
  let t = scripted(t, &[E403[0], E403[1], "exit 1"])
    .env("GITHUB_ACTIONS", "true")
    .env("GITHUB_STEP_SUMMARY", &fifo)
    .with_report();
  let out = t.run();
  assert_eq!(out.code(), Some(1));
  assert!(out.stderr().contains("[registry-forbidden]"));
  assert!(
    String::from_utf8(t.read("npmx-report.json"))
      .unwrap()
      .contains("registry-forbidden")
  );
}

#[test]
fn a_sigterm_while_npmx_finishes_is_died_of() {
  let t = Test::new();
  let fifo = t.path("fifo");
  mkfifo(&fifo);
  // npm exits 0 at once; npmx then spends up to 2 s on a report nobody reads.
  let running = scripted(t, &[E403[0], E403[1], "exit 0"])
    .env("NPMX_REPORT", &fifo)
    .stdout(Io::Null)
    .stderr(Io::Null)
    .spawn();
  std::thread::sleep(std::time::Duration::from_millis(800));
  running.kill(libc::SIGTERM);
  let done = running.wait();
  assert_eq!(done.signal(), Some(libc::SIGTERM), "{:?}", done.status);
}

/// kill -9 of npmx at random moments while npm starts (1,000 times): npm
/// never outlives it.
#[test]
fn npm_never_outlives_a_killed_npmx() {
  let marker = format!("npmx-orphan-test-{}", std::process::id());
  let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
  for _ in 0..1000 {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    let running = scripted(Test::new(), &["wait"])
      .args([&marker])
      .stdout(Io::Null)
      .stderr(Io::Null)
      .spawn();
    std::thread::sleep(std::time::Duration::from_micros(seed % 3000));
    running.kill(libc::SIGKILL);
    running.wait();
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
