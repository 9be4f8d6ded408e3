//! The machine npm installs on: files it may not write.

use super::{Cause, sig};
use crate::advice::{Advice, quote_path};

pub(super) static CAUSES: &[&Cause] = &[&PERMISSION_DENIED];

pub(crate) static PERMISSION_DENIED: Cause = Cause {
  id: "permission-denied",
  title: "npm may not write where it needs to",
  explain: "The operating system refused npm a file: a global install into a system folder \
            (/usr/local, /usr) that only root may write, a cache or node_modules left owned by root \
            by an earlier `sudo npm`, or a container volume owned by another user. `sudo npm` is \
            not the fix: it runs every package's install scripts as root and leaves more root-owned \
            files behind. Give npm a global prefix of your own, or take the files back.",
  tell: "EACCES or EPERM with npm's `path` line naming the file.",
  signatures: &[sig(90).codes(&["EACCES"]), sig(80).codes(&["EPERM"])],
  rules: &[],
  supersedes: &[],
  advise: permission_denied,
};

fn permission_denied(a: &mut Advice) {
  let Some(path) = a.s.block.and_then(|b| b.path.clone()) else {
    a.run(
      "The operating system refused npm a file. npm's log names it; check who owns it:",
      "ls -ld \"$(npm config get prefix)\" ~/.npm",
    );
    return;
  };
  let cache_dir = a.ctx.config.as_ref().and_then(|c| c.cache_dir());
  let cache = path.contains("/_cacache")
    || path.contains("/.npm/")
    || path.ends_with("/.npm")
    || cache_dir
      .as_ref()
      .is_some_and(|c| path.starts_with(&*c.to_string_lossy()));
  let global = a.ctx.command.global() || a.s.facts.global() || path.contains("/lib/node_modules");
  if cache {
    let dir = cache_dir
      .map(|c| c.display().to_string())
      .unwrap_or_else(|| "~/.npm".into());
    a.run(
      format!("{path} is in npm's cache and belongs to another user (often root, after an earlier `sudo npm`). Take the cache back:"),
      format!("sudo chown -R \"$(id -u):$(id -g)\" {}", quote_path(&dir)),
    );
  } else if global {
    if let Some(prefix) = a.ctx.config.as_ref().and_then(|c| c.get("prefix")) {
      let origin = prefix.origin();
      a.note(format!("prefix = {} from {origin}", prefix.value));
    }
    a.run(
      format!(
        "npm installs global packages under its prefix, and your user may not write there ({path}). Do not use sudo npm (it runs \
         every install script as root); give npm a folder of your own for global packages:"
      ),
      "npm config set prefix ~/.npm-global",
    );
    a.run(
      "and put its bin folder on PATH (in your shell's rc file), then install again:",
      "export PATH=\"$HOME/.npm-global/bin:$PATH\"",
    );
    a.say("Or install Node.js with a version manager (nvm, fnm, mise, volta): its global packages live in your home.");
  } else {
    let dir = match path.find("/node_modules") {
      Some(i) => path[..i + "/node_modules".len()].to_owned(),
      None => path
        .rsplit_once('/')
        .map(|(d, _)| d.to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or(path.clone()),
    };
    a.run(
      format!("{dir} belongs to another user (an earlier `sudo npm install`, or a container volume). Take it back, then run npm again without sudo:"),
      format!("sudo chown -R \"$(id -u):$(id -g)\" {}", quote_path(&dir)),
    );
  }
}
