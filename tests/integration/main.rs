//! npmx tested from the outside, in one test binary with one harness.
//!
//! Every test here runs the built npmx through [`harness::Test`], a builder
//! that reads like the scenario it checks:
//!
//! ```ignore
//! let run = Test::new().args(["report", "exit=3"]).stdout(Io::Tty).run();
//! assert_eq!(run.code(), Some(3));
//! ```
//!
//! Each test gets its own directory, a clean environment (HOME and PATH
//! only, plus what the test adds) and an npm of its choosing: the fake npm
//! (`fake-npm.js`, a Node.js script like npm itself, the default), a scripted
//! one that writes its debug log over time (`scripted_npm`), a recorded real
//! npm run played back (`replay_npm`), or the real npm (`real_npm`). Files
//! group the tests by what they protect:
//!
//! - npm cannot tell it is wrapped: `bytes`, `exit`, `signals`, `terminal`,
//!   `locate`, `real_npm`, `faults`;
//! - the diagnosis and its advice: `context` (real npm 11 runs replayed in
//!   changed situations), `corpus` (saved real failures, offline), `notices`;
//! - npmx's own surfaces: `cli`, `doctor`, `setup` (every shell runs npm
//!   through npmx after `--npmx-setup`);
//! - nothing leaks, nothing acts: `secrets`.
//!
//! The end-to-end suite against real servers (`tests/e2e/`), the npm
//! version sample (`tests/npm_versions.rs`), the install scripts
//! (`tests/dropin/`) and the differential tests against npm's own code
//! (`tests/npm_flags.rs`, `tests/npmrc_differential.rs`) are binaries of
//! their own.
//!
//! No test measures time; timeouts only keep a broken run from hanging the
//! suite. Speed is `benches/overhead.rs`.

mod harness;

mod bytes;
mod cli;
mod context;
mod corpus;
mod doctor;
mod exit;
mod faults;
mod layout;
mod locate;
mod notices;
mod real_npm;
mod secrets;
mod setup;
mod signals;
mod terminal;
