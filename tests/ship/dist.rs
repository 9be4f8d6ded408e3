//! The release tarball, and install.sh installing from it without cargo.

use std::{fs, path::Path, process::Command};

use crate::{Machine, VERSION, dist, host, node_path, ok, text, tree};

/// (ELF type, has a PT_INTERP): a static non-PIE executable is ET_EXEC (2)
/// without an interpreter.
fn elf_kind(path: &Path) -> (u16, bool) {
  let b = fs::read(path).unwrap();
  assert_eq!(&b[..4], b"\x7fELF", "{} is not ELF", path.display());
  assert_eq!(b[4], 2, "64-bit");
  let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
  let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
  let (phoff, phentsize, phnum) = (u64_at(32) as usize, u16_at(54) as usize, u16_at(56));
  let interp = (0..phnum as usize).any(|i| {
    let o = phoff + i * phentsize;
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) == 3
  });
  (u16_at(16), interp)
}

#[test]
fn the_tarball_holds_a_static_binary_its_shims_install_sh_readme_and_licences() {
  let d = dist();
  let name = format!("npmx-{VERSION}-{}", host());
  let listing = ok(
    Command::new("tar")
      .arg("-tvzf")
      .arg(&d.tarball)
      .output()
      .unwrap(),
  );
  for entry in [
    "bin/npmx",
    "lib/npmx/shims/npm -> ../../../bin/npmx",
    "lib/npmx/shims/npx -> ../../../bin/npmx",
    "install.sh",
    "README.md",
    "LICENSE-MIT",
    "LICENSE-APACHE",
  ] {
    assert!(
      listing.contains(&format!("{name}/{entry}")),
      "{entry} missing:\n{listing}"
    );
  }
  // The checksum file is sha256sum's, and right.
  let sums = fs::read_to_string(d.dir.join(format!("{name}.tar.gz.sha256"))).unwrap();
  assert!(sums.ends_with(&format!("  {name}.tar.gz\n")), "{sums}");
  let check = Command::new("sha256sum")
    .arg("-c")
    .arg(format!("{name}.tar.gz.sha256"))
    .current_dir(&d.dir)
    .output()
    .unwrap();
  assert!(check.status.success(), "{}", text(&check.stdout));

  // Unpacked, it is a prefix that works as it is.
  let m = Machine::new();
  ok(
    Command::new("tar")
      .arg("-xzf")
      .arg(&d.tarball)
      .current_dir(m.path("scratch"))
      .output()
      .unwrap(),
  );
  let root = m.path("scratch").join(&name);
  assert_eq!(
    fs::read(root.join("bin/npmx")).unwrap(),
    fs::read(&d.binary).unwrap()
  );
  if host().ends_with("-linux-gnu") {
    // Static and non-PIE, as install.sh builds it (design §10).
    assert_eq!(elf_kind(&root.join("bin/npmx")), (2, false));
  }
  let version = ok(
    m.command(root.join("lib/npmx/shims/npm"), "/usr/bin:/bin")
      .arg("--npmx-version")
      .output()
      .unwrap(),
  );
  assert_eq!(version, format!("npmx {VERSION}\n"));
}

#[test]
fn install_sh_installs_the_tarball_without_cargo_and_uninstalls_to_nothing() {
  let d = dist();
  let m = Machine::new();
  fs::write(m.home().join(".bashrc"), "# mine\n").unwrap();
  let before = tree(&m.home());
  // A `cargo` first on PATH that only records being called: nothing is built.
  let stub = m.path("scratch/stub");
  fs::create_dir_all(&stub).unwrap();
  let called = m.path("scratch/cargo-was-called");
  let cargo = stub.join("cargo");
  fs::write(
    &cargo,
    format!("#!/bin/sh\ntouch '{}'\nexit 127\n", called.display()),
  )
  .unwrap();
  fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
  let path = format!("{}:/usr/bin:/bin", stub.display());
  let path = path.as_str();
  let out = ok(
    m.command(crate::repo().join("install.sh"), path)
      .arg("--binary")
      .arg(&d.tarball)
      .output()
      .unwrap(),
  );
  assert!(!called.exists(), "install.sh ran cargo");
  assert!(out.contains("sha256 matches"), "{out}");
  assert!(out.contains("--npmx-setup"), "{out}");
  assert!(out.contains("npmx --npmx-help"), "{out}");
  assert_eq!(
    fs::read(m.home().join(".local/bin/npmx")).unwrap(),
    fs::read(&d.binary).unwrap()
  );
  // A new login shell and a new interactive one run npm through npmx,
  // which runs the real npm.
  let shim = m.home().join(".local/lib/npmx/shims/npm");
  for args in [&["-lc"][..], &["-ic"][..]] {
    let out = m.bash(&node_path(), args, "command -v npm; npm --npmx-version");
    assert_eq!(
      out,
      format!("{}\nnpmx {VERSION}\n", shim.display()),
      "bash {args:?}"
    );
  }

  ok(
    m.command(crate::repo().join("install.sh"), path)
      .arg("--uninstall")
      .output()
      .unwrap(),
  );
  assert_eq!(tree(&m.home()), before);
}

#[test]
fn install_sh_from_the_unpacked_tarball_and_a_bad_checksum_is_refused() {
  let d = dist();
  let m = Machine::new();
  let name = format!("npmx-{VERSION}-{}", host());
  ok(
    Command::new("tar")
      .arg("-xzf")
      .arg(&d.tarball)
      .current_dir(m.path("scratch"))
      .output()
      .unwrap(),
  );
  let out = ok(
    m.command(
      m.path("scratch").join(&name).join("install.sh"),
      "/usr/bin:/bin",
    )
    .args(["--no-setup", "--prefix"])
    .arg(m.path("prefix"))
    .output()
    .unwrap(),
  );
  assert!(out.contains("npm does not run through npmx yet"), "{out}");
  assert_eq!(
    fs::read(m.path("prefix/bin/npmx")).unwrap(),
    fs::read(&d.binary).unwrap()
  );

  // A tarball that does not match its .sha256 is not installed.
  let bad = m.path("scratch/bad.tar.gz");
  fs::copy(&d.tarball, &bad).unwrap();
  fs::write(
    m.path("scratch/bad.tar.gz.sha256"),
    format!("{}  bad.tar.gz\n", "0".repeat(64)),
  )
  .unwrap();
  let out = m
    .command(crate::repo().join("install.sh"), "/usr/bin:/bin")
    .arg("--binary")
    .arg(&bad)
    .args(["--prefix"])
    .arg(m.path("prefix2"))
    .output()
    .unwrap();
  assert!(!out.status.success());
  assert!(
    text(&out.stderr).contains("does not match"),
    "{}",
    text(&out.stderr)
  );
  assert!(!m.path("prefix2").exists());
}

#[test]
fn cargo_toml_carries_what_crates_io_asks_for() {
  let toml = fs::read_to_string(crate::repo().join("Cargo.toml")).unwrap();
  for key in [
    "description = ",
    "license = \"MIT OR Apache-2.0\"",
    "repository = ",
    "readme = ",
    "keywords = ",
    "categories = ",
    "rust-version = ",
  ] {
    assert!(toml.contains(key), "Cargo.toml has no {key}");
  }
  for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
    assert!(crate::repo().join(licence).is_file(), "{licence} missing");
  }
}
