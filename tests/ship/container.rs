//! The Dev Container Feature in a real container: `devcontainer/test/container.sh`
//! (Podman, a Debian base image built here from Debian packages, the Dev
//! Containers CLI's `devcontainer up` and `exec`), with the binary
//! dist/build.sh built.
//!
//! Opt-in (`cargo test --test ship -- --ignored`; cargo prints the reason
//! for every run that skips it): the first run installs Podman, runc and
//! debootstrap system-wide and builds a 460 MB image (about five minutes on
//! this 2-core machine; about 20 s once the image exists), and it needs root.

use crate::{dist, ok, repo};

#[test]
#[ignore = "opt-in (cargo test --test ship -- --ignored): installs Podman system-wide and builds a 460 MB Debian image, ~5 min the first time"]
fn the_feature_in_a_real_container() {
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
