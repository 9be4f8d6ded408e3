//! The adversarial suite over redaction and rendering: random secrets of
//! every shape npmx knows, and secrets npmx was told of (with their decoded
//! and percent-encoded forms), in random places among random hostile text,
//! through every channel — the text on stderr, GitHub annotations, the step
//! summary, the report. No secret, nor any 8-character piece of one, may come
//! out; no raw control character, no workflow command that is not npmx's own
//! annotation, no Markdown that acts. Seeded, so a failure replays.

use crate::{
  Env,
  advice::Step,
  annotate::{self, Run},
  causes,
  ci::Ci,
  diagnose::Diagnosis,
  output::Clean,
  redact::Redactor,
  render, report,
};

/// xorshift64*: small, seeded, good enough to place things at random.
struct Rng(u64);

impl Rng {
  fn next(&mut self) -> u64 {
    self.0 ^= self.0 >> 12;
    self.0 ^= self.0 << 25;
    self.0 ^= self.0 >> 27;
    self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
  }
  fn below(&mut self, n: usize) -> usize {
    (self.next() % n as u64) as usize
  }
  fn range(&mut self, low: usize, high: usize) -> usize {
    low + self.below(high - low + 1)
  }
  fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
    items[self.below(items.len())]
  }
  fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
    (0..n)
      .map(|_| alphabet[self.below(alphabet.len())] as char)
      .collect()
  }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A random token from `alphabet` with a digit, an upper and a lower case
/// letter in it (as every real random token of that length has).
fn token(rng: &mut Rng, alphabet: &[u8], n: usize) -> String {
  let mut t = rng.chars(alphabet, n).into_bytes();
  for (i, class) in [
    b"0123456789".as_slice(),
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    b"abcdefghijklmnopqrstuvwxyz",
  ]
  .iter()
  .enumerate()
  {
    if alphabet.iter().any(|c| class.contains(c)) {
      let at = (i * 7 + rng.below(n.max(1))) % n;
      t[at] = class[rng.below(class.len())];
    }
  }
  String::from_utf8(t).unwrap()
}

/// (how it appears in the text, the secret part that must not come out).
fn shaped_secret(rng: &mut Rng) -> (String, String) {
  let n = rng.range(12, 48);
  let keyed = token(
    rng,
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-",
    n,
  );
  let bare = |secret: String| (secret.clone(), secret);
  match rng.below(26) {
    0 => bare(format!("npm_{}", token(rng, ALNUM, 36))),
    1 => bare(format!("ghp_{}", token(rng, ALNUM, 36))),
    2 => bare(format!(
      "github_pat_{}",
      token(
        rng,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
        82
      )
    )),
    3 => bare(format!("glpat-{}", token(rng, B64URL, 20))),
    4 => bare(format!("AKCp{}", token(rng, ALNUM, 69))),
    5 => bare(rng.chars(b"abcdefghijklmnopqrstuvwxyz234567", 52)),
    6 => {
      let n = rng.range(40, 400);
      bare(token(rng, B64, n) + ["", "=", "=="][rng.below(3)])
    }
    7 => {
      let (a, b, c) = (rng.range(10, 60), rng.range(10, 200), rng.range(10, 60));
      bare(format!(
        "eyJ{}.{}.{}",
        token(rng, B64URL, a),
        token(rng, B64URL, b),
        token(rng, B64URL, c)
      ))
    }
    8 => (format!("Bearer {keyed})"), keyed),
    9 => (format!("Bearer {keyed}'"), keyed),
    10 => (
      format!("WWW-Authenticate: Bearer realm=\"r\", token=\"{keyed}\""),
      keyed,
    ),
    11 => (format!("https://r.example/x?token={keyed}&a=1"), keyed),
    12 => (format!("#access_token={keyed}"), keyed),
    13 => (
      format!("?X-Amz-Security-Token={keyed}&X-Amz-Date=20240101"),
      keyed,
    ),
    14 => (format!("https://:{keyed}@npm.example/"), keyed),
    15 => (format!("https://ci-user:{keyed}@npm.example/"), keyed),
    16 => (format!("_authToken='{keyed}'"), keyed),
    17 => (format!("//npm.example/:_authToken=\"{keyed}\""), keyed),
    18 => (format!("Authorization: token {keyed}"), keyed),
    19 => (format!("authorization: Bearer {keyed}"), keyed),
    20 => (format!("{{\"password\": \"{keyed}\"}}"), keyed),
    21 => (format!("client_secret={keyed}"), keyed),
    22 => (format!("(Bearer {keyed})"), keyed),
    23 => (format!("_auth={keyed}"), keyed),
    24 => (format!("Private-Token: {keyed}"), keyed),
    _ => bare(format!(
      "AKIA{}",
      rng.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    )),
  }
}

/// Percent-encoded, each byte other than a letter or digit (and, at random,
/// some of those too) as `%XX` in either case.
fn percent_encode(rng: &mut Rng, text: &str) -> String {
  let mut out = String::new();
  for b in text.bytes() {
    if b.is_ascii_alphanumeric() && rng.below(4) != 0 {
      out.push(b as char);
    } else if rng.below(2) == 0 {
      out.push_str(&format!("%{b:02X}"));
    } else {
      out.push_str(&format!("%{b:02x}"));
    }
  }
  out
}

const FILLER: &[&str] = &[
  "npm",
  "error",
  "code",
  "E403",
  "403",
  "Forbidden",
  "GET",
  "PUT",
  "https://registry.npmjs.org/x",
  "the",
  "token",
  "password",
  "registry",
  "=",
  ":",
  "(",
  ")",
  "'",
  "\"",
  ",",
  "reason:",
  "1.2.3",
  "sha512-Xl3yiO6X2XvbHuvqC7AvoYfqK4ww6tl5ayE2fGy0bBMRi0v4YWFC5T4mB8Ckp2WfBXqAZ6TdP4IuYb9c0xVdg==",
  "/home/runner/work/My_Repo2/My_Repo2/node_modules",
];

const HOSTILE: &[&str] = &[
  "\u{1b}[31m",
  "\u{1b}[0m",
  "\u{1b}]0;pwned\u{7}",
  "\u{1b}]52;c;aGVsbG8=\u{7}",
  "\u{1b}]8;;http://evil.example/\u{1b}\\",
  "\u{1b}c",
  "\u{1b}[2J",
  "\u{1b}[H",
  "\r",
  "\n",
  "\r\n",
  "\u{7}",
  "\u{0}",
  "\u{8}",
  "\u{7f}",
  "\u{85}",
  "\u{9d}",
  "\u{202e}",
  "\u{2066}",
  "::error title=x::pwned",
  "::add-mask::x",
  "::stop-commands::t0k",
  "::warning::w",
  "::",
  "##[error]boom",
  "##[add-mask]x",
  "##[stop-commands]",
  "##vso[task.setvariable variable=x]1",
  "##teamcity[message text='x']",
  "%0A::error::x",
  "%25",
  "%",
  "[link](http://evil.example)",
  "![img](http://evil.example/x.png)",
  "<img src=x onerror=alert(1)>",
  "<script>",
  "<!--",
  "`code`",
  "```",
  "|a|b|",
  "*bold*",
  "_it_",
  "# heading",
  "> quote",
  "1. item",
  "- item",
  "@someone",
  "\u{a0}",
  "\u{2003}",
  "\u{3000}",
  "\u{2028}",
  "\t",
  "    ",
  "&lt;",
  "\\",
  "\\::error::x",
];

const SEPARATORS: &[&str] = &[
  " ", " ", " ", "\n", "\t", "\u{a0}", " (", ") ", ", ", "; ", " '", "' ",
];

struct Case {
  text: String,
  command: String,
  redactor: Redactor,
  /// Every secret placed, as it must not come out.
  secrets: Vec<String>,
}

fn case(seed: u64) -> Case {
  let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
  let mut redactor = Redactor::default();
  let mut secrets = Vec::new();
  let mut pieces: Vec<String> = Vec::new();
  // Secrets npmx was told of: a password and a base64 `_auth`.
  let printable: Vec<u8> = (b'!'..=b'~').collect();
  let n = rng.range(10, 30);
  let password = token(&mut rng, &printable, n);
  let user = rng.chars(b"abcdefghijklmnopqrstuvwxyz", 5);
  let auth = crate::redact::tests_base64(format!("{user}:{password}").as_bytes());
  redactor.add_secret(&password);
  redactor.add_base64_secret(&auth);
  for _ in 0..rng.range(1, 3) {
    pieces.push(match rng.below(5) {
      0 => password.clone(),
      1 => percent_encode(&mut rng, &password),
      2 => format!("{user}:{password}"),
      3 => auth.clone(),
      _ => format!(
        "https://{user}:{}@npm.example/",
        percent_encode(&mut rng, &password)
      ),
    });
  }
  secrets.push(password);
  secrets.push(auth);
  for _ in 0..rng.range(1, 5) {
    let (text, secret) = shaped_secret(&mut rng);
    pieces.push(text);
    secrets.push(secret);
  }
  for _ in 0..rng.range(5, 30) {
    let piece = if rng.below(2) == 0 {
      rng.pick(FILLER)
    } else {
      rng.pick(HOSTILE)
    };
    pieces.push(piece.to_owned());
  }
  // Shuffled, and joined with separators (a secret glued to a word is not a
  // token a shape can see; one npmx knows is masked even then).
  for i in (1..pieces.len()).rev() {
    pieces.swap(i, rng.below(i + 1));
  }
  let mut text = String::new();
  let mut starts = vec![0];
  for piece in pieces {
    text.push_str(&piece);
    text.push_str(rng.pick(SEPARATORS));
    starts.push(text.len());
  }
  // The command: the text from a random piece on (cutting through a
  // token would make a fragment no one could recognise).
  let split = starts[rng.below(starts.len())];
  let command = format!("npm publish {}", &text[split..]);
  Case {
    text,
    command,
    redactor,
    secrets,
  }
}

fn diagnosis(text: &str, command: &str) -> Diagnosis {
  Diagnosis {
    cause: causes::find("registry-forbidden").unwrap(),
    code: Some("E403".into()),
    summary: format!("GET to r.example answered 403 Forbidden: {text}"),
    evidence: vec![
      text.to_owned(),
      format!("403 Forbidden - GET https://r.example/x - {text}"),
    ],
    steps: vec![
      Step::run(format!("Do this: {text}"), command),
      Step::say(text),
    ],
    weight: 90,
    warning: false,
  }
}

fn percent_decode(text: &str) -> String {
  let bytes = text.as_bytes();
  let mut out = Vec::new();
  let mut i = 0;
  while i < bytes.len() {
    let hex = |b: u8| (b as char).to_digit(16);
    match (bytes[i] == b'%' && i + 2 < bytes.len())
      .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
      .flatten()
    {
      Some(v) => {
        out.push(v as u8);
        i += 3;
      }
      None => {
        out.push(bytes[i]);
        i += 1;
      }
    }
  }
  String::from_utf8_lossy(&out).into_owned()
}

fn assert_no_secret(channel: &str, out: &str, case: &Case, seed: u64) {
  // As written, with GitHub's and Markdown's escapes undone, and percent-decoded.
  let unescaped = out.replace('\\', "");
  let decoded = percent_decode(&unescaped);
  // Each 8-byte piece of a secret as a number; each window of the output a lookup.
  let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap());
  let mut wanted: Vec<u64> = case
    .secrets
    .iter()
    .flat_map(|s| s.as_bytes().windows(8).map(word))
    .collect();
  wanted.sort_unstable();
  wanted.dedup();
  for form in [out, &unescaped, &decoded] {
    if let Some(w) = form
      .as_bytes()
      .windows(8)
      .find(|w| wanted.binary_search(&word(w)).is_ok())
    {
      panic!(
        "seed {seed}: {channel} leaks {:?}\ninput: {:?}\noutput: {out}",
        String::from_utf8_lossy(w),
        case.text
      );
    }
  }
}

/// No raw control character, no workflow command but npmx's own annotations.
fn assert_harmless(channel: &str, out: &str, annotations: usize, seed: u64) {
  let bad = out.chars().find(|&c| {
    (c.is_control() && c != '\n' && c != '\t')
      || ('\u{202a}'..='\u{202e}').contains(&c)
      || ('\u{2066}'..='\u{2069}').contains(&c)
  });
  assert!(
    bad.is_none(),
    "seed {seed}: {channel} has {bad:?}:\n{out:?}"
  );
  let lower = out.to_ascii_lowercase();
  for command in ["##[", "##vso[", "##teamcity["] {
    assert!(
      !lower.contains(command),
      "seed {seed}: {channel} has {command}:\n{out}"
    );
  }
  let mut ours = 0;
  for line in out.split('\n') {
    let trimmed = line.trim_start();
    if trimmed.starts_with("::") {
      assert!(
        line.starts_with("::error title=npmx%3A ") || line.starts_with("::warning title=npmx%3A "),
        "seed {seed}: {channel} has a workflow command:\n{line}"
      );
      ours += 1;
    }
  }
  assert_eq!(ours, annotations, "seed {seed}: {channel}:\n{out}");
}

/// Markdown from outside: every character that could act is escaped.
fn assert_inert_markdown(text: &str, seed: u64) {
  assert!(
    !text.contains(['\n', '\r', '<', '>']),
    "seed {seed}: {text:?}"
  );
  let mut chars = text.chars();
  while let Some(c) = chars.next() {
    if c == '\\' {
      chars.next();
      continue;
    }
    assert!(
      !"`*_[]()!|~#@".contains(c),
      "seed {seed}: unescaped {c:?} in {text:?}"
    );
  }
}

#[test]
fn random_secrets_and_hostile_text_through_every_channel() {
  let dir = tempfile::tempdir().unwrap();
  for seed in 0..120u64 {
    let case = case(seed);
    let d = vec![diagnosis(&case.text, &case.command)];
    let r = &case.redactor;
    let width = [40, 57, 80, 100][seed as usize % 4];
    let style = render::Style {
      color: false,
      verbose: true,
      width,
    };
    let text = render::render(&d, style, r);
    assert_no_secret("stderr", text.as_str(), &case, seed);
    assert_harmless("stderr", text.as_str(), 0, seed);

    let summary = dir.path().join(format!("summary-{seed}.md"));
    let env = Env::from_pairs([
      ("GITHUB_ACTIONS", "true"),
      ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ]);
    let run = Run {
      command: r.clean(&case.command),
      exit: Some(1),
    };
    let annotated = annotate::decorate(text, &d, Some(Ci::GitHub), &env, r);
    let (path, md) = annotate::step_summary(&d, &env, r, &run).unwrap();
    annotate::write_summary(&path, &md);
    assert_no_secret("annotation", annotated.as_str(), &case, seed);
    assert_harmless("annotation", annotated.as_str(), 1, seed);

    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert_no_secret("step summary", &markdown, &case, seed);
    assert_harmless("step summary", &markdown, 0, seed);
    // Its shape is npmx's: the same lines as for harmless text, two fences.
    let benign = dir.path().join(format!("benign-{seed}.md"));
    let env = Env::from_pairs([
      ("GITHUB_ACTIONS", "true"),
      ("GITHUB_STEP_SUMMARY", benign.to_str().unwrap()),
    ]);
    let plain = vec![diagnosis("x", "npm publish x")];
    let plain_run = Run {
      command: Clean::ours("npm publish x"),
      exit: Some(1),
    };
    let (path, md) = annotate::step_summary(&plain, &env, r, &plain_run).unwrap();
    annotate::write_summary(&path, &md);
    let benign = std::fs::read_to_string(&benign).unwrap();
    assert_eq!(
      markdown.lines().count(),
      benign.lines().count(),
      "seed {seed}:\n{markdown}"
    );
    let fences = |m: &str| {
      m.lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count()
    };
    assert_eq!(fences(&markdown), 2, "seed {seed}:\n{markdown}");
    for foreign in [&d[0].summary, &d[0].steps[0].text, &case.text] {
      assert_inert_markdown(&annotate::markdown_text(r.clean(foreign).as_str()), seed);
    }

    let json = report::to_json(Some(1), &d, r);
    let value: serde_json::Value = serde_json::from_str(json.as_str()).unwrap();
    let mut strings = String::new();
    collect_strings(&value, &mut strings);
    assert_no_secret("report", &strings, &case, seed);
    assert_no_secret("report", json.as_str(), &case, seed);
    assert!(
      !strings
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t'),
      "seed {seed}"
    );
  }
}

fn collect_strings(value: &serde_json::Value, out: &mut String) {
  match value {
    serde_json::Value::String(s) => {
      out.push_str(s);
      out.push('\n');
    }
    serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
    serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
    _ => {}
  }
}

#[test]
fn a_cut_line_never_keeps_part_of_a_secret() {
  for seed in 0..120u64 {
    let case = case(seed);
    let text = case.text.replace('\n', " ");
    for max in (0..text.len()).step_by(37) {
      let kept = case.redactor.cut(&text, max);
      let shown = case.redactor.clean(kept);
      assert_no_secret("cut", shown.as_str(), &case, seed);
    }
  }
}
