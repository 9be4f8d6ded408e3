#!/bin/sh
# Dev Container Feature "npmx": installs npmx and puts its npm and npx shims
# first on PATH. Runs as root while the image is built, after the node Feature.
#
#   /usr/local/share/npmx/bin/npmx          the program
#   /usr/local/share/npmx/lib/npmx/shims/npm, npx
#                                           -> ../../../bin/npmx, made by
#                                           `npmx --npmx-setup`; first on PATH through
#                                           the Feature's containerEnv
#   /etc/profile.d/npmx.sh                  login shells rebuild PATH in
#                                           /etc/profile: puts the shims first again
#   /etc/bash.bashrc, /etc/zsh/zshrc        (when present) a marked line that
#                                           sources it, after anything they put
#                                           before it (nvm and the like)
#   /etc/fish/conf.d/npmx.fish              (when fish is installed) the same
#
# npm's own files are never touched: `npm install -g npm` keeps working, and
# npmx finds whichever npm comes after its shims on PATH.
#
# Options arrive as upper-case variables (BINARYPATH, SOURCEPATH, URL, SHIMS).
# NPMX_FEATURE_ROOT (default /) installs into another root, for tests: the files
# written there then name the paths under that root.

set -eu

me="npmx feature"
die() {
  printf '%s: %s\n' "$me" "$*" >&2
  exit 1
}
say() {
  printf '%s: %s\n' "$me" "$*"
}

root=${NPMX_FEATURE_ROOT:-/}
case $root in /*) ;; *) die "NPMX_FEATURE_ROOT must be an absolute path" ;; esac
root=${root%/}
binary_path=${BINARYPATH:-}
source_path=${SOURCEPATH:-}
url=${URL:-}
shims=${SHIMS:-symlink}
case $shims in symlink | script) ;; *) die "shims must be symlink or script, not '$shims'" ;; esac

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
share=$root/usr/local/share/npmx
bin=$share/bin/npmx
shims_dir=$share/lib/npmx/shims
profile=$root/etc/profile.d/npmx.sh
marker_start='# >>> npmx (Dev Container Feature) >>>'
marker_end='# <<< npmx (Dev Container Feature) <<<'

arch=$(uname -m)
case $arch in arm64) arch=aarch64 ;; amd64) arch=x86_64 ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/npmx-feature.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A word in single quotes, for the scripts written below.
sq() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

find_binary() {
  if [ -n "$binary_path" ]; then
    [ -f "$binary_path" ] || die "binaryPath $binary_path: no such file"
    printf '%s' "$binary_path"
    return
  fi
  for candidate in "$here/npmx-$arch" "$here/npmx"; do
    if [ -f "$candidate" ]; then
      printf '%s' "$candidate"
      return
    fi
  done
  src=${source_path:-$here/source}
  if [ -f "$src/Cargo.toml" ]; then
    command -v cargo >/dev/null 2>&1 ||
      die "found npmx's source in $src but no cargo to build it (add a Rust Feature before this one, or give binaryPath)"
    say "building npmx from $src (cargo build --release --locked)" >&2
    target=$work/target
    (cd "$src" && CARGO_TARGET_DIR=$target cargo build --release --locked >&2) ||
      die "cargo build failed in $src"
    printf '%s' "$target/release/npmx"
    return
  fi
  if [ -n "$url" ]; then
    u=$(printf '%s' "$url" | sed "s/{arch}/$arch/g")
    say "downloading $u" >&2
    if command -v curl >/dev/null 2>&1; then
      curl -fsSL -o "$work/npmx" "$u" || die "cannot download $u"
    elif command -v wget >/dev/null 2>&1; then
      wget -q -O "$work/npmx" "$u" || die "cannot download $u"
    else
      die "neither curl nor wget to download $u"
    fi
    printf '%s' "$work/npmx"
    return
  fi
  die "no npmx to install: set binaryPath, put npmx-$arch (or npmx) next to this install.sh, give sourcePath with cargo installed, or set url"
}

# put SRC DEST: replace DEST through a rename, mode 755.
put() {
  cp -- "$1" "$2.tmp.$$"
  chmod 755 "$2.tmp.$$"
  mv -f -- "$2.tmp.$$" "$2"
}

found=$(find_binary)
# A copy with its mode set: a bundled or downloaded file may have lost its x bit.
src_binary=$work/npmx.candidate
cp -- "$found" "$src_binary"
chmod 755 "$src_binary"
version=$(unset NPMX_DISABLE NPMX_ARG0 && "$src_binary" --npmx-version 2>/dev/null) ||
  die "$found does not run here (\`--npmx-version\` failed): is it a Linux $arch build of npmx?"
case $version in npmx\ *) ;; *) die "$found is not npmx" ;; esac

mkdir -p "$share/bin" "$shims_dir" "$(dirname -- "$profile")"
chmod 755 "$share" "$share/bin" "$share/lib" "$share/lib/npmx" "$shims_dir"
put "$src_binary" "$bin"

for name in npm npx; do
  rm -f -- "$shims_dir/$name"
  if [ "$shims" = symlink ]; then
    : # `npmx --npmx-setup` below makes them
  else
    cat >"$work/shim" <<EOF
#!/bin/sh
# npmx-shim: this file stands in for $name and hands every call to npmx.
# npmx recognises the marker above and skips this file when it looks for the
# real npm on PATH, so the shim can sit anywhere on PATH, even before npm.
# Installed by the npmx Dev Container Feature.
if [ -z "\${NPMX_BIN:-}" ]; then NPMX_BIN=$(sq "$bin"); fi
NPMX_ARG0=$name exec "\${NPMX_BIN:-npmx}" "\$@"
EOF
    put "$work/shim" "$shims_dir/$name"
  fi
done

# The same setup every way of installing ends with: the shims (symlinks; a
# script shim is kept), no user's startup files (the image's are below).
(unset NPMX_DISABLE NPMX_ARG0 && "$bin" --npmx-setup --shell=none >"$work/setup.log") ||
  { cat "$work/setup.log" >&2; die "npmx --npmx-setup failed"; }
[ -e "$shims_dir/npm" ] || die "npmx --npmx-setup made no $shims_dir/npm"

# POSIX sh, sourced by /etc/profile, bash.bashrc and zsh's zshrc: moves the
# shims folder to the front of PATH (adding it if missing), once, and leaves
# PATH alone when it is already first.
cat >"$work/profile" <<EOF
# npmx (Dev Container Feature): npm and npx run through npmx.
# Login shells rebuild PATH in /etc/profile, and startup files may put another
# npm before the shims; this puts npmx's shims first again, exactly once.
npmx_shims=$(sq "$shims_dir")
case ":\${PATH-}:" in
  ":\$npmx_shims:"*) ;;
  *)
    npmx_rest=":\${PATH-}:"
    while :; do
      case \$npmx_rest in
        *":\$npmx_shims:"*) npmx_rest="\${npmx_rest%%":\$npmx_shims:"*}:\${npmx_rest#*":\$npmx_shims:"}" ;;
        *) break ;;
      esac
    done
    npmx_rest=\${npmx_rest#:}
    npmx_rest=\${npmx_rest%:}
    PATH="\$npmx_shims\${npmx_rest:+:\$npmx_rest}"
    export PATH
    ;;
esac
unset npmx_shims npmx_rest
EOF
put "$work/profile" "$profile"
chmod 644 "$profile"

# Interactive non-login shells read these instead of /etc/profile.
hook_line="[ -r $(sq "$profile") ] && . $(sq "$profile")"
for rc in "$root/etc/bash.bashrc" "$root/etc/zsh/zshrc"; do
  [ -f "$rc" ] || continue
  if grep -qxF "$marker_start" "$rc"; then
    continue
  fi
  if [ -s "$rc" ] && [ -n "$(tail -c 1 "$rc")" ]; then printf '\n' >>"$rc"; fi
  printf '%s\n%s\n%s\n' "$marker_start" "$hook_line" "$marker_end" >>"$rc"
  say "added the shims-first line to $rc"
done

if [ -d "$root/etc/fish" ]; then
  mkdir -p "$root/etc/fish/conf.d"
  fish_dir=$(printf '%s' "$shims_dir" | sed 's/[\\"$]/\\&/g')
  cat >"$work/fish" <<EOF
# npmx (Dev Container Feature): npm and npx run through npmx; shims first, once.
while set -l i (contains -i -- "$fish_dir" \$PATH)
    set -e PATH[\$i]
end
set -gx PATH "$fish_dir" \$PATH
EOF
  put "$work/fish" "$root/etc/fish/conf.d/npmx.fish"
  chmod 644 "$root/etc/fish/conf.d/npmx.fish"
fi

say "installed $version: $bin, shims in $shims_dir ($shims)"
if PATH="$shims_dir:$PATH" command -v npm >/dev/null 2>&1 &&
  npm_version=$(PATH="$shims_dir:$PATH" npm --version 2>/dev/null); then
  say "npm $npm_version now runs through npmx"
else
  say "npm is not installed yet: npmx will run whichever npm comes after $shims_dir on PATH (the node Feature installs one)"
fi
