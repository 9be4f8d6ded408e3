//! npm's command line, read the way npm reads it. npm hands its arguments to
//! nopt with the types and shorthands of `@npmcli/config`'s definitions, and
//! [`parse`] does what nopt's `parse()` does with them (nopt 6–10, npm 8–12),
//! quirks included: which options are set, and which words are left over
//! (the first is the command). So `npm --noproxy x publish` is a publish,
//! `npm --ca x install` an install, and `npm --global=yes install` runs the
//! command `yes`, as npm does.
//!
//! The flag table (`npm_flags/table.rs`) is generated from npm's own
//! definitions by `tests/support/npm-flags.js` (the union of npm 8 to 12;
//! regenerate it when npm adds a flag), and `tests/npm_flags.rs` checks the
//! table and this parser against the npm installed here, with nopt itself as
//! the oracle.
//!
//! For each argument, as nopt does:
//! - `--` (or any run of two or more dashes) ends the options; the rest are words.
//! - A word that does not start with `-` (or is `-` alone) is a positional, and
//!   options may follow it (`npm install --tag x foo` sets `tag`).
//! - `--flag=value` becomes the two arguments `--flag` `value`, which is why
//!   `--global=yes` leaves `yes` behind: a Boolean never takes a word other
//!   than `true` or `false`.
//! - A shorthand is replaced by what it stands for and read again: `-g` is
//!   `--global`, `-dd` is `--loglevel verbose`, `--silent` and `-s` are
//!   `--loglevel silent`, `-gS` is `-g -S`, `--reg` is `--registry`. Dashes do
//!   not matter here (`--g` is `-g`, `-silent` is `--silent`).
//! - `no-` in front (any case, repeatable) negates; a unique prefix of a flag
//!   stands for the flag (npm 11 warns about it and npm 12 refuses it, so
//!   these mostly turn up in old scripts). Prefixes are worked out over the
//!   union of npm 8 to 12's flags, so a prefix that only some version makes
//!   ambiguous (`--ign` is `--ignore-scripts` before npm 12) is not expanded.
//! - What follows a flag is its value or not by the shape of its type
//!   ([`Type`]): Booleans take only `true`/`false`; a type that is `String`
//!   alone takes the next argument unless it looks like a flag; every other
//!   type takes the next argument whatever it is (`--registry --x` sets the
//!   registry to `--x`); an unknown flag takes nothing unless written with `=`.
//!
//! Values are what nopt's `parse()` leaves, as text (`true`, `false`, `null`,
//! numbers as written). Not modelled: nopt's `clean()` afterwards, which trims
//! values, resolves paths, turns `--no-x` into `null` for types without
//! `false`, and drops (with a warning) values its type rejects.

mod table;

/// The shape of one of npm's config types, as nopt's `parse()` and
/// `@npmcli/config`'s `parseField()` see it: they never look at what a type
/// validates, only at whether the type is a list (`[null, String]`; nopt
/// reads a one-element list as its element) and which of `Boolean`, `String`,
/// `Number`, `null`, `Array` and literal words it allows. (A `path` counts
/// as a string to parseField; as npmx does not resolve paths there, that
/// makes no difference it could see.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Type {
  pub(crate) list: bool,
  pub(crate) boolean: bool,
  pub(crate) string: bool,
  pub(crate) number: bool,
  pub(crate) null: bool,
  /// `Array` in the list: the flag may be given many times. nopt's parse()
  /// only uses this to collect the values; an `.npmrc` value of such a type
  /// is split at blank lines (see `npmrc`).
  pub(crate) array: bool,
  /// Literal strings in a list (`"always"` in `["always", Boolean]`).
  pub(crate) words: &'static [&'static str],
}

/// url, path, Date, semver, Umask: they all parse alike.
const OTHER: Type = Type {
  list: false,
  boolean: false,
  string: false,
  number: false,
  null: false,
  array: false,
  words: &[],
};
const BOOLEAN: Type = Type {
  boolean: true,
  ..OTHER
};
const STRING: Type = Type {
  string: true,
  ..OTHER
};
const NUMBER: Type = Type {
  number: true,
  ..OTHER
};
const LIST: Type = Type {
  list: true,
  ..OTHER
};

/// npm's reading of its arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
  /// Every option set, as (config key, value), in the order given. A key
  /// given twice is here twice; npm uses the last (or all, for list types).
  pub(crate) options: Vec<(String, String)>,
  /// The words that are not options: the command first, then its arguments.
  pub(crate) positionals: Vec<String>,
}

impl Parsed {
  /// The value npm uses for `key`: the last one given.
  pub(crate) fn get(&self, key: &str) -> Option<&str> {
    self
      .options
      .iter()
      .rev()
      .find(|(k, _)| k == key)
      .map(|(_, v)| v.as_str())
  }
}

/// npm's arguments (without `npm` itself) as nopt reads them.
pub(crate) fn parse(args: &[String]) -> Parsed {
  let mut args = args.to_vec();
  let mut parsed = Parsed::default();
  let mut i = 0;
  while i < args.len() {
    let mut arg = args[i].clone();
    if only_dashes(&arg) {
      parsed.positionals.extend(args.drain(i + 1..));
      break;
    }
    if !arg.starts_with('-') || arg == "-" {
      parsed.positionals.push(arg);
      i += 1;
      continue;
    }
    let mut had_eq = false;
    if let Some(at) = arg.find('=') {
      let value = arg.split_off(at + 1);
      arg.pop();
      args.splice(i..=i, [arg.clone(), value]);
      had_eq = true;
    }
    if let Some(expansion) = shorthand(&arg) {
      args.splice(i..=i, expansion.iter().map(|s| s.to_string()));
      // Read what it stands for from the start (nopt's `i--`).
      if expansion.first() != Some(&arg.as_str()) {
        continue;
      }
    }
    let (name, no) = without_no(arg.trim_start_matches('-'));
    let name = abbreviation(name).unwrap_or(name).to_owned();
    let (value, taken) = value(flag_type(&name), no, had_eq, args.get(i + 1));
    parsed.options.push((name, value));
    i += 1 + taken;
  }
  parsed
}

/// The type npm gives `key`, if npm (8 to 12) defines it.
pub(crate) fn flag_type(key: &str) -> Option<Type> {
  table::FLAGS
    .binary_search_by(|(k, _)| (*k).cmp(key))
    .ok()
    .map(|at| table::FLAGS[at].1)
}

/// The arguments a shorthand (`g`, `dd`, `reg`, without dashes) stands for.
pub(crate) fn shorthand_expansion(name: &str) -> Option<&'static [&'static str]> {
  table::SHORTHANDS
    .binary_search_by(|(k, _)| (*k).cmp(name))
    .ok()
    .map(|at| table::SHORTHANDS[at].1)
}

/// Every flag npm (8 to 12) defines.
pub(crate) fn flag_names() -> impl Iterator<Item = &'static str> + Clone {
  table::FLAGS.iter().map(|(k, _)| *k)
}

/// Every shorthand's name.
pub(crate) fn shorthand_names() -> impl Iterator<Item = &'static str> + Clone {
  table::SHORTHANDS.iter().map(|(k, _)| *k)
}

/// nopt's `resolveShort`: what `arg` stands for if it is a shorthand, a run
/// of one-letter shorthands, or a unique prefix of a shorthand's name.
fn shorthand(arg: &str) -> Option<Vec<&'static str>> {
  let name = arg.trim_start_matches('-');
  if flag_type(name).is_some() {
    return None;
  }
  if let Some(expansion) = shorthand_expansion(name) {
    return Some(expansion.to_vec());
  }
  // `-gS`. nopt's check passes vacuously for nothing at all, so `--=x`
  // loses its `--` and `x` is a positional.
  let singles: Option<Vec<&[&str]>> = name
    .chars()
    .map(|c| shorthand_expansion(c.encode_utf8(&mut [0; 4])))
    .collect();
  if let Some(singles) = singles {
    return Some(singles.concat());
  }
  // A prefix of a flag is that flag, not a shorthand.
  if abbreviation(name).is_some() {
    return None;
  }
  unique_prefix(shorthand_names(), name)
    .and_then(shorthand_expansion)
    .map(<[&str]>::to_vec)
}

/// What the `abbrev` package maps `name` to among npm's flags: itself when it
/// is one, else the only flag it begins.
fn abbreviation(name: &str) -> Option<&'static str> {
  unique_prefix(flag_names(), name)
}

fn unique_prefix(
  mut names: impl Iterator<Item = &'static str> + Clone,
  prefix: &str,
) -> Option<&'static str> {
  if prefix.is_empty() {
    return None;
  }
  if let Some(exact) = names.clone().find(|n| *n == prefix) {
    return Some(exact);
  }
  let mut matches = names.by_ref().filter(|n| n.starts_with(prefix));
  match (matches.next(), matches.next()) {
    (Some(only), None) => Some(only),
    _ => None,
  }
}

/// `no-no-foo` is `foo` set to true: each `no-` (in any case) flips.
fn without_no(mut name: &str) -> (&str, Option<bool>) {
  let mut no = None;
  while name.len() >= 3 && name.as_bytes()[..3].eq_ignore_ascii_case(b"no-") {
    no = Some(!no.unwrap_or(false));
    name = &name[3..];
  }
  (name, no)
}

/// What nopt stores for a flag of type `ty` (`None`: one npm does not
/// define) and how many of the following arguments it takes (0 or 1).
fn value(
  ty: Option<Type>,
  no: Option<bool>,
  had_eq: bool,
  next: Option<&String>,
) -> (String, usize) {
  let next = next.map(String::as_str);
  let negated = no == Some(true);
  let boolean = no.is_some()
    || ty.is_some_and(|t| t.boolean)
    || (ty.is_none() && !had_eq)
    || (next == Some("false") && ty.is_some_and(|t| t.null));
  if boolean {
    if let Some(word @ ("true" | "false")) = next {
      return (((word == "true") != negated).to_string(), 1);
    }
    // A list with Boolean (`[null, Boolean, String]`) also takes a word that
    // fits it. So does a negated list without Boolean: `--no-workspace foo`
    // sets workspace to `foo`, and `--no-depth 3` depth to 3.
    if let (Some(t), Some(next)) = (ty.filter(|t| t.list), next.filter(|n| !n.is_empty())) {
      let fits = t.words.contains(&next)
        || (t.null && next == "null")
        || (t.number && !dashes_then_more(next, 2..) && crate::js::number(next).is_some())
        // nopt's test is /^-[^-]/: `--x` and `--` are taken, `-x` is not.
        || (t.string && !dashes_then_more(next, 1..=1));
      if fits {
        return (next.to_owned(), 1);
      }
    }
    return ((!negated).to_string(), 0);
  }
  let mut next = next;
  let mut taken = 1;
  if ty.is_some_and(|t| t.string && !t.list) {
    match next {
      None => next = Some(""),
      Some(n) if dashes_then_more(n, 1..=2) => {
        next = Some("");
        taken = 0;
      }
      Some(_) => {}
    }
  }
  if next.is_some_and(only_dashes) {
    next = None;
    taken = 0;
  }
  (next.unwrap_or("true").to_owned(), taken)
}

/// `--`, `---`, …: the end of the options.
fn only_dashes(arg: &str) -> bool {
  arg.len() >= 2 && arg.bytes().all(|b| b == b'-')
}

/// Starts with a number of dashes in `count`, then something else (nopt's
/// `/^-{1,2}[^-]+/`, `/^-[^-]/` and `/^-{2,}[^-]/`).
fn dashes_then_more(arg: &str, count: impl std::ops::RangeBounds<usize>) -> bool {
  let dashes = arg.len() - arg.trim_start_matches('-').len();
  dashes < arg.len() && count.contains(&dashes)
}

#[cfg(test)]
mod tests {
  use super::*;

  fn read(args: &[&str]) -> Parsed {
    parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
  }

  fn options(args: &[&str]) -> Vec<(String, String)> {
    read(args).options
  }

  fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list
      .iter()
      .map(|(k, v)| (k.to_string(), v.to_string()))
      .collect()
  }

  #[test]
  fn flags_with_values_are_skipped_on_the_way_to_the_command() {
    let p = read(&["--noproxy", "x", "publish"]);
    assert_eq!(p.positionals, ["publish"]);
    assert_eq!(p.get("noproxy"), Some("x"));
    assert_eq!(read(&["--ca", "x", "install"]).positionals, ["install"]);
    assert_eq!(
      read(&["-w", "pkg", "publish"]).get("workspace"),
      Some("pkg")
    );
    assert_eq!(read(&["-w", "pkg", "publish"]).positionals, ["publish"]);
    let p = read(&["--registry", "https://r/", "clean-install"]);
    assert_eq!(p.positionals, ["clean-install"]);
    // Options may come after the command, too.
    let p = read(&["install", "--tag", "beta", "lodash"]);
    assert_eq!((p.get("tag"), p.positionals.len()), (Some("beta"), 2));
  }

  #[test]
  fn booleans_equals_and_no() {
    assert_eq!(options(&["--no-audit"]), pairs(&[("audit", "false")]));
    assert_eq!(options(&["--NO-no-audit"]), pairs(&[("audit", "true")]));
    assert_eq!(options(&["--foo=bar"]), pairs(&[("foo", "bar")]));
    // An unknown flag without `=` takes nothing: the URL is the command.
    let p = read(&["--@a:registry", "https://x/", "install"]);
    assert_eq!(p.options, pairs(&[("@a:registry", "true")]));
    assert_eq!(p.positionals, ["https://x/", "install"]);
    // A Boolean takes `true`/`false` after it, and nothing else.
    assert_eq!(
      read(&["--global", "false", "ls"]).get("global"),
      Some("false")
    );
    assert_eq!(
      read(&["--global=yes", "install"]).positionals,
      ["yes", "install"]
    );
    assert_eq!(read(&["--no-global", "false"]).get("global"), Some("true"));
  }

  #[test]
  fn what_each_type_takes() {
    // `[null, "restricted", "public"]`, `[Array, "dev", …]`: anything next.
    assert_eq!(read(&["--access", "public"]).get("access"), Some("public"));
    assert_eq!(read(&["--omit", "dev", "ci"]).positionals, ["ci"]);
    assert_eq!(read(&["--audit-level", "x"]).get("audit-level"), Some("x"));
    assert_eq!(read(&["--registry", "--x"]).get("registry"), Some("--x"));
    assert_eq!(read(&["--registry"]).get("registry"), Some("true"));
    // String alone: not something that looks like a flag.
    let p = read(&["--tag", "-g", "x"]);
    assert_eq!(p.options, pairs(&[("tag", ""), ("global", "true")]));
    assert_eq!(read(&["--tag"]).get("tag"), Some(""));
    // `[null, Boolean, String]` takes a word, `[null, Boolean]` does not.
    assert_eq!(
      read(&["--browser", "firefox"]).get("browser"),
      Some("firefox")
    );
    assert_eq!(read(&["--browser", "-x"]).positionals, Vec::<String>::new());
    assert_eq!(read(&["--yes", "cowsay"]).positionals, ["cowsay"]);
    assert_eq!(read(&["--color", "always"]).get("color"), Some("always"));
    assert_eq!(read(&["--color", "auto"]).positionals, ["auto"]);
    // `false` after a type that allows null.
    assert_eq!(
      read(&["--otp", "false", "publish"]).positionals,
      ["publish"]
    );
    // `--no-` on a list takes a word that fits it.
    assert_eq!(
      read(&["--no-workspace", "foo"]).get("workspace"),
      Some("foo")
    );
    assert_eq!(read(&["--no-depth", "3"]).get("depth"), Some("3"));
    assert_eq!(read(&["--no-depth", "x"]).positionals, ["x"]);
  }

  #[test]
  fn end_of_options() {
    let p = read(&["run", "build", "--", "--registry", "x"]);
    assert_eq!(p.positionals, ["run", "build", "--registry", "x"]);
    assert!(p.options.is_empty());
    assert_eq!(read(&["--", "install"]).positionals, ["install"]);
    // A value-taking flag does not eat the `--`.
    let p = read(&["--registry", "--", "x"]);
    assert_eq!(p.get("registry"), Some("true"));
    assert_eq!(p.positionals, ["x"]);
    assert_eq!(read(&["-", "x"]).positionals, ["-", "x"]);
  }

  #[test]
  fn shorthands() {
    assert_eq!(options(&["-g"]), pairs(&[("global", "true")]));
    assert_eq!(options(&["-dd"]), pairs(&[("loglevel", "verbose")]));
    assert_eq!(options(&["-d"]), pairs(&[("loglevel", "info")]));
    assert_eq!(options(&["-s"]), pairs(&[("loglevel", "silent")]));
    assert_eq!(options(&["--silent"]), pairs(&[("loglevel", "silent")]));
    assert_eq!(options(&["-silent"]), pairs(&[("loglevel", "silent")]));
    assert_eq!(options(&["--local"]), pairs(&[("global", "false")]));
    assert_eq!(
      options(&["-gS"]),
      pairs(&[("global", "true"), ("save", "true")])
    );
    assert_eq!(
      options(&["--reg", "https://r/"]),
      pairs(&[("registry", "https://r/")])
    );
    assert_eq!(
      options(&["--reg=https://r/"]),
      pairs(&[("registry", "https://r/")])
    );
    assert_eq!(options(&["-C", "/app"]), pairs(&[("prefix", "/app")]));
    // A unique prefix of a shorthand, then of a flag.
    assert_eq!(options(&["--sil"]), pairs(&[("loglevel", "silent")]));
    assert_eq!(options(&["--regi", "x"]), pairs(&[("registry", "x")]));
    // `--=x` loses its flag.
    assert_eq!(read(&["--=x"]).positionals, ["x"]);
  }

  #[test]
  fn abbreviations_need_a_unique_prefix() {
    assert_eq!(abbreviation("cache"), Some("cache"));
    assert_eq!(abbreviation("cach"), None);
    assert_eq!(abbreviation("userc"), Some("userconfig"));
    assert_eq!(abbreviation(""), None);
  }

  #[test]
  fn the_table_is_sorted_for_binary_search() {
    let flags: Vec<_> = flag_names().collect();
    let shorthands: Vec<_> = shorthand_names().collect();
    assert!(flags.windows(2).all(|w| w[0] < w[1]));
    assert!(shorthands.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(flag_type("registry"), Some(OTHER));
    assert_eq!(flag_type("tag"), Some(STRING));
    assert_eq!(shorthand_expansion("reg"), Some(&["--registry"][..]));
  }
}
