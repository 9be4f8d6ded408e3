//! The record of what setup created, so `--undo` removes exactly that.

use super::*;

#[derive(Default)]
pub(super) struct State {
  pub(super) entries: Vec<(String, PathBuf, String)>,
}

pub(super) const STATE_HEADER: &str =
  "# npmx --npmx-setup: what it created (`npmx --npmx-setup --undo` removes it)";

impl State {
  pub(super) fn load(path: &Path) -> State {
    let Ok(text) = fs::read(path) else {
      return State::default();
    };
    let text = String::from_utf8_lossy(&text);
    if !text.starts_with("# npmx --npmx-setup") {
      return State::default();
    }
    let entries = text
      .lines()
      .filter(|l| !l.starts_with('#') && !l.is_empty())
      .filter_map(|l| {
        let mut parts = l.splitn(3, '\t');
        let kind = parts.next()?.to_owned();
        let path = PathBuf::from(parts.next()?);
        Some((kind, path, parts.next().unwrap_or("").to_owned()))
      })
      .collect();
    State { entries }
  }

  pub(super) fn has(&self, kind: &str, path: &Path) -> bool {
    self.entries.iter().any(|(k, p, _)| k == kind && p == path)
  }

  pub(super) fn add(&mut self, kind: &str, path: &Path, extra: &str) {
    if !self.has(kind, path) {
      self
        .entries
        .push((kind.to_owned(), path.to_owned(), extra.to_owned()));
    }
  }

  pub(super) fn save(&self, path: &Path) -> std::io::Result<()> {
    let mut text = format!("{STATE_HEADER}\n");
    for (kind, p, extra) in &self.entries {
      text.push_str(&format!("{kind}\t{}\t{extra}\n", p.display()));
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path)
  }
}
