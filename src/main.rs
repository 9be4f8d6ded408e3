//! npmx's entry point: C's `main`, not std's.
//!
//! std's start-up does work npm must not see and npmx does not need before
//! npm runs: it ignores SIGPIPE (std's `Command` then resets it to the
//! default in the child, so npm would lose an "ignored" its caller gave it),
//! opens /dev/null over closed standard descriptors (which npm would then
//! inherit as open), and reads /proc/self/maps for a stack guard. npmx does
//! each of those itself, at the point it is right (`app::main`,
//! `child::run`). See docs/design.md, "Start-up".
// Under `cargo test` the test harness brings its own `main`.
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
use std::{
  ffi::{CStr, OsString},
  os::unix::ffi::OsStringExt,
};

#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
  let args = (0..usize::try_from(argc).unwrap_or(0))
    .map(|i| {
      // SAFETY: the C runtime passes argc valid, NUL-terminated strings.
      let arg = unsafe { CStr::from_ptr(*argv.add(i)) };
      OsString::from_vec(arg.to_bytes().to_vec())
    })
    .collect();
  npmx::main(args)
}
