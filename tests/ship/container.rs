//! The Dev Container Feature in a real container: `devcontainer/test/container.sh`
//! (Podman, a Debian base image built here from Debian packages, the Dev
//! Containers CLI's `devcontainer up` and `exec`), with the binary
//! dist/build.sh built.
//!
//! Part of the README's test command, because a container engine can run
//! here: the first run installs Podman, runc and debootstrap system-wide and
//! builds a 460 MB image (about five minutes on this 2-core machine; about
//! 20 s once the image exists). It needs root, and says so and skips without
//! it; `NPMX_CONTAINER_TESTS=0` skips it on purpose (saying so), for quick
//! local runs.

use crate::{dist, ok, repo};

#[test]
fn the_feature_in_a_real_container() {
  if std::env::var("NPMX_CONTAINER_TESTS").is_ok_and(|v| v == "0") {
    eprintln!(
      "skipped: NPMX_CONTAINER_TESTS=0 (the Dev Container Feature is not run in a container)"
    );
    return;
  }
  // SAFETY: geteuid has no preconditions.
  if unsafe { libc::geteuid() } != 0 {
    eprintln!("skipped: installing and running Podman here needs root");
    return;
  }
  let work = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("container");
  let out = std::process::Command::new(repo().join("devcontainer/test/container.sh"))
    .arg(&dist().binary)
    .arg(&work)
    .output()
    .unwrap();
  let log = String::from_utf8_lossy(&out.stderr).into_owned();
  eprintln!("{log}");
  ok(out);
  for check in [
    "ok: sh -c: npm is /usr/local/share/npmx/lib/npmx/shims/npm",
    "ok: bash -lc: npm is",
    "ok: bash -c: npm is",
    "ok: the postCreateCommand's npm went through npmx",
    "ok: a failing npm is diagnosed by npmx",
  ] {
    assert!(log.contains(check), "{check}:\n{log}");
  }
}
