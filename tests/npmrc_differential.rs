//! npmx reads an `.npmrc` as npm does, with the npm installed here as the
//! oracle: a deterministic generator writes a few dozen tricky files (inline
//! comments, both kinds of quotes, escapes, `=` in values, BOM, CRLF and lone
//! CR, sections, `key[]=`, `${VAR}` in all its forms, duplicates, per-host
//! keys), and for each one every value npm's config holds must be what npmx
//! makes of the same file. Needs node and npm; fails without.
//!
//! npm runs in an environment of its own: `env -i` with PATH, a temporary
//! HOME, the variables the files refer to, `--userconfig <the file>`,
//! `--globalconfig <an empty file>` and a temporary cache, so neither this
//! machine's npmrc nor NODE_EXTRA_CA_CERTS reaches it. `npm config` skips
//! npm's validation of values, so what it shows is exactly the reading.
//!
//! The oracle is `npm config list --json` (one npm per file, every key at
//! once), with each value turned into text by `String()` in node, which is
//! exactly what `npm config get KEY` prints. `npm config get` itself cannot
//! be asked in bulk: it refuses secrets (`_authToken`, `_auth`, `username`,
//! …) by failing the whole command, and a key that is a `[section]` makes it
//! crash ("Cannot convert object to primitive value"). `list --json` leaves
//! secrets out instead, so those are compared through a per-host key npm
//! shows (`//r.example/:always-auth`): npm reads every per-host key the same
//! way, whatever its last part. (A top-level `_authToken` would also make
//! npm stop with ERR_INVALID_AUTH.) Two more things keep the oracle honest:
//! `list --json` prints a config with a key `0` as a JSON array, so the
//! generator writes `0` only inside sections (and the test stops if npm
//! prints an array); and one `npm config get k1 k2 …` over a file of
//! one-line values checks that its output is the `String()` compared here.
//!
//! Where npm stops because `ini` throws on a file ("Exit prior to config
//! file resolving"), npmx must say that npm cannot read it, and the other
//! way round. `NPMX_NPMRC_FILES` and `NPMX_NPMRC_SEED` run more files or
//! other ones (the default, 40 files, takes about 10 s).

use std::{
  collections::{BTreeMap, BTreeSet},
  path::Path,
  process::Command,
};

#[path = "support/npm.rs"]
mod npm;

/// The variables the files refer to, and npm gets.
const VARS: &[(&str, &str)] = &[
  ("NPMX_T_SET", "set-value"),
  ("NPMX_T_EMPTY", ""),
  ("NPMX_T_KEY", "k1"),
  ("NPMX_T_PART", "always-auth"),
  ("NPMX_T_NUM", " 42 "),
  ("NPMX_T_SEMI", "a;b#c"),
  ("NPMX_T_SPACE", "  spaced  "),
  ("NPMX_T_ONE", "1"),
];

/// How many files, and the generator's seed: 40 and a fixed one, unless
/// `NPMX_NPMRC_FILES` and `NPMX_NPMRC_SEED` say otherwise (to hunt for more
/// differences, at about 0.2 s a file).
fn files_and_seed() -> (usize, u64) {
  let var = |name| std::env::var(name).ok();
  (
    var("NPMX_NPMRC_FILES").map_or(40, |n| n.parse().expect("NPMX_NPMRC_FILES")),
    // xorshift stays at 0 from 0.
    var("NPMX_NPMRC_SEED").map_or(0x6e706d7263, |s| {
      s.parse::<u64>().expect("NPMX_NPMRC_SEED").max(1)
    }),
  )
}

#[test]
fn npmx_reads_npmrc_files_as_npm_does() {
  let dir = npm::npm_dir();
  let major = npm::npm_major(&dir);
  let node = which::which("node").expect("node on PATH: this test needs node and npm");
  let tmp = tempfile::tempdir().unwrap();
  let home = tmp.path().join("home");
  let work = tmp.path().join("work");
  std::fs::create_dir_all(&home).unwrap();
  std::fs::create_dir_all(&work).unwrap();
  // npm reads the project .npmrc at the nearest package root: this one.
  std::fs::write(work.join("package.json"), "{}").unwrap();
  std::fs::write(tmp.path().join("empty"), "").unwrap();
  // npm refuses one file as both user and global config.
  std::fs::write(tmp.path().join("empty-user"), "").unwrap();

  let (count, seed) = files_and_seed();
  let mut rng = Rng(seed);
  let files: Vec<String> = (0..count)
    .map(|i| match HAND_WRITTEN.get(i) {
      Some(text) => text.to_string(),
      None => generate(&mut rng, major),
    })
    .collect();
  let mut env: Vec<(&str, String)> = VARS.iter().map(|(k, v)| (*k, v.to_string())).collect();
  env.push(("HOME", home.display().to_string()));
  let env_pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

  let ours: Vec<Vec<(String, String, usize)>> = files
    .iter()
    .map(|text| npmx::testing::npmrc_entries(text, &env_pairs))
    .collect();

  // npm's output, or `None` where npm stops because it cannot read the file.
  let run = |file: &Path, args: &[&str]| -> Option<String> {
    let out = Command::new(&node)
      .arg(dir.join("bin/npm-cli.js"))
      .args(["--userconfig".as_ref(), file.as_os_str()])
      .args([
        "--globalconfig".as_ref(),
        tmp.path().join("empty").as_os_str(),
      ])
      .args(["--cache".as_ref(), tmp.path().join("cache").as_os_str()])
      .args(args)
      .current_dir(&work)
      .env_clear()
      .env(
        "PATH",
        format!("{}:/usr/bin:/bin", node.parent().unwrap().display()),
      )
      // The one npm_config_ variable: no request to the registry for npm's
      // latest version (slow, and here a TLS error). Every run has it,
      // the empty file's too, so it compares as a default.
      .env("npm_config_update_notifier", "false")
      .envs(env.iter().map(|(k, v)| (k, v)))
      .output()
      .unwrap();
    // What npm says when `ini` throws on the file.
    if !out.status.success()
      && String::from_utf8_lossy(&out.stderr).contains("Exit prior to config file resolving")
    {
      return None;
    }
    assert!(
      out.status.success(),
      "npm config list failed ({}) on {}:\n{}{}\n--- the file ---\n{}",
      out.status,
      file.display(),
      String::from_utf8_lossy(&out.stdout),
      String::from_utf8_lossy(&out.stderr),
      std::fs::read_to_string(file)
        .unwrap_or_default()
        .escape_debug()
    );
    Some(String::from_utf8(out.stdout).unwrap())
  };
  let list = ["config", "list", "--json"];

  let paths: Vec<_> = (0..count)
    .map(|i| tmp.path().join(format!("npmrc-{i}")))
    .collect();
  for (path, text) in paths.iter().zip(&files) {
    std::fs::write(path, text).unwrap();
  }
  // Two at a time: this machine has two cores and other work. The last run
  // is npm's defaults, with an empty file.
  let mut outputs: Vec<(usize, Option<String>)> = std::thread::scope(|s| {
    let workers: Vec<_> = (0..2)
      .map(|w| {
        let (run, paths) = (&run, &paths);
        s.spawn(move || {
          (w..count)
            .step_by(2)
            .map(|i| (i, run(&paths[i], &list)))
            .collect::<Vec<_>>()
        })
      })
      .collect();
    workers
      .into_iter()
      .flat_map(|w| w.join().unwrap())
      .collect()
  });
  outputs.sort();
  // Where npm stops, npmx must know it does, and there is nothing to compare.
  let mut refused = 0;
  for (i, output) in &outputs {
    let npmx_says = npmx::testing::npmrc_npm_cannot_read(&files[*i]);
    assert_eq!(
      output.is_none(),
      npmx_says,
      "npm {} file {i}, npmx thinks it {}:\n{}",
      if output.is_none() { "refuses" } else { "reads" },
      if npmx_says { "refuses" } else { "reads" },
      files[*i]
    );
    refused += usize::from(npmx_says);
  }
  let outputs: Vec<(usize, String)> = outputs
    .into_iter()
    .filter_map(|(i, o)| Some((i, o?)))
    .chain([(count, run(&tmp.path().join("empty-user"), &list).unwrap())])
    .collect();
  let mut npm_says = as_text(&node, outputs.iter().map(|(_, o)| o.as_str()));
  let defaults = npm_says.pop().unwrap();

  let mut problems = Vec::new();
  let mut problem = |i: usize, key: &str, theirs: &str, mine: &str| {
    problems.push(format!(
      "file {i}, {key:?}: npm {theirs:?}, npmx {mine:?}\n--- file {i} ---\n{}---",
      files[i].escape_debug().to_string().replace("\\n", "\n")
    ))
  };
  let mut compared = 0;
  for ((i, _), theirs) in outputs.iter().zip(&npm_says) {
    let i = *i;
    let mine: BTreeMap<&str, &str> = ours[i]
      .iter()
      .map(|(k, v, _)| (k.as_str(), v.as_str()))
      .collect();
    let keys: BTreeSet<&str> = theirs
      .keys()
      .map(String::as_str)
      .chain(mine.keys().copied())
      .collect();
    for key in keys {
      if ["userconfig", "globalconfig", "cache"].contains(&key) {
        continue; // set on npm's command line, differently for each file
      }
      match (theirs.get(key), mine.get(key)) {
        (Some(Some(t)), Some(m)) if t == m => compared += 1,
        // Not set by this file: npm's default shows.
        (Some(t), None) if defaults.get(key) == Some(t) => {}
        // An object: a section, or a value written as single-quoted JSON
        // `'{…}'`.
        (Some(None), Some(&"[object Object]")) => compared += 1,
        // npm leaves out secrets, and `undefined` (JSON has none).
        (None, Some(m)) if !shown(key) || *m == "undefined" => {}
        (t, m) => problem(i, key, &format!("{t:?}"), &format!("{m:?}")),
      }
    }
  }
  eprintln!("{compared} values compared, {refused} files npm refuses");
  // The generator must keep writing files that set things, and mostly
  // files npm reads.
  assert!(
    compared > 10 * count,
    "only {compared} values set and compared"
  );
  assert!(
    refused < count / 5,
    "npm refuses {refused} of {count} files"
  );
  assert!(refused > 0, "no file tries npm's errors");
  assert!(
    problems.is_empty(),
    "{} values differ, e.g.:\n{}",
    problems.len(),
    problems[..problems.len().min(5)].join("\n")
  );

  // And through `npm config get`, the command people type, for the cases
  // that matter most (a file of one-line values, so its `key=value` lines
  // can be split).
  let get_file = tmp.path().join("npmrc-get");
  std::fs::write(&get_file, GET_FILE).unwrap();
  let keys = [
    "registry",
    "@acme:registry",
    "//r.example/:always-auth",
    "tag",
    "preid",
    "fetch-retries",
    "strict-ssl",
    "noproxy",
    "k1",
    "k2",
    "k3",
  ];
  let args: Vec<&str> = ["config", "get"].into_iter().chain(keys).collect();
  let printed = run(&get_file, &args).expect("npm reads GET_FILE");
  let printed: Vec<_> = printed.lines().collect();
  assert_eq!(printed.len(), keys.len(), "{printed:?}");
  for (key, line) in keys.iter().zip(printed) {
    let theirs = line
      .strip_prefix(&format!("{key}="))
      .unwrap_or_else(|| panic!("npm config get printed {line:?} for {key}"));
    let mine = npmx::testing::npmrc_get(GET_FILE, &env_pairs, key);
    assert_eq!(mine.as_deref(), Some(theirs), "npm config get {key}");
  }
}

/// For `npm config get`: every value fits on one line.
const GET_FILE: &str = r#"registry=https://r.example/ ; mirror
@acme:registry = "https://npm.acme.com/" # scoped
//r.example/:always-auth=${NPMX_T_SET}
tag='a ; b'
preid=a\;b\#c\d
fetch-retries=" 03 "
strict-ssl=
noproxy[]=a
noproxy[]= ${NPMX_T_SPACE} ;  expanded after trimming
k1=first
k2=x${NPMX_T_UNSET?}y\${NPMX_T_SET}${NPMX_T_UNSET}
${NPMX_T_KEY}=from a variable
k3="${NPMX_T_SEMI}" ; the value's own ; stays
"#;

/// Each `npm config list --json` output as key → `String(value)`, computed
/// by node itself; `None` for an object.
fn as_text<'a>(
  node: &Path,
  outputs: impl Iterator<Item = &'a str>,
) -> Vec<BTreeMap<String, Option<String>>> {
  let script = "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const text = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) ? null : String(v);
    if (input.some((o) => Array.isArray(JSON.parse(o)))) process.exit(3);
    process.stdout.write(JSON.stringify(input.map((o) =>
      Object.fromEntries(Object.entries(JSON.parse(o)).map(([k, v]) => [k, text(v)])))));";
  let input = serde_json::to_string(&outputs.collect::<Vec<_>>()).unwrap();
  let mut child = Command::new(node)
    .args(["-e", script])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
  use std::io::Write;
  child
    .stdin
    .take()
    .unwrap()
    .write_all(input.as_bytes())
    .unwrap();
  let out = child.wait_with_output().unwrap();
  assert!(
    out.status.code() != Some(3),
    "npm config list --json printed an array: a file sets the key `0`"
  );
  assert!(out.status.success(), "node could not read npm's output");
  serde_json::from_slice(&out.stdout).unwrap()
}

/// The cases worth writing down, before the generated ones.
const HAND_WRITTEN: &[&str] = &[
  "registry=https://r.example/ ; mirror\n",
  // A truthy key keeps its value when a section of its name begins, a falsy
  // one becomes that section; `[a.b]` turns `a` into an object.
  "k1=v\nk2=\na=1\nk3=x\n[k1]\nk3=y\n[k2]\n[a.b]\n",
  "a.b=1\n[a\\.b]\nk1=2\n",
  // Integer-like keys come first: the `${NPMX_T_ONE}` line is read after `1`.
  "${NPMX_T_ONE}=from-var\n1=literal\nk1=${NPMX_T_KEY}\n${NPMX_T_KEY}=later\n",
  "k1[]=a\nk1=b\nk1[]=c\nnoproxy=\"a\\n\\nb\"\nnoproxy[]=c\nk2='[1,[2,null]]'\n",
  // `null` (and a JSON object) under a dotted name moves under its first
  // part, as a section would; `a\.b` moves to `a.b`.
  "a.b=null\nk1.x='{}'\nk2\\.y=null\nk3=x\nk1=1\n",
  // A section named after a list writes its lines into the list.
  "k1[]=a\nk1[]=b\nk1[]=c\n[k1]\nlength=2\n5[]=x\n0[]=y\n0=w\nname=z\n[k1.3]\n[k1.1.0]\n",
  "noproxy[]=a\nnoproxy[]=b\n[noproxy]\n2=${NPMX_T_SET}\nlength[]=4\n",
  // npm stops: "Cannot set properties of null".
  "k1=null\n[k1.b]\n",
];

/// Keys npm shows: not what it counts as a secret (its `isProtected`).
fn shown(key: &str) -> bool {
  const PROTECTED: &[&str] = &[
    "auth",
    "authToken",
    "certfile",
    "email",
    "keyfile",
    "password",
    "username",
  ];
  let protected = key.starts_with('_')
    || PROTECTED.contains(&key)
    || (key.starts_with("//")
      && (key.contains(":_")
        || PROTECTED
          .iter()
          .any(|p| key.ends_with(&format!(":{p}")) || key.ends_with(&format!(":_{p}")))));
  !protected
}

/// One tricky `.npmrc`. `major` leaves out what that npm reads differently
/// from npm 11 on purpose (`${VAR?}` is npm ≥ 11; npm 8's ini takes a
/// blank line for a key and wants nothing after a section's `]`).
fn generate(rng: &mut Rng, major: u32) -> String {
  let ok = |s: &&str| (major >= 11 || !s.contains("?}")) && (major >= 9 || s.trim() == *s);
  let keys: Vec<&str> = [
    "k1",
    "k2",
    "k3",
    "tag",
    "preid",
    "noproxy",
    "strict-ssl",
    "audit",
    "yes",
    "color",
    "fetch-retries",
    "logs-max",
    "registry",
    "@acme:registry",
    "//r.example/:always-auth",
    "${NPMX_T_KEY}",
    "${NPMX_T_UNSET}",
    "//r.example/:${NPMX_T_PART}",
    "\\${NPMX_T_KEY}",
    "${NPMX_T_ONE}",
    "\"k2\"",
    "'k3'",
    "k1;x",
    "1",
    "02",
    "a.b",
    "2",
    "a",
    "k1.1",
  ]
  .into_iter()
  .collect();
  // Not `omit` or `include`: npm rewrites them once it has read every file
  // (without repeats, `omit` without what `include` has), which is npm
  // applying its settings, not reading them. `cidr` is another list type.
  let list_keys = ["k1", "k2", "noproxy", "cidr", "tag"];
  let values: Vec<&str> = [
    "abc",
    "a b",
    "x=y=z",
    "https://r.example/",
    "https://r.example/p?q=1&x=2",
    "é ü",
    "tab\there",
    "abc ; c",
    "abc # c",
    "abc;c",
    "abc#c",
    r"a\;b",
    r"a\#b",
    r"a\\;b",
    r"a\b",
    r"trailing\",
    r"\\\\",
    "\"dq ; x\"",
    "'sq # x'",
    "\"a\\nb\"",
    "\"\\u0041\"",
    "\"unterminated",
    "'unterminated",
    "\"a\" ; c",
    "'123'",
    "'1e3'",
    "'true'",
    "'null'",
    "'[1,\"a\",null]'",
    "'{\"a\":1}'",
    "\"\"",
    "''",
    "'\"x\"'",
    "\" spaced \"",
    "\"true\"",
    "\" null \"",
    "'",
    "\"",
    "${NPMX_T_SET}",
    "${NPMX_T_UNSET}",
    "${NPMX_T_EMPTY}",
    "\\${NPMX_T_SET}",
    "\\\\${NPMX_T_SET}",
    "\\\\\\${NPMX_T_SET}",
    "x${NPMX_T_SET}y${NPMX_T_SPACE}",
    "${NPMX_T_NUM}",
    "${NPMX_T_SEMI}",
    "\"${NPMX_T_SEMI}\"",
    "${NPMX_T_UNSET?}",
    "x${NPMX_T_SET?}",
    "${NPMX_T_SET",
    "$NPMX_T_SET",
    "${}",
    "${a b}",
    "",
    "true",
    "false",
    "null",
    "undefined",
    " 03 ",
    "0x10",
    "1e1",
    "-0",
    "abc\u{2028}def",
    "\"x\\n\\ny\"",
    "a\u{feff}",
    "mirror",
  ]
  .into_iter()
  .filter(ok)
  .collect();
  let spaces = ["", "", " ", "  ", "\t", "\u{a0}", "\u{3000}"];
  let comments = ["", "", "", " ; c", " # c", ";x", " #"];
  let headers: Vec<&str> = [
    "[s]",
    "[t] ",
    "  [s]",
    "[a.b]",
    "[k1]",
    "[k2]",
    "[\"s\"]",
    "[a\\.b]",
    "[__proto__]",
    "[1]",
    "[k1.1]",
    "[noproxy]",
    "[a.b.c]",
    "[a]",
  ]
  .into_iter()
  .filter(ok)
  .collect();
  let ends = ["\n", "\r\n", "\r"];
  let end = ends[rng.below(3)];
  let mixed = rng.below(4) == 0;
  let with_sections = rng.below(2) == 0;
  let count = 25 + rng.below(20);
  let mut text = String::new();
  if rng.below(4) == 0 {
    text.push('\u{feff}');
  }
  let mut in_section = false;
  for n in 0..count {
    let ws = |rng: &mut Rng| spaces[rng.below(spaces.len())];
    // `0` and `length` only in sections, where they write into a list. At
    // the top, npm reads them fine, but a config with a key `0` makes
    // `npm config list --json` print a JSON array of the index keys alone
    // (its JSON output merges objects with keys 0, 1, … into an array).
    let key = |rng: &mut Rng| match rng.below(10) {
      0 if in_section => ["0", "length"][rng.below(2)],
      _ => keys[rng.below(keys.len())],
    };
    let line = if with_sections && n > count * 2 / 3 && rng.below(4) == 0 {
      let header = headers[rng.below(headers.len())];
      // (Indented, it is no header.)
      in_section |= header.starts_with('[');
      header.to_owned()
    } else {
      match rng.below(24) {
        0 => ["; c", "# c", "  ; indented", "\t# tab", ";", "#k1=v"][rng.below(6)].to_owned(),
        1 if major >= 9 => ["", "   ", "\t"][rng.below(3)].to_owned(),
        2 => key(rng).to_owned(),
        3 => "=orphan".to_owned(),
        4..=7 => format!(
          "{}{}[]{}={}{}{}",
          ws(rng),
          list_keys[rng.below(list_keys.len())],
          ws(rng),
          ws(rng),
          values[rng.below(values.len())],
          comments[rng.below(comments.len())]
        ),
        _ => format!(
          "{}{}{}={}{}{}{}",
          ws(rng),
          key(rng),
          ws(rng),
          ws(rng),
          values[rng.below(values.len())],
          ws(rng),
          comments[rng.below(comments.len())]
        ),
      }
    };
    text.push_str(&line);
    text.push_str(if mixed { ends[rng.below(3)] } else { end });
  }
  text
}

/// xorshift64: the same files on every run.
struct Rng(u64);

impl Rng {
  fn below(&mut self, n: usize) -> usize {
    self.0 ^= self.0 << 13;
    self.0 ^= self.0 >> 7;
    self.0 ^= self.0 << 17;
    (self.0 % n as u64) as usize
  }
}
