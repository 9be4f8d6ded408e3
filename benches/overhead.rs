//! What npmx costs: `cargo bench --bench overhead`.
//!
//! Prints figures, not verdicts, against the targets of the core issue:
//!
//! 1. start-up overhead: npmx running a trivial npm (a copy of `true`)
//!    against that npm run directly; target at most 1.5 ms added;
//! 2. `npm --version` with the real npm, through npmx and directly; target
//!    a ratio of at most 1.01 (100 runs each: npm itself varies by ±10 ms);
//! 3. npmx's peak memory while npm writes 1 GiB to stdout; target 8 MiB.
//!
//! Runs are interleaved (npmx, direct, npmx, …) so that drift in the
//! machine's load falls on both alike, and summarised by their median; on a
//! busy machine the 10th percentile is the steadier figure, and is shown too.
//! `NPMX_BENCH_RUNS` changes the number of runs of (1).

use std::{
  fs,
  os::unix::{fs::PermissionsExt, process::CommandExt},
  path::{Path, PathBuf},
  process::{Command, Stdio},
  thread,
  time::{Duration, Instant},
};

/// The npmx measured: the one cargo built, or `NPMX_BENCH_BIN` (to measure
/// a static build, or an installed one, beside it).
static NPMX: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
  std::env::var("NPMX_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_npmx").to_owned())
});

fn main() {
  let dir = tempfile::tempdir().unwrap();
  let runs = std::env::var("NPMX_BENCH_RUNS")
    .ok()
    .and_then(|v| v.parse().ok())
    .unwrap_or(300);
  println!("npmx overhead benchmark ({})\n", *NPMX);
  // `NPMX_BENCH_ONLY=startup`: section 1 alone, for quick comparisons.
  let only_startup = std::env::var("NPMX_BENCH_ONLY").is_ok_and(|v| v == "startup");
  startup(dir.path(), runs);
  if !only_startup {
    npm_version(dir.path(), 100);
    peak_memory(dir.path());
  }
}

/// A command with nothing from this environment but what is set here.
fn clean(program: impl AsRef<Path>, dir: &Path) -> Command {
  let mut command = Command::new(program.as_ref());
  command
    .env_clear()
    .env("HOME", dir.join("home"))
    .env("PATH", "/usr/local/bin:/usr/bin:/bin")
    .current_dir(dir)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
  command
}

fn time(command: &mut Command) -> Duration {
  let start = Instant::now();
  let status = command.status().unwrap();
  let elapsed = start.elapsed();
  assert!(status.success(), "{command:?}: {status}");
  elapsed
}

struct Summary {
  median: Duration,
  p10: Duration,
  p90: Duration,
}

fn summarise(mut times: Vec<Duration>) -> Summary {
  times.sort();
  let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
  Summary {
    median: at(0.5),
    p10: at(0.1),
    p90: at(0.9),
  }
}

fn ms(d: Duration) -> f64 {
  d.as_secs_f64() * 1000.0
}

fn compare(title: &str, runs: usize, mut npmx: Command, mut direct: Command) -> (Summary, Summary) {
  // One of each first, not counted: page cache, dynamic loader caches.
  time(&mut npmx);
  time(&mut direct);
  let (mut a, mut b) = (Vec::new(), Vec::new());
  for _ in 0..runs {
    a.push(time(&mut npmx));
    b.push(time(&mut direct));
  }
  let (a, b) = (summarise(a), summarise(b));
  println!("{title} ({runs} runs each, interleaved)");
  for (name, s) in [("through npmx", &a), ("direct", &b)] {
    println!(
      "  {name:<13} median {:8.3} ms   p10 {:8.3} ms   p90 {:8.3} ms",
      ms(s.median),
      ms(s.p10),
      ms(s.p90)
    );
  }
  (a, b)
}

fn startup(dir: &Path, runs: usize) {
  let npm = dir.join("npm");
  let truth = ["/bin/true", "/usr/bin/true"]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("true");
  fs::copy(truth, &npm).unwrap();
  let mut npmx = clean(&*NPMX, dir);
  npmx.env("NPMX_NPM", &npm).arg("install");
  let mut direct = clean(&npm, dir);
  direct.arg("install");
  let (a, b) = compare(
    "1. start-up: a trivial npm (`true`) via NPMX_NPM",
    runs,
    npmx,
    direct,
  );
  println!(
    "  added by npmx: {:.3} ms (median; target <= 1.5 ms), {:.3} ms (p10)\n",
    ms(a.median.saturating_sub(b.median)),
    ms(a.p10.saturating_sub(b.p10))
  );

  // The usual set-up: `alias npm=npmx`, npm found on PATH (identity checks
  // and all) rather than named.
  let mut npmx = clean(&*NPMX, dir);
  npmx.env(
    "PATH",
    std::env::join_paths([dir, Path::new("/usr/bin"), Path::new("/bin")]).unwrap(),
  );
  npmx.arg("install");
  let mut direct = clean(&npm, dir);
  direct.arg("install");
  let (a, b) = compare("1b. the same, npm found on PATH", runs, npmx, direct);
  println!(
    "  added by npmx: {:.3} ms (median), {:.3} ms (p10)\n",
    ms(a.median.saturating_sub(b.median)),
    ms(a.p10.saturating_sub(b.p10))
  );
}

fn npm_version(dir: &Path, runs: usize) {
  let Some(npm) = which("npm") else {
    println!("2. npm --version: no npm on PATH, skipped\n");
    return;
  };
  let (user, global, cache) = (
    dir.join("npmrc"),
    dir.join("global-npmrc"),
    dir.join("cache"),
  );
  fs::write(&user, "").unwrap();
  fs::write(&global, "").unwrap();
  let setup = |mut command: Command| {
    command
      .env("PATH", path_with(&npm))
      .env("npm_config_userconfig", &user)
      .env("npm_config_globalconfig", &global)
      .env("npm_config_cache", &cache)
      .env("npm_config_update_notifier", "false")
      .arg("--version");
    command
  };
  let (a, b) = compare(
    "2. npm --version with the real npm",
    runs,
    setup(clean(&*NPMX, dir)),
    setup(clean(&npm, dir)),
  );
  println!(
    "  ratio: {:.4} (median; target <= 1.01), difference {:.3} ms\n",
    a.median.as_secs_f64() / b.median.as_secs_f64(),
    ms(a.median.saturating_sub(b.median))
  );
}

fn peak_memory(dir: &Path) {
  let npm = dir.join("loud-npm");
  fs::write(
    &npm,
    "#!/bin/sh\nexec head -c 1073741824 /dev/zero\n", // 1 GiB
  )
  .unwrap();
  fs::set_permissions(&npm, fs::Permissions::from_mode(0o755)).unwrap();
  let mut command = clean(&*NPMX, dir);
  command.env("NPMX_NPM", &npm).process_group(0);
  let child = command.spawn().unwrap();
  let pid = child.id() as i32;

  // VmHWM is npmx's own peak; sample it until npmx is a zombie (then /proc
  // no longer shows its memory).
  let sampler = thread::spawn(move || {
    let mut peak_kib = 0u64;
    while let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) {
      match status.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
        Some(v) => peak_kib = peak_kib.max(v.trim().trim_end_matches(" kB").parse().unwrap_or(0)),
        None => break,
      }
      thread::sleep(Duration::from_millis(2));
    }
    peak_kib
  });
  let start = Instant::now();
  // SAFETY: wait4 on our own child, with out-pointers to locals.
  let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
  let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
  let elapsed = start.elapsed();
  assert_eq!(rc, pid);
  let sampled = sampler.join().unwrap();
  std::mem::forget(child); // reaped above
  println!("3. peak memory while npm writes 1 GiB to stdout (/dev/null)");
  println!("  took {:.0} ms, exit status {status:#x}", ms(elapsed));
  println!(
    "  npmx VmHWM (sampled from /proc): {:.2} MiB (target <= 8 MiB)",
    sampled as f64 / 1024.0
  );
  println!(
    "  wait4 ru_maxrss: {:.2} MiB (the larger of npmx and npm, here `head`)",
    usage.ru_maxrss as f64 / 1024.0
  );
}

fn which(name: &str) -> Option<PathBuf> {
  let path = std::env::var_os("PATH")?;
  std::env::split_paths(&path)
    .map(|d| d.join(name))
    .find(|p| p.is_file())
}

/// PATH with npm's directory (and node's, which its `#!` needs) first.
fn path_with(npm: &Path) -> std::ffi::OsString {
  let mut dirs = vec![npm.parent().unwrap().to_owned()];
  if let Some(node) = which("node") {
    dirs.push(node.parent().unwrap().to_owned());
  }
  dirs.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
  std::env::join_paths(dirs).unwrap()
}
