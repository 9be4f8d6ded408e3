//! The parser meets arbitrary input: it must never panic, and time and memory
//! must stay bounded. A deterministic generator (no extra dependency) mixes
//! random bytes with fragments of npm's own output, so the random inputs reach
//! deep into the parser rather than failing at its first check.

struct Rng(u64);

impl Rng {
  fn next(&mut self) -> u64 {
    // xorshift64*
    self.0 ^= self.0 >> 12;
    self.0 ^= self.0 << 25;
    self.0 ^= self.0 >> 27;
    self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
  }

  fn below(&mut self, n: usize) -> usize {
    (self.next() % n as u64) as usize
  }
}

const FRAGMENTS: &[&str] = &[
  "npm error ",
  "npm ERR! ",
  "npm warn ",
  "npm notice ",
  "code ",
  "E403",
  "E401",
  "EOTP",
  "ECONNREFUSED",
  "403 Forbidden - PUT https://registry.npmjs.org/x - ",
  "404 Not Found - GET ",
  " - ",
  "\n",
  "\r\n",
  "A complete log of this run can be found in: /x.log",
  "> pkg@1.0.0 test\n",
  "{\n  \"error\": {\n",
  "\"code\": \"E404\",",
  "}",
  "\\n",
  "\\\"",
  "\u{1b}[31m",
  "\u{1b}]0;x\u{7}",
  "12 error ",
  "7 verbose argv \"",
  "request to https://h/x failed, reason: ",
  "getaddrinfo EAI_AGAIN h",
  "${NPM_TOKEN}",
  "Access token expired or revoked",
  "2025-08-14T17:32:21.8216130Z ",
  "é",
  "\u{202e}",
  "npm_abcdefghijklmnopqrstuvwxyz0123456789",
];

fn random_input(rng: &mut Rng) -> String {
  let mut out = Vec::new();
  for _ in 0..rng.below(200) {
    if rng.below(3) == 0 {
      for _ in 0..rng.below(20) {
        out.push(rng.next() as u8);
      }
    } else {
      out.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes());
    }
  }
  String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn arbitrary_input_never_panics() {
  let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
  for _ in 0..3000 {
    let input = random_input(&mut rng);
    let _ = npmx::testing::diagnose_text(&input);
  }
}

#[test]
fn a_100_mb_line_without_a_newline_is_bounded() {
  let mut line = String::from("npm error code E403 ");
  line.push_str(&"x".repeat(100 * 1024 * 1024));
  // A code line with no request, method or closing line: nothing to say. The
  // line is cut at 64 KiB on the way in, so this is as quick as a short one.
  assert_eq!(npmx::testing::diagnose_text(&line), Vec::<&str>::new());
}

#[test]
fn a_json_error_among_many_json_looking_lines_is_found() {
  let mut text = "{\n  \"error\": {\n".repeat(20_000);
  text.push_str("{\n  \"error\": {\n    \"code\": \"E429\",\n    \"summary\": \"429 Too Many Requests - GET https://r/x\"\n  }\n}\n");
  assert_eq!(npmx::testing::diagnose_text(&text), ["rate-limited"]);
}
