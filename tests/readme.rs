//! The README's cause table is generated from the code's catalogue, so the
//! two cannot drift. `NPMX_BLESS=1 cargo test --test readme` rewrites it.

use std::{fs, path::Path};

#[test]
fn cause_table_matches_the_catalogue() {
  let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
  let readme = fs::read_to_string(&path).unwrap();
  let (start, end) = ("<!-- causes:start -->\n", "<!-- causes:end -->");
  let from = readme
    .find(start)
    .expect("README has the causes:start marker")
    + start.len();
  let to = readme.find(end).expect("README has the causes:end marker");
  let table = npmx::testing::cause_table_markdown();
  if readme[from..to] == table {
    return;
  }
  if std::env::var_os("NPMX_BLESS").is_some() {
    fs::write(
      &path,
      format!("{}{table}{}", &readme[..from], &readme[to..]),
    )
    .unwrap();
    return;
  }
  panic!("README's cause table is out of date; run `NPMX_BLESS=1 cargo test --test readme`");
}
