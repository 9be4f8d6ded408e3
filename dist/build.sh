#!/bin/sh
# dist/build.sh OUTDIR: npmx's release artefacts for the host target.
#
#   OUTDIR/npmx-VERSION-TARGET.tar.gz          bin/npmx, lib/npmx/shims/{npm,npx}
#                                              (-> ../../../bin/npmx), install.sh,
#                                              README.md, LICENSE-MIT, LICENSE-APACHE
#   OUTDIR/npmx-VERSION-TARGET.tar.gz.sha256   `sha256sum` format
#   OUTDIR/npm/npmx-cli-npmx-PLATFORM-VERSION.tgz
#                                              the platform package: `bin` is the
#                                              native binary itself (os, cpu, libc)
#   OUTDIR/npm/npmx-cli-npmx-VERSION.tgz       the main package, @npmx-cli/npmx:
#                                              the platform packages as optional
#                                              dependencies, and a POSIX sh `npmx`
#                                              that execs the installed one
#
# On x86_64 and aarch64 Linux with glibc the binary is static and non-PIE, built
# exactly as install.sh builds it (docs/design.md §10 says why and what it
# costs); elsewhere cargo's usual release build. Only the host target is built:
# the release workflow (.github/workflows/release.yml) runs this on each
# target's runner.
#
# Environment: NPMX_DIST_BINARY=PATH packages this binary instead of building
# (for tests; it must be a build of this source tree). NPMX_NPM_PLATFORMS lists
# the platform packages the main package depends on (default: every platform
# a release has, see `platforms` below).

set -eu

me=dist/build.sh
die() {
  printf '%s: %s\n' "$me" "$*" >&2
  exit 1
}
say() {
  printf '%s: %s\n' "$me" "$*" >&2
}

[ $# -eq 1 ] || die "usage: dist/build.sh OUTDIR"
out=$1
src=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
mkdir -p "$out"
out=$(CDPATH='' cd -- "$out" && pwd)

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$src/Cargo.toml" | head -n 1)
[ -n "$version" ] || die "no version in $src/Cargo.toml"
host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
[ -n "$host" ] || die "rustc not found: install Rust (https://rustup.rs)"
scope=@npmx-cli

# The npm platform of a Rust target: "PLATFORM OS CPU LIBC".
npm_platform() {
  case $1 in
    x86_64-unknown-linux-gnu) echo "linux-x64-gnu linux x64 glibc" ;;
    aarch64-unknown-linux-gnu) echo "linux-arm64-gnu linux arm64 glibc" ;;
    x86_64-unknown-linux-musl) echo "linux-x64-musl linux x64 musl" ;;
    aarch64-unknown-linux-musl) echo "linux-arm64-musl linux arm64 musl" ;;
    x86_64-apple-darwin) echo "darwin-x64 darwin x64 -" ;;
    aarch64-apple-darwin) echo "darwin-arm64 darwin arm64 -" ;;
    *) return 1 ;;
  esac
}
platforms=${NPMX_NPM_PLATFORMS:-"linux-x64-gnu linux-arm64-gnu darwin-x64 darwin-arm64"}

# ---------------------------------------------------------------- the binary
if [ -n "${NPMX_DIST_BINARY:-}" ]; then
  binary=$NPMX_DIST_BINARY
  say "packaging $binary (not building)"
else
  target_dir=${CARGO_TARGET_DIR:-$src/target}
  case $target_dir in /*) ;; *) target_dir=$src/$target_dir ;; esac
  case $host in
    x86_64-unknown-linux-gnu | aarch64-unknown-linux-gnu)
      say "building npmx $version for $host (static, non-PIE)"
      (cd "$src" && RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
        cargo build --release --locked --target "$host") || die "cargo build failed"
      ;;
    *)
      say "building npmx $version for $host"
      (cd "$src" && cargo build --release --locked --target "$host") || die "cargo build failed"
      ;;
  esac
  binary=$target_dir/$host/release/npmx
fi
[ -x "$binary" ] || die "no binary at $binary"
got=$(unset NPMX_DISABLE NPMX_ARG0 && "$binary" --npmx-version) || die "$binary does not run"
[ "$got" = "npmx $version" ] || die "$binary says '$got', not 'npmx $version'"

work=$(mktemp -d "${TMPDIR:-/tmp}/npmx-dist.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Reproducible archives: sorted names, no owners, one timestamp (the last
# commit's when there is one).
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || echo 0)}
tar_gz() { # tar_gz DIR NAME OUTFILE
  if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf - "$2"
  else
    tar -C "$1" -cf - "$2"
  fi | gzip -9n >"$3"
}

# ---------------------------------------------------------------- the tarball
name=npmx-$version-$host
stage=$work/$name
mkdir -p "$stage/bin" "$stage/lib/npmx/shims"
cp "$binary" "$stage/bin/npmx"
chmod 755 "$stage/bin/npmx"
ln -s ../../../bin/npmx "$stage/lib/npmx/shims/npm"
ln -s ../../../bin/npmx "$stage/lib/npmx/shims/npx"
for f in install.sh README.md LICENSE-MIT LICENSE-APACHE; do
  cp "$src/$f" "$stage/$f"
done
chmod 755 "$stage/install.sh"
tar_gz "$work" "$name" "$out/$name.tar.gz"
if command -v sha256sum >/dev/null 2>&1; then
  (cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
else
  (cd "$out" && shasum -a 256 "$name.tar.gz" >"$name.tar.gz.sha256")
fi
say "wrote $out/$name.tar.gz ($(wc -c <"$out/$name.tar.gz") bytes) and its .sha256"

# ---------------------------------------------------------------- npm packages
command -v npm >/dev/null 2>&1 || die "npm not found: the npm packages are made with \`npm pack\`"
mkdir -p "$out/npm"
pack() { # pack DIR: npm pack into OUTDIR/npm, quietly, with no config of the machine's
  (cd "$1" && env -i PATH="$PATH" HOME="$work/home" npm pack --pack-destination "$out/npm" \
    --userconfig="$work/npmrc" --globalconfig="$work/global-npmrc" --cache="$work/cache" \
    --loglevel=warn --update-notifier=false >/dev/null) || die "npm pack failed in $1"
}
: >"$work/npmrc"
: >"$work/global-npmrc"
mkdir -p "$work/home"

license='"license": "MIT OR Apache-2.0"'
repository='"repository": {"type": "git", "url": "git+https://github.com/npmx-cli/npmx.git"}'

# shellcheck disable=SC2046 # four words on purpose
if set -- $(npm_platform "$host"); then
  platform=$1 os=$2 cpu=$3 libc=$4
  pdir=$work/npm-$platform
  mkdir -p "$pdir"
  cp "$binary" "$pdir/npmx"
  chmod 755 "$pdir/npmx"
  cp "$src/LICENSE-MIT" "$src/LICENSE-APACHE" "$pdir/"
  libc_field=
  [ "$libc" = - ] || libc_field="\"libc\": [\"$libc\"],"
  cat >"$pdir/package.json" <<EOF
{
  "name": "$scope/npmx-$platform",
  "version": "$version",
  "description": "npmx for $os $cpu${libc_field:+ ($libc)}: the native binary of $scope/npmx. Install $scope/npmx instead.",
  $license,
  $repository,
  "os": ["$os"],
  "cpu": ["$cpu"],
  $libc_field
  "bin": {"npmx": "npmx"},
  "files": ["npmx", "LICENSE-MIT", "LICENSE-APACHE"],
  "preferUnplugged": true
}
EOF
  cat >"$pdir/README.md" <<EOF
# $scope/npmx-$platform

The npmx binary for $os $cpu${libc_field:+ ($libc)}. Install [\`$scope/npmx\`](https://www.npmjs.com/package/$scope/npmx),
which depends on this package for this platform.
EOF
  pack "$pdir"
  say "wrote $out/npm/npmx-cli-npmx-$platform-$version.tgz"
else
  say "no npm platform package for $host"
fi

mdir=$work/npm-main
mkdir -p "$mdir/bin"
deps=
for p in $platforms; do
  deps="$deps${deps:+,
    }\"$scope/npmx-$p\": \"$version\""
done
cat >"$mdir/package.json" <<EOF
{
  "name": "$scope/npmx",
  "version": "$version",
  "description": "Runs the real npm unchanged and, when it fails, says what went wrong and what to type next. Run \`npmx --npmx-setup\` after installing.",
  $license,
  $repository,
  "keywords": ["npm", "errors", "diagnostics", "ci", "cli"],
  "bin": {"npmx": "bin/npmx"},
  "files": ["bin/npmx", "README.md", "LICENSE-MIT", "LICENSE-APACHE"],
  "os": ["linux", "darwin"],
  "optionalDependencies": {
    $deps
  }
}
EOF
# The launcher: POSIX sh, no Node.js. Only a typed `npmx` comes through here;
# `npm` and `npx` reach the native binary directly, through the shims
# `npmx --npmx-setup` links to it.
cat >"$mdir/bin/npmx" <<'EOF'
#!/bin/sh
# npmx (the @npmx-cli/npmx npm package): runs the native npmx that npm
# installed with this package for this platform. No Node.js. `npm` and `npx`
# do not come through here: `npmx --npmx-setup` links its shims to the native
# binary itself.
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=${self%/*}/$link ;;
  esac
done
pkg=$(CDPATH='' cd -- "${self%/*}/.." && pwd -P)
for bin in "$pkg"/node_modules/@npmx-cli/npmx-*/npmx "$pkg"/../npmx-*/npmx; do
  if [ -f "$bin" ] && [ -x "$bin" ]; then exec "$bin" "$@"; fi
done
echo "npmx: no npmx binary for this platform ($(uname -s) $(uname -m)) came with @npmx-cli/npmx: was it installed with --omit=optional? Reinstall without it." >&2
exit 127
EOF
chmod 755 "$mdir/bin/npmx"
cp "$src/README.md" "$src/LICENSE-MIT" "$src/LICENSE-APACHE" "$mdir/"
pack "$mdir"
say "wrote $out/npm/npmx-cli-npmx-$version.tgz"
