//! The shells' startup files and the marked block setup writes in them.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavour {
  Sh,
  Fish,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
  End,
  /// Before the "not interactive: return" line (when there is one) and at the end.
  BeforeGuardAndEnd,
}

pub(super) struct RcFile {
  pub(super) path: PathBuf,
  pub(super) flavour: Flavour,
  pub(super) place: Place,
  /// Create it when missing (otherwise a missing file is left alone).
  pub(super) create: bool,
}

/// The startup files setup writes for these shells.
pub(super) fn rc_files(shells: &[Shell], env: &Env, home: &Path) -> Vec<RcFile> {
  let mut files = Vec::new();
  let file = |path: PathBuf, flavour, place, create| RcFile {
    path,
    flavour,
    place,
    create,
  };
  for shell in shells {
    match shell {
      Shell::Bash => {
        // Login shells (`bash -l`, ssh logins, macOS terminals) read the first
        // of ~/.bash_profile, ~/.bash_login, ~/.profile; sh and dash read
        // ~/.profile.
        files.push(file(home.join(".profile"), Flavour::Sh, Place::End, true));
        if let Some(login) = [".bash_profile", ".bash_login"]
          .iter()
          .map(|f| home.join(f))
          .find(|p| p.is_file())
        {
          files.push(file(login, Flavour::Sh, Place::End, false));
        }
        files.push(file(
          home.join(".bashrc"),
          Flavour::Sh,
          Place::BeforeGuardAndEnd,
          true,
        ));
      }
      Shell::Zsh => {
        let dir = env
          .get_os("ZDOTDIR")
          .filter(|d| !d.is_empty())
          .map(PathBuf::from)
          .unwrap_or_else(|| home.to_owned());
        files.push(file(dir.join(".zshenv"), Flavour::Sh, Place::End, true));
        files.push(file(dir.join(".zshrc"), Flavour::Sh, Place::End, true));
      }
      Shell::Fish => {
        let config = env
          .get_os("XDG_CONFIG_HOME")
          .filter(|d| !d.is_empty())
          .map(PathBuf::from)
          .unwrap_or_else(|| home.join(".config"));
        files.push(file(
          config.join("fish/config.fish"),
          Flavour::Fish,
          Place::End,
          true,
        ));
      }
    }
  }
  files
}

/// `path` as the blocks write it: under HOME as `$HOME/…`, in double quotes'
/// escaping for this flavour.
pub(super) fn quoted(path: &Path, home: Option<&Path>, flavour: Flavour) -> String {
  let escape = |s: &str| -> String {
    let special: &[char] = match flavour {
      Flavour::Sh => &['\\', '"', '$', '`'],
      Flavour::Fish => &['\\', '"', '$'],
    };
    let mut out = String::new();
    for c in s.chars() {
      if special.contains(&c) {
        out.push('\\');
      }
      out.push(c);
    }
    out
  };
  let text = path.to_string_lossy();
  if let Some(home) = home.filter(|h| h.as_os_str().len() > 1) {
    // As install.sh writes it (its markers must match): `$HOME/…` only
    // for a plain rest.
    let plain = |c: char| c.is_ascii_alphanumeric() || "._/+@%,-".contains(c);
    if let Ok(rest) = path.strip_prefix(home) {
      let rest = rest.to_string_lossy();
      if !rest.is_empty() && rest.chars().all(plain) {
        return format!("$HOME/{rest}");
      }
    }
  }
  escape(&text)
}

pub(super) struct Block {
  pub(super) start: String,
  pub(super) end: String,
}

impl Block {
  pub(super) fn for_prefix(layout: &Layout, home: Option<&Path>) -> Block {
    let prefix = quoted(&layout.prefix, home, Flavour::Sh);
    Block {
      start: format!("# >>> npmx {prefix} >>>"),
      end: format!("# <<< npmx {prefix} <<<"),
    }
  }

  pub(super) fn text(&self, layout: &Layout, home: Option<&Path>, flavour: Flavour) -> String {
    let shims = quoted(&layout.shims, home, flavour);
    let body = match flavour {
      Flavour::Sh => format!(
        "case \":${{PATH-}}:\" in \":{shims}:\"*) ;; *) export PATH=\"{shims}${{PATH:+:$PATH}}\" ;; esac\n"
      ),
      Flavour::Fish => {
        format!("if test \"$PATH[1]\" != \"{shims}\"\n    set -gx PATH \"{shims}\" $PATH\nend\n")
      }
    };
    format!(
      "{}\n# npm and npx run through npmx (its shims first on PATH). `npmx --npmx-setup --undo` removes this.\n{body}{}\n",
      self.start, self.end
    )
  }
}

/// The file's lines (each with its newline, the last maybe without).
pub(super) fn lines(text: &[u8]) -> Vec<&[u8]> {
  text.split_inclusive(|&b| b == b'\n').collect()
}

pub(super) fn trimmed(line: &[u8]) -> &[u8] {
  line.trim_ascii()
}

/// `text` without any of these blocks; whether there was one.
pub(super) fn strip(text: &[u8], block: &Block) -> (Vec<u8>, bool) {
  let mut out = Vec::with_capacity(text.len());
  let mut inside = false;
  let mut found = false;
  for line in lines(text) {
    let t = trimmed(line);
    if inside {
      if t == block.end.as_bytes() {
        inside = false;
      }
      continue;
    }
    if t == block.start.as_bytes() {
      inside = true;
      found = true;
      continue;
    }
    out.extend_from_slice(line);
  }
  (out, found)
}

/// The line where a `.bashrc` stops for shells that are not interactive
/// (`case $- in … return`, `[ -z "$PS1" ] && return`, `[[ $- != *i* ]] &&
/// return`), moved up over the comment lines just above it.
pub(super) fn guard_line(lines: &[&[u8]]) -> Option<usize> {
  let is_guard = |i: usize| {
    let t = String::from_utf8_lossy(trimmed(lines[i])).into_owned();
    if t.starts_with('#') {
      return false;
    }
    let about_interactive = t.contains("$-") || t.contains("PS1");
    if t.starts_with("case ") && about_interactive {
      // The `return` comes on one of the next few lines.
      return lines[i..(i + 5).min(lines.len())]
        .iter()
        .any(|l| String::from_utf8_lossy(l).contains("return"));
    }
    about_interactive && t.contains("return")
  };
  let mut at = (0..lines.len()).find(|&i| is_guard(i))?;
  while at > 0 && trimmed(lines[at - 1]).starts_with(b"#") {
    at -= 1;
  }
  Some(at)
}

/// The new text of a startup file: the blocks where they belong.
pub(super) fn with_blocks(stripped: &[u8], block_text: &str, place: Place) -> Vec<u8> {
  let mut out = Vec::new();
  let all = lines(stripped);
  let guard = (place == Place::BeforeGuardAndEnd)
    .then(|| guard_line(&all))
    .flatten();
  for (i, line) in all.iter().enumerate() {
    if Some(i) == guard {
      out.extend_from_slice(block_text.as_bytes());
    }
    out.extend_from_slice(line);
  }
  if !out.is_empty() && !out.ends_with(b"\n") {
    out.push(b'\n');
  }
  out.extend_from_slice(block_text.as_bytes());
  out
}
