//! npmx's core, tested from the outside: the built binary runs a fake npm
//! (`fake-npm.js`, a Node.js script like npm itself) or, where it matters,
//! the real npm, and every test checks something npm or the caller could
//! notice. The one rule behind all of them: npm must not be able to tell that
//! npmx is there, and neither must whoever ran npmx.
//!
//! No test measures time; timeouts only keep a broken run from hanging the
//! suite. Speed is `benches/overhead.rs`.

mod harness;

mod bytes;
mod cli;
mod context;
mod doctor;
mod exit;
mod faults;
mod locate;
mod notices;
mod real_npm;
mod secrets;
mod signals;
mod terminal;
