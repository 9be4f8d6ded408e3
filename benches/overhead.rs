//! What npmx costs: `cargo bench --bench overhead`.
//!
//! Prints figures, not verdicts, against the targets of the issues:
//!
//! 1. start-up overhead: npmx running a trivial npm (a copy of `true`)
//!    against that npm run directly, with npm named by `NPMX_NPM` and found
//!    on PATH; target at most 1.0 ms added;
//! 2. `npm --version` with the real npm, through npmx and directly; target
//!    a ratio of at most 1.01 (100 runs each: npm itself varies by ±10 ms);
//! 3. npmx's peak memory while npm writes 1 GiB to stdout; target 8 MiB.
//!
//! npmx is measured as it ships: the static, non-PIE build (`install.sh`,
//! `dist/build.sh` and the npm package install that one on Linux with
//! glibc), which this benchmark builds first with `cargo build --release
//! --target <host>`, `+crt-static` and `relocation-model=static`; cargo's own
//! dynamic build is measured beside it in (1). `NPMX_BENCH_BIN=<path>` measures that binary instead
//! (an installed npmx, say).
//!
//! Runs are interleaved (npmx, direct, npmx, …) so that drift in the
//! machine's load falls on both alike, and summarised by their median; on a
//! busy machine the 10th percentile is the steadier figure, and is shown too.
//! `NPMX_BENCH_RUNS` changes the number of runs of (1);
//! `NPMX_BENCH_ONLY=startup` runs (1) alone.

use std::{
  fs,
  os::unix::{fs::PermissionsExt, process::CommandExt},
  path::{Path, PathBuf},
  process::{Command, Stdio},
  thread,
  time::{Duration, Instant},
};

/// cargo's build of npmx for this benchmark: dynamically linked.
const CARGO_BUILD: &str = env!("CARGO_BIN_EXE_npmx");

fn main() {
  let dir = tempfile::tempdir().unwrap();
  let runs = std::env::var("NPMX_BENCH_RUNS")
    .ok()
    .and_then(|v| v.parse().ok())
    .unwrap_or(300);
  let only_startup = std::env::var("NPMX_BENCH_ONLY").is_ok_and(|v| v == "startup");
  let (npmx, also) = match std::env::var_os("NPMX_BENCH_BIN") {
    Some(bin) => (PathBuf::from(bin), None),
    None => match static_build() {
      Some(bin) => (bin, Some(PathBuf::from(CARGO_BUILD))),
      None => (PathBuf::from(CARGO_BUILD), None),
    },
  };
  println!(
    "npmx overhead benchmark
  measured: {}",
    npmx.display()
  );
  println!(
    "  machine: {}
",
    machine()
  );
  startup(&npmx, dir.path(), runs);
  if let Some(dynamic) = also {
    println!(
      "The same with cargo's dynamically linked build ({}):
",
      dynamic.display()
    );
    startup_named(&dynamic, dir.path(), runs);
  }
  if !only_startup {
    npm_version(&npmx, dir.path(), 100);
    peak_memory(&npmx, dir.path());
  }
}

/// The static build, as `install.sh` makes it: glibc linked in. `None` where
/// the host is not Linux with glibc or the build fails (then cargo's own
/// build is measured, and says so).
fn static_build() -> Option<PathBuf> {
  let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
  let info = Command::new(rustc).arg("-vV").output().ok()?;
  let info = String::from_utf8_lossy(&info.stdout).into_owned();
  let host = info
    .lines()
    .find_map(|l| l.strip_prefix("host: "))?
    .trim()
    .to_owned();
  if !host.ends_with("-linux-gnu") {
    return None;
  }
  let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
  let target_dir = std::env::var_os("CARGO_TARGET_DIR")
    .map(PathBuf::from)
    .unwrap_or_else(|| manifest.join("target"));
  let flags = std::env::var("RUSTFLAGS").unwrap_or_default();
  println!(
    "building the static npmx (cargo build --release --target {host}, +crt-static, non-PIE)..."
  );
  let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
  let built = Command::new(cargo)
    .args([
      "build",
      "--release",
      "--locked",
      "--bin",
      "npmx",
      "--target",
      &host,
    ])
    .env(
      "RUSTFLAGS",
      format!("{flags} -C target-feature=+crt-static -C relocation-model=static"),
    )
    .env("CARGO_TARGET_DIR", &target_dir)
    .current_dir(manifest)
    .stdout(Stdio::null())
    .status()
    .ok()?;
  let bin = target_dir.join(&host).join("release/npmx");
  (built.success() && bin.is_file()).then_some(bin)
}

/// CPU model and count, and the kernel: what the figures were taken on.
fn machine() -> String {
  let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
  let model = cpuinfo
    .lines()
    .find_map(|l| l.strip_prefix("model name"))
    .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
    .unwrap_or_else(|| "unknown CPU".into());
  let cpus = thread::available_parallelism().map_or(0, |n| n.get());
  let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
  format!("{cpus} x {model}, Linux {}", kernel.trim())
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

fn startup(npmx: &Path, dir: &Path, runs: usize) {
  startup_named(npmx, dir, runs);

  // The usual set-up: `alias npm=npmx` or a shim, npm found on PATH
  // (identity checks and all) rather than named.
  let npm = dir.join("npm");
  let mut through = clean(npmx, dir);
  through.env(
    "PATH",
    std::env::join_paths([dir, Path::new("/usr/bin"), Path::new("/bin")]).unwrap(),
  );
  through.arg("install");
  let mut direct = clean(&npm, dir);
  direct.arg("install");
  let (a, b) = compare("1b. the same, npm found on PATH", runs, through, direct);
  println!(
    "  added by npmx: {:.3} ms (median; target <= 1.0 ms), {:.3} ms (p10)\n",
    ms(a.median.saturating_sub(b.median)),
    ms(a.p10.saturating_sub(b.p10))
  );
}

/// (1) with npm named by `NPMX_NPM`.
fn startup_named(npmx: &Path, dir: &Path, runs: usize) {
  let npm = dir.join("npm");
  let truth = ["/bin/true", "/usr/bin/true"]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("true");
  fs::copy(truth, &npm).unwrap();
  let mut through = clean(npmx, dir);
  through.env("NPMX_NPM", &npm).arg("install");
  let mut direct = clean(&npm, dir);
  direct.arg("install");
  let (a, b) = compare(
    "1. start-up: a trivial npm (`true`) via NPMX_NPM",
    runs,
    through,
    direct,
  );
  println!(
    "  added by npmx: {:.3} ms (median; target <= 1.0 ms), {:.3} ms (p10)\n",
    ms(a.median.saturating_sub(b.median)),
    ms(a.p10.saturating_sub(b.p10))
  );
}

fn npm_version(npmx: &Path, dir: &Path, runs: usize) {
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
    setup(clean(npmx, dir)),
    setup(clean(&npm, dir)),
  );
  println!(
    "  ratio: {:.4} (median; target <= 1.01), difference {:.3} ms\n",
    a.median.as_secs_f64() / b.median.as_secs_f64(),
    ms(a.median.saturating_sub(b.median))
  );
}

fn peak_memory(npmx: &Path, dir: &Path) {
  let npm = dir.join("loud-npm");
  fs::write(
    &npm,
    "#!/bin/sh\nexec head -c 1073741824 /dev/zero\n", // 1 GiB
  )
  .unwrap();
  fs::set_permissions(&npm, fs::Permissions::from_mode(0o755)).unwrap();
  let mut command = clean(npmx, dir);
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
