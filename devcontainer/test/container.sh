#!/usr/bin/env bash
# devcontainer/test/container.sh NPMX_BINARY WORKDIR: the Dev Container Feature
# in a real container, the way the Dev Containers CLI runs it.
#
#   1. Podman (rootful, runc; no Docker daemon here), debootstrap and the
#      Dev Containers CLI (@devcontainers/cli, pinned) are installed if
#      missing; the base image localhost/npmx-test/bookworm-node is built once
#      from Debian packages (debootstrap + Node.js and npm from Debian, then
#      `podman import`): no image registry is needed.
#   2. A workspace whose devcontainer.json uses that image and the Feature
#      (a copy of devcontainer/src/npmx with NPMX_BINARY in it), with a
#      postCreateCommand that runs npm; `devcontainer up` builds and starts it.
#   3. Inside, through `devcontainer exec`: npm is the shim first on PATH for
#      sh -c, bash -c, bash -lc (login), bash -ic; the postCreateCommand's npm
#      went through npmx; a failing npm is diagnosed by npmx.
#   4. The container and the images the CLI built are removed (the base image
#      is kept for the next run).
#
# Prints "ok: ..." per check and exits non-zero at the first failure. Needs
# root (Podman rootful, apt-get). See /work/shared/research/containers.md for
# why each setting below is there.
set -euo pipefail

binary=${1:?usage: container.sh NPMX_BINARY WORKDIR}
work=${2:?usage: container.sh NPMX_BINARY WORKDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
feature_src=$here/../src/npmx
image=localhost/npmx-test/bookworm-node
cli_version=0.89.0

say() { printf 'container: %s\n' "$*" >&2; }
die() {
  say "FAILED: $*"
  exit 1
}
check() { # check WHAT: the previous command's verdict
  say "ok: $1"
}

[[ $(id -u) -eq 0 ]] || die "needs root (rootful Podman, apt-get)"
mkdir -p "$work"
work=$(cd "$work" && pwd)

# ------------------------------------------------------------- the engine
missing=()
for tool in podman runc debootstrap; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  say "installing ${missing[*]} (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends podman runc debootstrap >/dev/null ||
    { apt-get update -qq && apt-get install -y -q --no-install-recommends podman runc debootstrap >/dev/null; } ||
    die "apt-get install podman runc debootstrap failed"
fi
# This VM's root cannot raise rlimits past its hard ones, and crun cannot
# run under its hybrid cgroups: fixed ulimits and runc.
export CONTAINERS_CONF=$work/containers.conf
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
podman info >/dev/null 2>&1 || die "podman cannot run here: $(podman info 2>&1 | tail -3)"

# ------------------------------------------------------------- the base image
if ! podman image exists "$image"; then
  mirror=$(sed -n 's/^URIs: *//p; s/^deb \(http[^ ]*\) bookworm .*/\1/p' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | grep -m1 debian) ||
    mirror=http://deb.debian.org/debian
  rootfs=$work/rootfs
  say "building $image: debootstrap bookworm from $mirror, then nodejs and npm"
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    die "debootstrap failed: $(tail -5 "$work/debootstrap.log")"
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  mount -t proc proc "$rootfs/proc"
  trap 'umount "$rootfs/proc" 2>/dev/null || true' EXIT
  chroot "$rootfs" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm ca-certificates >/dev/null && apt-get clean' ||
    die "apt-get install nodejs npm in the root file system failed"
  umount "$rootfs/proc"
  trap - EXIT
  tar -C "$rootfs" -c . | podman import - "$image" >/dev/null || die "podman import failed"
  rm -rf "$rootfs"
fi
say "base image: $image ($(podman run --rm --network=none "$image" sh -c 'echo node $(node --version), npm $(npm --version)'))"

# ------------------------------------------------------------- the CLI
cli_dir=$work/devcontainers-cli
devcontainer=$cli_dir/node_modules/.bin/devcontainer
if [[ ! -x $devcontainer ]]; then
  say "installing @devcontainers/cli@$cli_version"
  mkdir -p "$cli_dir"
  : >"$cli_dir/npmrc"
  : >"$cli_dir/global-npmrc"
  registry=$(cd / && npm config get registry)
  cafile=$(cd / && npm config get cafile)
  extra=()
  [[ -n $cafile && $cafile != null && $cafile != undefined ]] && extra+=("--cafile=$cafile")
  (cd "$cli_dir" && env -i PATH="$PATH" HOME="$cli_dir" ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"} \
    npm install --no-save --no-audit --no-fund --loglevel=warn --registry="$registry" "${extra[@]}" \
    --userconfig="$cli_dir/npmrc" --globalconfig="$cli_dir/global-npmrc" --cache="$cli_dir/cache" \
    "@devcontainers/cli@$cli_version" >/dev/null) || die "npm install @devcontainers/cli failed"
fi

# ------------------------------------------------------------- the workspace
# Outside any git repository: the CLI mounts a workspace's repository root.
ws=$(mktemp -d "${TMPDIR:-/tmp}/npmx-devcontainer-ws.XXXXXX")
mkdir -p "$ws/.devcontainer"
cp -R "$feature_src" "$ws/.devcontainer/npmx"
cp "$binary" "$ws/.devcontainer/npmx/npmx"
# `installsAfter` names the node Feature on ghcr.io, which the CLI resolves
# over the network even when it is not used; no registry is reachable here
# and the base image carries Node.js, so this copy drops it.
node -e '
  const f = process.argv[1], fs = require("fs");
  const j = JSON.parse(fs.readFileSync(f, "utf8"));
  delete j.installsAfter;
  fs.writeFileSync(f, JSON.stringify(j, null, 2));
' "$ws/.devcontainer/npmx/devcontainer-feature.json"
cat >"$ws/.devcontainer/devcontainer.json" <<EOF
{
  "image": "$image",
  "features": { "./npmx": {} },
  "postCreateCommand": "npm --npmx-version > post-create.txt; command -v npm >> post-create.txt"
}
EOF
label=npmx-container-test-$$
dc() { # dc SUBCOMMAND ARGS…: the CLI on this workspace, with Podman
  sub=$1
  shift
  "$devcontainer" "$sub" --docker-path podman --workspace-folder "$ws" --id-label "test=$label" "$@"
}
cleanup() {
  rm -rf "$ws"
  for id in $(podman ps -aq --filter "label=test=$label"); do podman rm -f "$id" >/dev/null 2>&1 || true; done
  # The images the CLI built for this workspace (untagged) and its
  # feature-content image; the base image stays for the next run.
  podman rmi -f localhost/dev_container_feature_content_temp >/dev/null 2>&1 || true
  for img in $(podman images --format '{{.Repository}}' | grep '^localhost/vsc-npmx-devcontainer-ws' || true); do
    podman rmi -f "$img" >/dev/null 2>&1 || true
  done
  podman image prune -f >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "devcontainer up"
dc up --build-no-cache --log-level info >"$work/up.log" 2>&1 || die "devcontainer up failed: $(tail -20 "$work/up.log")"
grep -q 'npmx feature: installed npmx' "$work/up.log" || die "the Feature did not run: $(tail -20 "$work/up.log")"
check "devcontainer up built the image with the Feature and started it"

shims=/usr/local/share/npmx/lib/npmx/shims
in_container() { dc exec "$@" 2>>"$work/exec.log"; }
for shell in "sh -c" "bash -c" "bash -lc" "bash -ic"; do
  # shellcheck disable=SC2086 # the shell and its flag
  got=$(in_container $shell 'command -v npm' | tail -n 1) || die "$shell: devcontainer exec failed: $(tail -5 "$work/exec.log")"
  [[ $got == "$shims/npm" ]] || die "$shell: npm is $got, not $shims/npm"
  check "$shell: npm is $shims/npm"
done
version=$("$binary" --npmx-version)
got=$(in_container sh -c 'npm --npmx-version')
[[ $got == "$version" ]] || die "npm --npmx-version in the container said: $got"
check "npm runs through npmx ($got)"
post=$(cat "$ws/post-create.txt" 2>/dev/null || true)
[[ $post == "$version"$'\n'"$shims/npm" ]] || die "postCreateCommand's npm: $post"
check "the postCreateCommand's npm went through npmx"
set +e
failing=$(in_container sh -c 'cd /tmp && npm run build 2>&1')
code=$?
set -e
[[ $code -ne 0 ]] || die "npm run build without a package.json succeeded: $failing"
[[ $failing == *"npmx: There is no package.json where npm ran [no-package-json]"* ]] ||
  die "a failing npm was not diagnosed: $failing"
check "a failing npm is diagnosed by npmx (exit $code)"
say "all checks passed"
