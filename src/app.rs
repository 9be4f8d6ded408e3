//! The whole run, start to exit.

use std::{ffi::OsString, io::Write, panic::AssertUnwindSafe, path::PathBuf};

use crate::{
  Env, Error, Mode, child,
  config::Config,
  depth::Depth,
  doctor, exit_status, explain,
  live::{Live, SharedConfig},
  locate, logs_dir, mode, offline,
  options::{self, Action},
  setup,
};

/// The run, from the arguments npmx was started with (argv\[0\] first).
pub fn main(args: Vec<OsString>) -> ! {
  guard_standard_descriptors();
  quiet_panics();
  let env = Env::current();
  let mut args = args.into_iter();
  let arg0 = args.next();
  let mode = Mode::detect(arg0.as_deref(), env.get_os(mode::ARG0_VAR));
  let args: Vec<OsString> = args.collect();

  if is_true(env.get("NPMX_DISABLE")) {
    fail(disabled(mode, &args, &env));
  }

  let action = options::parse(args);
  if !matches!(action, Ok(Action::Run(_))) {
    // npmx's own output only: a closed pipe is an error, not a death.
    child::ignore_sigpipe();
  }
  let code = match action {
    Ok(Action::Run(args)) => {
      // If npmx's own preparation panics, npm must still run: fall back to
      // plain exec. (After npm has started, npmx's work is on the log thread,
      // where a panic only loses the diagnosis.)
      let prepared = std::panic::catch_unwind(AssertUnwindSafe(|| prepare(mode, &args, &env)));
      match prepared {
        Ok(Ok(run)) => match run() {
          Ok(status) => exit_status::exit_like(status),
          Err(error) => fail(error),
        },
        Ok(Err(error)) => fail(error),
        Err(_) => fail(disabled(mode, &args, &env)),
      }
    }
    Ok(Action::Help) => print(options::HELP),
    Ok(Action::Version) => print(&format!("npmx {}\n", env!("CARGO_PKG_VERSION"))),
    Ok(Action::Diagnose(file)) => match offline::diagnose_input(file.as_deref(), &env) {
      Ok(code) => code,
      Err(error) => fail(error),
    },
    Ok(Action::Explain(topic)) => explain::explain(&topic),
    Ok(Action::Doctor) => doctor::run(mode, &env, arg0.as_deref()),
    Ok(Action::Setup(setup_args)) => match setup::run(&setup_args, arg0.as_deref(), &env) {
      Ok(code) => code,
      Err(error) => fail(error),
    },
    Err(error) => fail(error),
  };
  std::process::exit(code)
}

/// Everything before npm starts: find it, set up the diagnosis. Returns the
/// run itself.
fn prepare(
  mode: Mode,
  args: &[OsString],
  env: &Env,
) -> Result<impl FnOnce() -> Result<std::process::ExitStatus, Error>, Error> {
  let depth = Depth::from_env(env).check()?;
  let npm = locate::locate(mode, env)?;
  let config = SharedConfig::default();
  let observer = Box::new(Live::new(
    program_name(mode),
    env,
    npm.path.clone(),
    config.clone(),
  ));
  let (log_env, log_args, npm_path) = (env.clone(), args.to_vec(), npm.path.clone());
  let log_dirs = move || -> Vec<PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let loaded = Config::load(&log_args, &log_env, &cwd, Some(&npm_path));
    let dirs = logs_dir::candidates(&loaded);
    // Read once: the diagnosis uses the same configuration.
    if let Ok(mut shared) = config.lock() {
      *shared = Some(loaded);
    }
    dirs
  };
  let args = args.to_vec();
  Ok(move || child::run(&npm.path, &args, depth, log_dirs, observer))
}

/// What the person typed, for printing their command back to them.
fn program_name(mode: Mode) -> &'static str {
  match mode {
    Mode::Npm => "npm",
    Mode::Npx => "npx",
    Mode::Npmx => "npmx",
  }
}

/// npm in npmx's place (`NPMX_DISABLE=1`, or npmx broke before npm
/// started): exec, and nothing else — not even the nesting counter, so a
/// wrapper that calls npmx again loops in place here (see docs/design.md).
fn disabled(mode: Mode, args: &[OsString], env: &Env) -> Error {
  match locate::locate(mode, env) {
    Ok(npm) => child::exec(&npm.path, args),
    Err(error) => error,
  }
}

fn is_true(value: Option<&str>) -> bool {
  matches!(value.map(str::trim), Some(v) if !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// npmx's own output (help, version) to stdout; a closed pipe is not an error.
fn print(text: &str) -> i32 {
  let _ = std::io::stdout().lock().write_all(text.as_bytes());
  0
}

fn fail(error: Error) -> ! {
  child::ignore_sigpipe();
  // The error may quote a path or a value from outside: it leaves through
  // the redactor like everything else.
  let message = crate::redact::Redactor::default().clean(&format!("npmx: {error}\n"));
  crate::output::stderr(&message);
  std::process::exit(error.exit_code())
}

/// A standard descriptor npmx was started without stays closed for npm (npm
/// must see what it would have seen), but npmx must not reuse its number for
/// its own files: the signal pipe on fd 2 would take npmx's diagnosis for
/// signals. So a closed 0, 1 or 2 gets /dev/null, close-on-exec: open in
/// npmx, closed again in npm. One poll(2) when all three are open.
fn guard_standard_descriptors() {
  let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
    fd,
    events: 0,
    revents: 0,
  });
  // SAFETY: poll on a valid array of three pollfds, no waiting.
  if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } < 0 {
    return;
  }
  for pollfd in fds {
    if pollfd.revents & libc::POLLNVAL != 0 {
      // SAFETY: open(2) with a literal path; the lowest free descriptor is
      // the closed one being filled.
      unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    }
  }
}

/// A panic in npmx's own work (reading logs, diagnosing) happens on a thread
/// where it only loses the diagnosis; it must not print anything into npm's
/// output either. `NPMX_DEBUG=1` shows it, as one `npmx:` line.
fn quiet_panics() {
  let show = std::env::var_os("NPMX_DEBUG").is_some_and(|v| !v.is_empty() && v != "0");
  std::panic::set_hook(Box::new(move |info| {
    if show {
      let _ = writeln!(
        std::io::stderr().lock(),
        "npmx: internal error (npm's result stands): {info}"
      );
    }
  }));
}
