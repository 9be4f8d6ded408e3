//! End to end: `npmx <npm command>` with this machine's real npm, against real
//! servers on 127.0.0.1.
//!
//! The servers (Verdaccio, squid, and small Python servers for TLS, timeouts,
//! resets, 429/503, OTP, HTML, a scripted registry and GitHub Actions' ID-token
//! service) are started once per test binary by
//! `tests/e2e/servers.py`, which stops them when this process ends (it watches
//! its stdin, a pipe this process holds until it exits). What they need is
//! installed by `tests/e2e/provision.sh`.
//!
//! Every scenario is a fixture under `tests/fixtures/npm11/<name>/`, recorded
//! from npm itself by `tests/e2e/capture.py`: its `meta.json` says how npm was
//! run (argv, env, the files it had), and `stdout`/`stderr` are what npm wrote.
//! Each test re-creates that run under npmx (cleaned environment, own HOME,
//! cache, userconfig, empty globalconfig) and checks that:
//!   * npmx exits as npm did;
//!   * stdout is byte-for-byte npm's (after normalisation);
//!   * npm's stderr comes first and unchanged; npmx may only add after it;
//!   * the `NPMX_REPORT` JSON names the cause in `meta.expect.id` first (then
//!     `meta.expect.also`), and npmx's text after npm's shows it; when it is
//!     null, npmx says nothing;
//!   * npmx's text has no control characters and nothing token-shaped.
//!
//! Fixtures in `KNOWN_GAPS` get the npm checks only; the rest is announced.
//!
//! Normalisation is the one in capture.py (see its docstring); keep them equal.

use std::{
  collections::BTreeMap,
  fs,
  io::{BufRead, BufReader, Read, Write},
  os::unix::process::CommandExt,
  path::{Path, PathBuf},
  process::{Child, ChildStdin, Command, Stdio},
  sync::{Mutex, OnceLock},
  time::{Duration, Instant},
};

use regex::Regex;
use serde_json::Value;

mod live;
mod normalise;
mod run;
mod scenarios;
mod servers;
mod wraps;

use {normalise::*, run::*, servers::*, wraps::*};

const NPMX: &str = env!("CARGO_BIN_EXE_npmx");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const PLACEHOLDER_TMP: &str = "/tmp/npmx-e2e";
const PROVISION: &str = "run tests/e2e/provision.sh (as root) to install them";
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
