#!/bin/sh
# install.sh: install npmx and its `npm` / `npx` shims, without root.
#
#   ./install.sh                          build (cargo, release) and install to ~/.local,
#                                         then `npmx --npmx-setup` (shims first on PATH)
#   ./install.sh --binary PATH            install this npmx binary, or the one in a release
#                                         tarball (npmx-VERSION-TARGET.tar.gz), no cargo needed
#   ./install.sh --write-shell-config=bash,zsh,fish
#   ./install.sh --uninstall              remove exactly what was installed
#
# Run from an unpacked release tarball, it installs the tarball's bin/npmx.
#
# Layout under the prefix (default ~/.local):
#   bin/npmx                 the program
#   lib/npmx/shims/npm, npx  symlinks to ../../../bin/npmx (or small scripts);
#                            put this folder first on PATH and `npm` is npmx
#   lib/npmx/installed       the manifest: every file, folder and shell-config
#                            block this script added, so --uninstall removes
#                            those and nothing else
#
# The shims live outside bin/ on purpose: putting bin/ on PATH (for `npmx`, or
# alias mode) must not shadow npm, and npm's own `bin/npm` can share the prefix
# (`npm config set prefix ~/.local`, then `npm install -g npm`) without either
# overwriting the other. Nothing here ever writes inside npm's own files.

set -eu

me=install.sh
marker_first_line='# npmx install manifest'
tab=$(printf '\t')
nl='
'

usage() {
  cat <<'EOF'
Usage: install.sh [options]

Installs npmx to PREFIX/bin/npmx and the npm/npx shims to PREFIX/lib/npmx/shims,
then runs `npmx --npmx-setup`, which puts the shims first on PATH in your shells'
startup files. No root needed. Running it again updates the install in place.

Options:
  --prefix DIR            where to install (default: ~/.local)
  --binary PATH           install this npmx binary, or the bin/npmx of a release
                          tarball (.tar.gz, checked against PATH.sha256 when that
                          file is there), instead of building one with
                          `cargo build --release --locked`
  --shims=symlink|script  shims as symlinks to npmx (default, no extra process)
                          or as small sh scripts (where symlinks are not kept)
  --write-shell-config=SHELLS
                          the shells whose startup files get npmx's PATH block,
                          comma-separated (bash, zsh, fish; default: bash, and
                          zsh and fish where installed); see `npmx --npmx-setup`
  --no-setup              install only: leave the shells' startup files alone
                          and print the line to add instead
  --mode=path|alias       path (default): `npmx --npmx-setup` puts the shims
                                   folder first on PATH; `npm` is npmx
                                   everywhere, scripts and npm's own scripts too
                          alias: with --write-shell-config, PREFIX/bin on PATH
                                   and `alias npm=npmx`; interactive shells only
  --uninstall             remove what install.sh added under PREFIX and the
                          shell-config blocks it wrote, nothing else
  -h, --help              show this help
EOF
}

die() {
  printf '%s: %s\n' "$me" "$*" >&2
  exit 1
}

warn() {
  printf '%s: %s\n' "$me" "$*" >&2
}

say() {
  printf '%s\n' "$*"
}

# ---------------------------------------------------------------------------
# Options

prefix=
binary=
shims=symlink
mode=path
shells=
action=install
run_setup=1

need_value() {
  [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) need_value "$1" $#; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --binary) need_value "$1" $#; binary=$2; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --shims) need_value "$1" $#; shims=$2; shift 2 ;;
    --shims=*) shims=${1#*=}; shift ;;
    --mode) need_value "$1" $#; mode=$2; shift 2 ;;
    --mode=*) mode=${1#*=}; shift ;;
    --write-shell-config) need_value "$1" $#; shells="$shells,$2"; shift 2 ;;
    --write-shell-config=*) shells="$shells,${1#*=}"; shift ;;
    --no-setup) run_setup=0; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done

case $shims in symlink | script) ;; *) die "--shims must be symlink or script, not '$shims'" ;; esac
case $mode in path | alias) ;; *) die "--mode must be path or alias, not '$mode'" ;; esac

shell_list=
old_ifs=$IFS
IFS=,
for s in $shells; do
  case $s in
    '') ;;
    bash | zsh | fish)
      case " $shell_list " in *" $s "*) ;; *) shell_list="$shell_list $s" ;; esac ;;
    *) IFS=$old_ifs; die "--write-shell-config: unknown shell '$s' (bash, zsh or fish)" ;;
  esac
done
IFS=$old_ifs
shell_list=${shell_list# }

if [ -z "$prefix" ]; then
  [ -n "${HOME:-}" ] || die "HOME is not set: give --prefix DIR"
  prefix=$HOME/.local
fi
case $prefix in /*) ;; *) prefix=$PWD/$prefix ;; esac
# Trailing slashes off (but keep "/").
while :; do
  case $prefix in */) [ "$prefix" = / ] && break; prefix=${prefix%/} ;; *) break ;; esac
done
case $prefix in
  *"$nl"* | *"$tab"*) die "the prefix must not contain a newline or a tab" ;;
  *:*) die "the prefix must not contain ':' (it could not be put on PATH)" ;;
esac
if [ -n "${HOME:-}" ]; then
  case $HOME in *"$nl"* | *"$tab"*) die "HOME must not contain a newline or a tab" ;; esac
fi

root=${prefix%/}
bin_dir=$root/bin
npmx_dest=$bin_dir/npmx
data_dir=$root/lib/npmx
shims_dir=$data_dir/shims
manifest=$data_dir/installed
# From shims_dir to bin_dir.
link_target=../../../bin/npmx

work=$(mktemp -d "${TMPDIR:-/tmp}/npmx-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# The manifest: one entry a line, KIND<TAB>PATH[<TAB>EXTRA]. PATH is relative to
# the prefix ("." is the prefix itself) or absolute (shell-config files).
#   dir      a folder this script created
#   file     a file it wrote; EXTRA is its checksum (cksum "CRC:SIZE")
#   link     a symlink it made; EXTRA is the link's target
#   block    a marked block it added to a shell-config file
#   blocknl  the same, and it first added a newline the file lacked at its end
#   created  a shell-config file that did not exist before

entries=$work/entries
: >"$entries"

rel() {
  case $1 in
    "$root") printf '.' ;;
    "$root"/*) printf '%s' "${1#"$root"/}" ;;
    *) printf '%s' "$1" ;;
  esac
}

abs() {
  case $1 in
    .) printf '%s' "$prefix" ;;
    /*) printf '%s' "$1" ;;
    *) printf '%s' "$root/$1" ;;
  esac
}

load_manifest() {
  [ -e "$manifest" ] || [ -L "$manifest" ] || return 0
  if [ ! -f "$manifest" ] || [ -L "$manifest" ]; then
    die "refusing to touch $manifest: not a manifest written by install.sh"
  fi
  IFS= read -r first <"$manifest" || first=
  case $first in
    "$marker_first_line"*) ;;
    *) die "refusing to touch $manifest: not a manifest written by install.sh" ;;
  esac
  grep -v '^#' "$manifest" >"$entries" || :
}

# entry_of ABSPATH KINDS: the entry for ABSPATH of one of KINDS, as
# "KIND<TAB>EXTRA"; empty if none.
entry_of() {
  NPMX_P=$(rel "$1") awk -F "$tab" -v kinds=" $2 " '
    BEGIN { p = ENVIRON["NPMX_P"] }
    $2 == p && index(kinds, " " $1 " ") { print $1 "\t" $3; exit }
  ' "$entries"
}

manifest_sync() {
  [ -d "$data_dir" ] || return 0
  {
    say "$marker_first_line (install.sh; \`install.sh --uninstall\` removes these, newest last)"
    cat "$entries"
  } >"$manifest.tmp.$$"
  mv -f "$manifest.tmp.$$" "$manifest"
}

# manifest_put KIND ABSPATH [EXTRA]: record, replacing the entry of the same
# class for the same path (a link can become a file, a block a blocknl).
manifest_put() {
  case $1 in
    dir) class='dir' ;;
    file | link) class='file link' ;;
    block | blocknl) class='block blocknl' ;;
    *) class=$1 ;;
  esac
  if [ $# -ge 3 ]; then line="$1$tab$(rel "$2")$tab$3"; else line="$1$tab$(rel "$2")"; fi
  # In place when there is one, so a re-install leaves the manifest as it was.
  NPMX_P=$(rel "$2") NPMX_LINE=$line awk -F "$tab" -v kinds=" $class " '
    BEGIN { p = ENVIRON["NPMX_P"]; line = ENVIRON["NPMX_LINE"] }
    $2 == p && index(kinds, " " $1 " ") { if (!done) print line; done = 1; next }
    { print }
    END { if (!done) print line }
  ' "$entries" >"$entries.new"
  mv -f "$entries.new" "$entries"
  manifest_sync
}

checksum() {
  # shellcheck disable=SC2046 # "CRC SIZE" split on purpose
  set -- $(cksum <"$1")
  printf '%s:%s' "$1" "$2"
}

# Is ABSPATH, as it is now, what this script put there?
is_ours() {
  e=$(entry_of "$1" 'file link')
  [ -n "$e" ] || return 1
  kind=${e%%"$tab"*}
  extra=${e#*"$tab"}
  case $kind in
    file) [ -f "$1" ] && [ ! -L "$1" ] && [ "$(checksum "$1")" = "$extra" ] ;;
    link) [ -L "$1" ] && [ "$(readlink "$1")" = "$extra" ] ;;
    *) return 1 ;;
  esac
}

# Same file after symlinks (test -ef: not in POSIX, but in dash, bash, busybox,
# ksh, zsh and every test(1)).
same_file() {
  # shellcheck disable=SC3013
  [ "$1" -ef "$2" ]
}

exists() {
  [ -e "$1" ] || [ -L "$1" ]
}

# ensure_dir ABSPATH: create it and any missing parent, recording each.
ensure_dir() {
  [ -d "$1" ] && return 0
  if exists "$1"; then
    die "$1 exists and is not a folder"
  fi
  ensure_dir "$(dirname -- "$1")"
  mkdir -- "$1" || die "cannot create $1"
  manifest_put dir "$1"
}

# ---------------------------------------------------------------------------
# Quoting the printed and written lines

# dq sh|fish ABSPATH: text for inside double quotes standing for ABSPATH. Under
# HOME with plain characters it is written $HOME/..., so a shared dotfile works
# for every user; anything else is escaped literally.
dq() {
  flavour=$1
  shift
  if [ -n "${HOME:-}" ] && [ "$HOME" != / ]; then
    case $1 in
      "$HOME"/*)
        rest=${1#"$HOME"/}
        case $rest in
          *[!A-Za-z0-9._/+@%,-]*) ;;
          *)
            # shellcheck disable=SC2016 # $HOME is written, not expanded
            printf '$HOME/%s' "$rest"
            return ;;
        esac ;;
    esac
  fi
  if [ "$flavour" = fish ]; then
    printf '%s' "$1" | sed 's/[\\"$]/\\&/g'
  else
    printf '%s' "$1" | sed 's/[\\"$`]/\\&/g'
  fi
}

# The lines for one shell and mode (no block markers).
config_lines() {
  case $1:$2 in
    sh:path)
      say "export PATH=\"$(dq "$1" "$shims_dir"):\$PATH\"" ;;
    sh:alias)
      say "case \":\$PATH:\" in *\":$(dq "$1" "$bin_dir"):\"*) ;; *) export PATH=\"$(dq "$1" "$bin_dir"):\$PATH\" ;; esac"
      say "alias npm='npmx' npx='NPMX_ARG0=npx npmx'" ;;
    fish:path)
      say "set -gx PATH \"$(dq "$1" "$shims_dir")\" \$PATH" ;;
    fish:alias)
      say "contains -- \"$(dq "$1" "$bin_dir")\" \$PATH; or set -gx PATH \"$(dq "$1" "$bin_dir")\" \$PATH"
      say "alias npm npmx"
      say "alias npx 'NPMX_ARG0=npx npmx'" ;;
  esac
}

rc_file() {
  case $1 in
    bash) say "$HOME/.bashrc" ;;
    zsh) say "${ZDOTDIR:-$HOME}/.zshrc" ;;
    fish) say "${XDG_CONFIG_HOME:-$HOME/.config}/fish/config.fish" ;;
  esac
}

# rc_edit FILE [BLOCKFILE]: put BLOCKFILE's text between the markers in place of
# the block that is there, or append it; without BLOCKFILE, remove the block.
# FILE is rewritten in place (a symlinked dotfile stays a symlink) and only if
# its text changes. Prints "appended", "replaced", "removed" or "same".
rc_edit() {
  file=$1
  new=${2-}
  noeol=0
  if [ -s "$file" ] && [ -n "$(tail -c 1 "$file")" ]; then noeol=1; fi
  chomp=0
  e=$(entry_of "$file" 'block blocknl')
  case $e in blocknl*) chomp=1 ;; esac
  NPMX_START=$block_start NPMX_END=$block_end NPMX_NEW=$new NPMX_NOEOL=$noeol \
    NPMX_CHOMP=$chomp NPMX_WHAT=$work/rc.what awk '
    BEGIN {
      start = ENVIRON["NPMX_START"]; end = ENVIRON["NPMX_END"]; newf = ENVIRON["NPMX_NEW"]
      blk = ""
      if (newf != "") while ((getline l < newf) > 0) blk = blk l "\n"
      n = 0; inblk = 0; found = 0; after = 0
    }
    inblk { if ($0 == end) inblk = 0; next }
    $0 == start {
      inblk = 1
      if (!found && blk != "") out[++n] = blk
      found = 1; after = 0
      next
    }
    { out[++n] = $0 "\n"; after = 1 }
    END {
      if (!found && blk != "") {
        # Appending (a last line without its newline got one above).
        out[++n] = blk
      } else if (n > 0) {
        if (ENVIRON["NPMX_NOEOL"] == "1" && after) sub(/\n$/, "", out[n])
        # Removing the block install.sh appended after adding a final newline.
        if (blk == "" && found && !after && ENVIRON["NPMX_CHOMP"] == "1") sub(/\n$/, "", out[n])
      }
      for (i = 1; i <= n; i++) printf "%s", out[i]
      print (found ? (blk == "" ? "removed" : "replaced") : (blk == "" ? "same" : "appended")) > ENVIRON["NPMX_WHAT"]
    }
  ' "$file" >"$work/rc.new"
  what=$(cat "$work/rc.what")
  if cmp -s "$file" "$work/rc.new"; then
    what=same
  else
    cat "$work/rc.new" >"$file"
  fi
  say "$what"
}

# The marker lines of this prefix's block, written as the block's lines are (a
# prefix under HOME as $HOME/...), so a dotfile shared between users still
# matches.
block_start="# >>> npmx $(dq sh "$prefix") >>>"
block_end="# <<< npmx $(dq sh "$prefix") <<<"

# ---------------------------------------------------------------------------
# Uninstall

# What `npmx --npmx-setup` added for this prefix (its record is
# lib/npmx/setup): undone by the installed npmx itself when it is still the
# one install.sh put there, else here, from the same record.
undo_setup() {
  state=$data_dir/setup
  [ -f "$state" ] || return 0
  if is_ours "$npmx_dest" && (unset NPMX_DISABLE NPMX_ARG0 && "$npmx_dest" --npmx-setup --undo); then
    return 0
  fi
  warn "undoing npmx --npmx-setup without $npmx_dest (it is not the npmx install.sh installed, or it failed)"
  [ -n "${HOME:-}" ] || die "HOME is not set: cannot find the shell-config files"
  for rc in "$HOME/.profile" "$HOME/.bash_profile" "$HOME/.bash_login" "$HOME/.bashrc" \
    "${ZDOTDIR:-$HOME}/.zshenv" "${ZDOTDIR:-$HOME}/.zshrc" \
    "${XDG_CONFIG_HOME:-$HOME/.config}/fish/config.fish"; do
    [ -f "$rc" ] || continue
    [ "$(rc_edit "$rc")" = removed ] && say "removed npmx's block from $rc"
    if [ ! -s "$rc" ] && grep -qxF "created$tab$rc$tab" "$state"; then
      rm -f -- "$rc" && say "removed $rc (empty now)"
    fi
  done
  sed -n '1!G;h;$p' "$state" >"$work/setup.reversed"
  while IFS=$tab read -r kind p extra; do
    case $kind in
      link) if [ -L "$p" ] && [ "$(readlink "$p")" = "$extra" ]; then rm -f -- "$p"; fi ;;
      dir) rmdir -- "$p" 2>/dev/null || : ;;
    esac
  done <"$work/setup.reversed"
  rm -f -- "$state"
}

uninstall() {
  if ! exists "$manifest"; then
    say "Nothing to remove: no npmx install manifest at $manifest."
    return 0
  fi
  load_manifest
  undo_setup
  kept=0
  # Newest first: blocks before the files that hold them, files before folders.
  sed -n '1!G;h;$p' "$entries" >"$work/reversed"
  while IFS=$tab read -r kind p extra; do
    [ -n "$kind" ] || continue
    path=$(abs "$p")
    case $kind in
      file)
        if ! exists "$path"; then
          :
        elif [ -f "$path" ] && [ ! -L "$path" ] && [ "$(checksum "$path")" = "$extra" ]; then
          rm -f -- "$path" && say "removed $path"
        else
          warn "kept $path: it changed since install.sh wrote it"
          kept=1
        fi ;;
      link)
        if ! exists "$path"; then
          :
        elif [ -L "$path" ] && [ "$(readlink "$path")" = "$extra" ]; then
          rm -f -- "$path" && say "removed $path"
        else
          warn "kept $path: it changed since install.sh made it"
          kept=1
        fi ;;
      block | blocknl)
        if [ -f "$path" ]; then
          [ "$(rc_edit "$path")" = removed ] && say "removed npmx's block from $path"
        fi ;;
      created)
        if [ -f "$path" ] && [ ! -s "$path" ]; then
          rm -f -- "$path" && say "removed $path (empty now)"
        fi ;;
      dir) ;;
      *) warn "skipped an unknown manifest entry: $kind $p" ;;
    esac
  done <"$work/reversed"
  rm -f -- "$manifest"
  while IFS=$tab read -r kind p extra; do
    [ "$kind" = dir ] || continue
    path=$(abs "$p")
    if [ -d "$path" ] && [ ! -L "$path" ]; then
      if rmdir -- "$path" 2>/dev/null; then
        say "removed $path/"
      else
        say "kept $path/: it holds files install.sh did not add"
      fi
    fi
  done <"$work/reversed"
  if [ "$kept" = 1 ]; then
    say "npmx is uninstalled; the files named above were kept."
  else
    say "npmx is uninstalled."
  fi
}

# ---------------------------------------------------------------------------
# Install

# from_tarball FILE: unpack a release tarball (dist/build.sh) into the work
# folder and use its bin/npmx; FILE.sha256, when there, must match.
from_tarball() {
  if [ -f "$1.sha256" ]; then
    want=$(sed -n '1s/[[:space:]].*//p' "$1.sha256")
    if command -v sha256sum >/dev/null 2>&1; then
      got=$(sha256sum <"$1" | sed 's/[[:space:]].*//')
    else
      got=$(shasum -a 256 <"$1" | sed 's/[[:space:]].*//')
    fi
    [ "$want" = "$got" ] || die "$1 does not match $1.sha256 (sha256 $got, expected $want)"
    say "$1: sha256 matches $1.sha256"
  fi
  mkdir -p "$work/tarball"
  gzip -dc <"$1" | (cd "$work/tarball" && tar -xf -) || die "cannot unpack $1"
  for candidate in "$work"/tarball/*/bin/npmx "$work/tarball/bin/npmx"; do
    if [ -f "$candidate" ]; then
      binary=$candidate
      return
    fi
  done
  die "$1 holds no bin/npmx: not an npmx release tarball"
}

find_binary() {
  if [ -n "$binary" ]; then
    case $binary in /*) ;; *) binary=$PWD/$binary ;; esac
    case $binary in
      *.tar.gz | *.tgz)
        [ -f "$binary" ] || die "--binary $binary: no such file"
        from_tarball "$binary"
        return ;;
    esac
    if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
      die "--binary $binary: not an executable file"
    fi
    return
  fi
  case $0 in */*) src=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd) ;; *) src= ;; esac
  # Run from an unpacked release tarball: its own binary.
  if [ -n "$src" ] && [ ! -f "$src/Cargo.toml" ] && [ -f "$src/bin/npmx" ] && [ -x "$src/bin/npmx" ]; then
    binary=$src/bin/npmx
    return
  fi
  if [ -z "$src" ] || [ ! -f "$src/Cargo.toml" ] || [ ! -d "$src/src" ]; then
    die "not run from an npmx source tree or release tarball: give --binary PATH to install a built npmx (or a release tarball)"
  fi
  command -v cargo >/dev/null 2>&1 ||
    die "cargo not found: install Rust (https://rustup.rs) or give --binary PATH"
  target=${CARGO_TARGET_DIR:-$src/target}
  case $target in /*) ;; *) target=$src/$target ;; esac
  # On Linux with glibc, a statically linked, non-PIE build starts about
  # 0.7 ms faster on every npm call: no dynamic loader, and no 10,000
  # relocations to apply at start-up (docs/design.md, "Start-up"). npmx
  # resolves no names itself except in --npmx-doctor's proxy check. Fall
  # back on the usual build where the static one cannot be made.
  host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
  binary=
  case $host in
    *-linux-gnu)
      say "Building npmx (static, cargo build --release --locked --target $host)..."
      if (cd "$src" && RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
        cargo build --release --locked --target "$host"); then
        binary=$target/$host/release/npmx
      else
        say "The static build failed; building the usual way."
      fi
      ;;
  esac
  if [ -z "$binary" ]; then
    say "Building npmx (cargo build --release --locked)..."
    (cd "$src" && cargo build --release --locked) || die "the build failed"
    binary=$target/release/npmx
  fi
  [ -x "$binary" ] || die "the build left no $binary"
}

# put_file SRC DEST MODE: write DEST from SRC through a temporary file and a
# rename, so a running npmx is never overwritten in place.
put_file() {
  tmp=$(dirname -- "$2")/.npmx-install.$$
  cp -- "$1" "$tmp" || die "cannot write $2"
  chmod "$3" "$tmp"
  mv -f -- "$tmp" "$2" || { rm -f -- "$tmp"; die "cannot write $2"; }
  manifest_put file "$2" "$(checksum "$2")"
}

refuse_unless_ours() {
  if exists "$1" && ! is_ours "$1"; then
    die "refusing to overwrite $1: install.sh did not put it there (it has no entry in $manifest, or changed since). Remove it yourself, or choose another --prefix."
  fi
}

shim_script() {
  # The exec line is shims/$1's contract; NPMX_BIN defaults to this
  # install's npmx, kept a shell variable so it never reaches npm's scripts.
  quoted=$(printf '%s' "$npmx_dest" | sed "s/'/'\\\\''/g")
  cat <<EOF
#!/bin/sh
# npmx-shim: this file stands in for $1 and hands every call to npmx.
# npmx recognises the marker above and skips this file when it looks for the
# real npm on PATH, so the shim can sit anywhere on PATH, even before npm.
# Installed by npmx's install.sh; \`install.sh --uninstall\` removes it.
if [ -z "\${NPMX_BIN:-}" ]; then NPMX_BIN='$quoted'; fi
NPMX_ARG0=$1 exec "\${NPMX_BIN:-npmx}" "\$@"
EOF
}

uninstall_hint() {
  if [ "$prefix" = "${HOME:-}/.local" ]; then
    uninstall_args=
  else
    uninstall_args=" --prefix '$(printf '%s' "$prefix" | sed "s/'/'\\\\''/g")'"
  fi
  say "Off for one command: NPMX_DISABLE=1 npm ...   Uninstall: install.sh --uninstall$uninstall_args"
}

# When nothing was written to the shells' startup files: what to do instead.
print_lines() {
  say ""
  if [ "$mode" = alias ]; then
    say "For alias mode, add these to your shell's startup file (or run install.sh"
    say "again with --write-shell-config=bash,zsh,fish --mode=alias):"
    config_lines sh alias | sed 's/^/    bash, zsh:  /'
    config_lines fish alias | sed 's/^/    fish:       /'
  else
    say "npm does not run through npmx yet. Either run"
    say "    $npmx_dest --npmx-setup"
    say "or put the shims first on PATH in your shell's startup file yourself:"
    say "    bash, zsh:  $(config_lines sh path)"
    say "    fish:       $(config_lines fish path)"
    say "then open a new shell."
  fi
  say ""
  say "Check with: npm --npmx-version   (prints npmx's version when npm is npmx)"
  say "Help: npmx --npmx-help"
  uninstall_hint
}

install() {
  load_manifest
  find_binary

  # Check everything before changing anything.
  refuse_unless_ours "$npmx_dest"
  refuse_unless_ours "$shims_dir/npm"
  refuse_unless_ours "$shims_dir/npx"
  if [ -n "$shell_list" ]; then
    [ -n "${HOME:-}" ] || die "HOME is not set: cannot find the shell-config files"
  fi
  version=$(unset NPMX_DISABLE NPMX_ARG0 && "$binary" --npmx-version 2>/dev/null) ||
    die "$binary does not run as npmx (\`$binary --npmx-version\` failed)"
  case $version in npmx\ *) ;; *) die "$binary is not npmx (--npmx-version printed: $version)" ;; esac

  ensure_dir "$data_dir"
  ensure_dir "$bin_dir"
  ensure_dir "$shims_dir"
  manifest_sync

  if [ -e "$npmx_dest" ] && same_file "$binary" "$npmx_dest"; then
    : # Installing the installed binary again.
  else
    put_file "$binary" "$npmx_dest" 755
  fi

  for name in npm npx; do
    shim=$shims_dir/$name
    if [ "$shims" = symlink ]; then
      target=$link_target
      rm -f -- "$shim"
      ln -s -- "$target" "$shim"
      if ! same_file "$shim" "$npmx_dest"; then
        # A symlinked folder on the way (PREFIX/lib -> elsewhere) breaks "..".
        target=$npmx_dest
        rm -f -- "$shim"
        ln -s -- "$target" "$shim"
      fi
      manifest_put link "$shim" "$target"
    else
      shim_script "$name" >"$work/shim"
      put_file "$work/shim" "$shim" 755
    fi
  done

  # Alias mode writes its own blocks; path mode is `npmx --npmx-setup`'s (below).
  [ "$mode" = alias ] || alias_list=
  [ "$mode" = alias ] && alias_list=$shell_list
  for sh in $alias_list; do
    rc=$(rc_file "$sh")
    case $sh in fish) flavour='fish' ;; *) flavour='sh' ;; esac
    {
      say "$block_start"
      say "# Added by npmx's install.sh: npm and npx run through npmx. \`install.sh --uninstall\` removes this block."
      config_lines "$flavour" "$mode"
      say "$block_end"
    } >"$work/block"
    if ! exists "$rc"; then
      ensure_dir "$(dirname -- "$rc")"
      : >"$rc"
      manifest_put created "$rc"
    fi
    [ -f "$rc" ] || die "$rc is not a file"
    noeol=0
    if [ -s "$rc" ] && [ -n "$(tail -c 1 "$rc")" ]; then noeol=1; fi
    what=$(rc_edit "$rc" "$work/block")
    case $what in
      appended)
        if [ "$noeol" = 1 ]; then manifest_put blocknl "$rc"; else manifest_put block "$rc"; fi
        say "Added npmx's block to $rc." ;;
      *)
        [ -n "$(entry_of "$rc" 'block blocknl')" ] || manifest_put block "$rc"
        say "npmx's block in $rc is up to date." ;;
    esac
  done
  case " $alias_list " in
    *" bash "*)
      # Login bash reads the first of these and ~/.bashrc only if it says so.
      for profile in "$HOME/.bash_profile" "$HOME/.bash_login" "$HOME/.profile"; do
        [ -f "$profile" ] || continue
        grep -q bashrc "$profile" ||
          say "Note: $profile does not read ~/.bashrc, so login shells (macOS Terminal, ssh) will not see npmx's block; add the line there too."
        break
      done ;;
  esac

  manifest_sync
  say "Installed $version:"
  say "  $npmx_dest"
  for name in npm npx; do
    if [ -L "$shims_dir/$name" ]; then
      say "  $shims_dir/$name -> $(readlink "$shims_dir/$name")"
    else
      say "  $shims_dir/$name (script)"
    fi
  done
  say "  $manifest (what was installed, for --uninstall)"
  if [ "$mode" = path ] && [ "$run_setup" = 1 ]; then
    setup_args=
    if [ -n "$shell_list" ]; then
      setup_args=--shell=$(printf '%s' "$shell_list" | tr ' ' ',')
    fi
    say ""
    say "Running $npmx_dest --npmx-setup $setup_args"
    # shellcheck disable=SC2086 # empty or one word
    (unset NPMX_DISABLE NPMX_ARG0 && "$npmx_dest" --npmx-setup $setup_args) ||
      die "npmx --npmx-setup failed (see above); npmx itself is installed"
    uninstall_hint
  elif [ "$mode" = alias ] && [ -n "$shell_list" ]; then
    say ""
    say "Open a new shell: from then on, \`npm\` runs through npmx (alias mode)."
    say "Check with: npm --npmx-version   Help: npmx --npmx-help"
    uninstall_hint
  else
    print_lines
  fi
}

if [ "$action" = uninstall ]; then
  uninstall
else
  install
fi
