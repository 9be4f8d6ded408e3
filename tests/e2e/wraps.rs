//! Runs that need more than files: another npm release, a low open-file
//! limit, a folder left by an interrupted install, a chroot whose cwd is `/`.
//! Keep equal to capture.py (other_npm, retired_path, FILESYSTEM_ROOT).

use super::*;

/// npm run in a chroot whose / is an overlay of this machine's / (writes go
/// to a tmpfs), so that its cwd can be / itself: `$0` the overlay's folder,
/// then the folders to bind at the same paths inside, `--`, the command.
const FILESYSTEM_ROOT: &str = r#"o="$0"
mount -t tmpfs tmpfs "$o" && mkdir "$o/upper" "$o/work" "$o/root" &&
mount -t overlay overlay -o lowerdir=/,upperdir="$o/upper",workdir="$o/work" "$o/root" &&
mount --bind /dev "$o/root/dev" && mount -t proc proc "$o/root/proc" || exit 125
while [ "$1" != -- ]; do mkdir -p "$o/root$1" && mount --bind "$1" "$o/root$1" || exit 125; shift; done
shift
exec /usr/sbin/chroot "$o/root" /bin/sh -c 'cd / && exec "$@"' sh "$@"
"#;

/// The npm release a fixture was recorded with, when it is not this
/// machine's: installed once into tests/e2e/.work/npm-<version> (as
/// capture.py does), its bin/npm for `NPMX_NPM`.
pub(crate) fn other_npm(meta: &Value) -> Option<PathBuf> {
  static INSTALL: Mutex<()> = Mutex::new(());
  let version = meta["npm"].as_str()?;
  let system = fixture_meta("verdaccio-install-not-found");
  if system["npm"].as_str() == Some(version) {
    return None;
  }
  let dir = Path::new(ROOT).join(format!("tests/e2e/.work/npm-{version}"));
  let npm = dir.join("node_modules/.bin/npm");
  let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
  if !npm.exists() {
    let out = Command::new("npm")
      .args(["install", "--prefix"])
      .arg(&dir)
      .args([&format!("npm@{version}"), "--no-audit", "--no-fund"])
      .output()
      .unwrap_or_else(|e| panic!("cannot run npm to install npm@{version}: {e}"));
    assert!(
      out.status.success() && npm.exists(),
      "e2e: could not install npm@{version} into {}:\n{}",
      dir.display(),
      String::from_utf8_lossy(&out.stderr)
    );
  }
  Some(npm)
}

/// Where npm moves `path` aside before replacing it: arborist's own
/// retire-path.js (a hash of the path, so the same name every time).
fn retired_path(npm: &Path, path: &Path) -> PathBuf {
  let npm = fs::canonicalize(npm).unwrap();
  let root = npm.parent().and_then(Path::parent).unwrap();
  let js = "console.log(require(process.argv[1] + '/node_modules/@npmcli/arborist/lib/retire-path.js')(process.argv[2]))";
  let out = Command::new("node")
    .args(["-e", js])
    .arg(root)
    .arg(path)
    .output()
    .expect("node");
  assert!(
    out.status.success(),
    "{}",
    String::from_utf8_lossy(&out.stderr)
  );
  PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// Lays out what the wrap needs before the run; returns the live names
/// that stand for the fixture's (replaced before anything is normalised).
pub(crate) fn prepare_wrap(meta: &Value, root: &Path) -> Vec<(String, String)> {
  if meta["wrap"].as_str() != Some("leftover-retired-dir") {
    return vec![];
  }
  // What an interrupted install leaves: the package's retired copy, not empty.
  let leftover = meta["leftover"].as_str().expect("meta.leftover");
  let npm = other_npm(meta).unwrap_or_else(|| which::which("npm").expect("npm on PATH"));
  let retired = retired_path(&npm, &root.join("project").join(leftover));
  fs::create_dir_all(&retired).unwrap();
  let name = Path::new(leftover).file_name().unwrap().to_string_lossy();
  fs::write(
    retired.join("package.json"),
    format!("{{\"name\": \"{name}\", \"version\": \"1.0.0\"}}\n"),
  )
  .unwrap();
  let fixed = retired_path(
    &npm,
    &Path::new(PLACEHOLDER_TMP).join("project").join(leftover),
  );
  let base = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
  vec![(base(&retired), base(&fixed))]
}

/// The command for the wraps of this file; `None` for the others.
pub(crate) fn wrapped(p: &Prepared, meta: &Value) -> Option<Command> {
  let c = match meta["wrap"].as_str()? {
    "leftover-retired-dir" => Command::new(NPMX),
    "ulimit" => {
      let limit = meta["ulimit"].as_u64().expect("meta.ulimit");
      let mut c = Command::new("sh");
      c.args([
        "-c",
        &format!("ulimit -n {limit} && exec \"$@\""),
        "sh",
        NPMX,
      ]);
      c
    }
    "filesystem-root" => {
      let overlay = Path::new(&p.map.tmp).join("rootfs");
      fs::create_dir_all(&overlay).unwrap();
      let bin_dir = Path::new(NPMX).parent().unwrap();
      let mut c = Command::new("unshare");
      c.args(["-m", "sh", "-c", FILESYSTEM_ROOT])
        .arg(&overlay)
        .arg(&p.map.tmp)
        .arg(bin_dir)
        .arg("--")
        .arg(NPMX);
      c
    }
    _ => return None,
  };
  Some(c)
}
