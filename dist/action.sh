#!/usr/bin/env bash
# The GitHub Action's one step (action.yml runs it): installs the npmx release
# for this runner and puts npm and npx through it for every later step.
#
#   1. picks the release target from RUNNER_OS / RUNNER_ARCH;
#   2. fetches npmx-VERSION-TARGET.tar.gz (and its .sha256, which must match)
#      from the release, or from NPMX_URL (a URL or a local path; {version}
#      and {target} are filled in), into RUNNER_TEMP, and unpacks it there;
#   3. runs `npmx --npmx-setup --shell=none` (the shims, checked), then puts
#      the shims folder first on PATH through GITHUB_PATH (npmx's bin/ too,
#      after it), NPMX_ANNOTATIONS=0 into GITHUB_ENV when annotations are off,
#      the version and paths into GITHUB_OUTPUT, a line into the step summary.
#
# Inputs arrive as NPMX_VERSION (empty: this action's own version),
# NPMX_URL, NPMX_INPUT_ANNOTATIONS (true/false).
set -euo pipefail

say() { printf 'npmx action: %s\n' "$*"; }
die() {
  printf '::error title=npmx action::%s\n' "$*"
  exit 1
}

here=${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
: "${RUNNER_TEMP:?RUNNER_TEMP is not set: this script runs as a step of a GitHub Actions job}"
: "${GITHUB_PATH:?GITHUB_PATH is not set: this script runs as a step of a GitHub Actions job}"

version=${NPMX_VERSION:-}
version=${version#v}
if [[ -z $version ]]; then
  version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$here/Cargo.toml" | head -n 1)
  [[ -n $version ]] || die "no version input, and none in $here/Cargo.toml"
fi

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  *) die "no npmx release for ${RUNNER_OS:-?} ${RUNNER_ARCH:-?}: npmx runs on Linux and macOS (X64, ARM64)" ;;
esac

name=npmx-$version-$target
release_url='https://github.com/npmx-cli/npmx/releases/download/v{version}/npmx-{version}-{target}.tar.gz'
url=${NPMX_URL:-$release_url}
url=${url//\{version\}/$version}
url=${url//\{target\}/$target}

work=$RUNNER_TEMP/npmx-action
rm -rf "$work"
mkdir -p "$work"
tarball=$work/$name.tar.gz

fetch() { # fetch SOURCE DEST
  case $1 in
    http://* | https://*)
      curl -fsSL --retry 3 --retry-delay 2 -o "$2" "$1" ;;
    file://*) cp -- "${1#file://}" "$2" ;;
    *) cp -- "$1" "$2" ;;
  esac
}

say "npmx $version for $target from $url"
fetch "$url" "$tarball" || die "cannot fetch $url"
if fetch "$url.sha256" "$tarball.sha256" 2>/dev/null; then
  want=$(sed -n '1s/[[:space:]].*//p' "$tarball.sha256")
  if command -v sha256sum >/dev/null; then
    got=$(sha256sum <"$tarball" | cut -d' ' -f1)
  else
    got=$(shasum -a 256 <"$tarball" | cut -d' ' -f1)
  fi
  [[ $want == "$got" ]] || die "$url does not match its .sha256 (got $got, expected $want)"
  say "sha256 $got matches $url.sha256"
else
  case $url in
    http://* | https://*) die "cannot fetch $url.sha256: refusing to install a download without its checksum" ;;
    *) say "no $url.sha256 beside a local tarball: not checked" ;;
  esac
fi

mkdir -p "$work/unpacked"
tar -xzf "$tarball" -C "$work/unpacked" || die "cannot unpack $tarball"
prefix=
for dir in "$work"/unpacked/npmx-*/; do
  if [[ -x $dir/bin/npmx ]]; then prefix=${dir%/}; fi
done
[[ -n $prefix ]] || die "$tarball holds no npmx-*/bin/npmx: not an npmx release tarball"
npmx=$prefix/bin/npmx
got=$(env -u NPMX_DISABLE -u NPMX_ARG0 "$npmx" --npmx-version) || die "$npmx does not run on this runner"
[[ $got == "npmx $version" ]] || die "$npmx says '$got', not 'npmx $version'"

# The same setup every install ends with; no startup files on a runner.
env -u NPMX_DISABLE -u NPMX_ARG0 "$npmx" --npmx-setup --shell=none >"$work/setup.log" ||
  { cat "$work/setup.log"; die "npmx --npmx-setup failed"; }
shims=$prefix/lib/npmx/shims
[[ -e $shims/npm ]] || die "setup made no $shims/npm"

# Each GITHUB_PATH line goes in front of the PATH of later steps, the last
# one first: npmx's bin/, then the shims before it.
{
  echo "$prefix/bin"
  echo "$shims"
} >>"$GITHUB_PATH"

case ${NPMX_INPUT_ANNOTATIONS:-true} in
  true | '') ;;
  false)
    [[ -n ${GITHUB_ENV:-} ]] && echo "NPMX_ANNOTATIONS=0" >>"$GITHUB_ENV"
    say "annotations off: diagnoses stay in the log, without ::error lines or a step summary" ;;
  *) die "annotations must be true or false, not '${NPMX_INPUT_ANNOTATIONS}'" ;;
esac

if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  {
    echo "version=$version"
    echo "shims=$shims"
    echo "npmx=$npmx"
  } >>"$GITHUB_OUTPUT"
fi
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
  echo "npmx $version is in front of npm for the rest of this job (\`$shims\` first on PATH). \`npmx --npmx-help\` says more." >>"$GITHUB_STEP_SUMMARY"
fi
say "npm and npx run through npmx $version in the following steps ($shims first on PATH)"
