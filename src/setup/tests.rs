//! What setup decides, without touching a real home.

use super::*;

fn layout(exe: &str) -> Layout {
  Layout::of(PathBuf::from(exe))
}

#[test]
fn shims_go_beside_the_install_never_in_its_bin() {
  let l = layout("/home/me/.local/bin/npmx");
  assert_eq!(l.prefix, Path::new("/home/me/.local"));
  assert_eq!(l.shims, Path::new("/home/me/.local/lib/npmx/shims"));
  assert_eq!(l.link_target, Path::new("../../../bin/npmx"));
  assert_eq!(l.state, Path::new("/home/me/.local/lib/npmx/setup"));

  // npm's global layout: the platform package's binary, under the prefix.
  let l = layout(
    "/usr/local/lib/node_modules/@npmx-cli/npmx/node_modules/@npmx-cli/npmx-linux-x64-gnu/npmx",
  );
  assert_eq!(l.prefix, Path::new("/usr/local"));
  assert_eq!(l.shims, Path::new("/usr/local/lib/npmx/shims"));
  assert_eq!(
    l.link_target,
    Path::new(
      "../../../lib/node_modules/@npmx-cli/npmx/node_modules/@npmx-cli/npmx-linux-x64-gnu/npmx"
    )
  );

  let l = layout("/opt/dl/npmx");
  assert_eq!(l.shims, Path::new("/opt/dl/npmx-setup/shims"));
  assert_eq!(l.link_target, Path::new("../../npmx"));
}

#[test]
fn the_block_goes_before_debian_s_early_return_and_at_the_end() {
  let bashrc = b"# ~/.bashrc\n\n# If not running interactively, don't do anything\ncase $- in\n    *i*) ;;\n      *) return;;\nesac\n\nalias ll='ls -l'\n";
  let out = with_blocks(bashrc, "BLOCK\n", Place::BeforeGuardAndEnd);
  assert_eq!(
    String::from_utf8(out).unwrap(),
    "# ~/.bashrc\n\nBLOCK\n# If not running interactively, don't do anything\ncase $- in\n    *i*) ;;\n      *) return;;\nesac\n\nalias ll='ls -l'\nBLOCK\n"
  );
  let arch = b"[[ $- != *i* ]] && return\nPS1='$ '";
  let out = with_blocks(arch, "BLOCK\n", Place::BeforeGuardAndEnd);
  assert_eq!(
    String::from_utf8(out).unwrap(),
    "BLOCK\n[[ $- != *i* ]] && return\nPS1='$ '\nBLOCK\n"
  );
  // No guard: the end only.
  let out = with_blocks(b"export A=1\n", "BLOCK\n", Place::BeforeGuardAndEnd);
  assert_eq!(String::from_utf8(out).unwrap(), "export A=1\nBLOCK\n");
}

#[test]
fn blocks_are_stripped_wherever_they_are() {
  let block = Block {
    start: "# >>> npmx $HOME/.local >>>".into(),
    end: "# <<< npmx $HOME/.local <<<".into(),
  };
  let text = b"a\n# >>> npmx $HOME/.local >>>\nx\n# <<< npmx $HOME/.local <<<\nb\n# >>> npmx $HOME/.local >>>\ny\n# <<< npmx $HOME/.local <<<\n";
  assert_eq!(strip(text, &block), (b"a\nb\n".to_vec(), true));
  assert_eq!(strip(b"a\n", &block), (b"a\n".to_vec(), false));
}

#[test]
fn paths_are_quoted_for_each_shell() {
  let home = Path::new("/home/me");
  assert_eq!(
    quoted(Path::new("/home/me/.local/lib"), Some(home), Flavour::Sh),
    "$HOME/.local/lib"
  );
  assert_eq!(
    quoted(Path::new("/home/me/a b/$x"), Some(home), Flavour::Sh),
    "/home/me/a b/\\$x"
  );
  assert_eq!(
    quoted(Path::new("/opt/`q`\""), Some(home), Flavour::Sh),
    "/opt/\\`q\\`\\\""
  );
  assert_eq!(
    quoted(Path::new("/opt/`q`"), Some(home), Flavour::Fish),
    "/opt/`q`"
  );
}

#[test]
fn options() {
  let p = |a: &[&str]| parse(&a.iter().map(OsString::from).collect::<Vec<_>>());
  assert_eq!(
    p(&["--undo"]).unwrap(),
    Some(Args {
      undo: true,
      shells: None
    })
  );
  assert_eq!(
    p(&["--shell=zsh,fish"]).unwrap().unwrap().shells,
    Some(vec![Shell::Zsh, Shell::Fish])
  );
  assert_eq!(p(&["--shell=none"]).unwrap().unwrap().shells, Some(vec![]));
  assert!(p(&["--shell=tcsh"]).is_err());
  assert!(p(&["--frob"]).is_err());
  assert_eq!(p(&["--help"]).unwrap(), None);
}
