//! `--npmx-diagnose [FILE]`: a saved npm output, CI log or debug log,
//! diagnosed without running npm.

use std::{io::Read, path::Path};

use crate::{
  Env, Error,
  config::Config,
  context::Context,
  diagnose::{self, Diagnosis},
  facts::Facts,
  line,
  output::{self, Clean},
  redact::{self, Redactor},
  render, report,
  transcript::Transcript,
};

/// Reads the input and prints what it finds. Exit: 0 found, 1 not, 2 unreadable.
pub(crate) fn diagnose_input(file: Option<&Path>, env: &Env) -> Result<i32, Error> {
  let what = file.map_or("standard input".to_owned(), |p| p.display().to_string());
  // Nothing of this machine describes a saved log, but this machine's
  // secrets are still masked if the pasted text holds them (and a line is
  // never cut through one).
  let cwd = std::env::current_dir().unwrap_or_default();
  let redactor = Context::local(Config::load(&[], env, &cwd, None), env).redactor;
  let mut reader = Reader::new(redactor.clone());
  let read = match file {
    Some(path) => std::fs::File::open(path).and_then(|f| reader.read_all(f)),
    None => reader.read_all(std::io::stdin().lock()),
  };
  read.map_err(|source| Error::Input { what, source })?;
  let facts = reader.finish();
  let (diagnoses, facts) = diagnose_facts(facts, redactor);
  let redactor = &diagnoses.ctx.redactor;
  let style = render::Style::for_stream(1, env);
  let text = if diagnoses.found.is_empty() {
    if facts.blocks.is_empty() {
      Clean::ours("npmx: no npm error found in the input\n")
    } else {
      Clean::ours("npmx: npm failed, but npmx knows no cause for this error\n")
    }
  } else {
    // The blank line that sets npmx apart from npm's output is not needed here.
    render::render(&diagnoses.found, style, redactor).trim_start()
  };
  output::stdout(&text);
  if let Some(path) = env.get_os("NPMX_REPORT").filter(|p| !p.is_empty()) {
    let json = report::to_json(None, &diagnoses.found, redactor);
    report::write(Path::new(path), &json, redactor);
  }
  Ok(if diagnoses.found.is_empty() { 1 } else { 0 })
}

/// What a saved text shows, and the context it was read in.
pub(crate) struct Offline {
  pub(crate) found: Vec<Diagnosis>,
  pub(crate) ctx: Context,
}

/// Diagnoses saved text of any of npm's formats.
pub(crate) fn diagnose_text(text: &str, redactor: Redactor) -> (Offline, Facts) {
  let mut reader = Reader::new(redactor.clone());
  reader
    .read_all(text.as_bytes())
    .expect("reading from memory cannot fail");
  diagnose_facts(reader.finish(), redactor)
}

fn diagnose_facts(facts: Facts, redactor: Redactor) -> (Offline, Facts) {
  let ctx = Context::offline(facts.argv.as_deref(), redactor);
  let found = diagnose::diagnose(&facts, &ctx, facts.blocks.is_empty());
  (Offline { found, ctx }, facts)
}

/// Reads a saved text as a stream, one bounded line at a time, so memory
/// stays small whatever the input (a 100 MB line, a million lines): the
/// transcript keeps what can matter, and the last [`TAIL`] bytes are kept
/// for npm's `--json` error objects, which come at the end.
struct Reader {
  /// For cutting overlong lines without cutting through a secret.
  redactor: Redactor,
  transcript: Transcript,
  line: Vec<u8>,
  /// The rest of an overlong line is being skipped.
  skipping: bool,
  tail: std::collections::VecDeque<String>,
  tail_bytes: usize,
}

const TAIL: usize = 1024 * 1024;

impl Reader {
  fn new(redactor: Redactor) -> Reader {
    Reader {
      redactor,
      transcript: Transcript::saved(),
      line: Vec::new(),
      skipping: false,
      tail: std::collections::VecDeque::new(),
      tail_bytes: 0,
    }
  }
}

impl Reader {
  fn read_all(&mut self, mut input: impl Read) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
      let n = match input.read(&mut buf) {
        Ok(0) => break,
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
        Err(e) => return Err(e),
      };
      let mut rest = &buf[..n];
      while let Some(at) = rest.iter().position(|&b| b == b'\n') {
        self.extend(&rest[..at]);
        self.end_line();
        rest = &rest[at + 1..];
      }
      self.extend(rest);
    }
    if !self.line.is_empty() {
      self.end_line();
    }
    Ok(())
  }

  fn extend(&mut self, bytes: &[u8]) {
    if self.skipping {
      return;
    }
    let room = (MAX_LINE + 4).saturating_sub(self.line.len());
    self.line.extend_from_slice(&bytes[..bytes.len().min(room)]);
    self.skipping = bytes.len() > room;
  }

  fn end_line(&mut self) {
    let raw = String::from_utf8_lossy(&self.line).into_owned();
    self.line.clear();
    self.skipping = false;
    let raw = raw.strip_suffix('\r').unwrap_or(&raw);
    let text = redact::strip_ansi(self.redactor.cut(raw, MAX_LINE)).into_owned();
    if line::from_log(&text).is_some() {
      self.transcript.debug_log_format();
    }
    for line in unescape(&text) {
      match line::from_output(&line) {
        Some(npm) => self.transcript.push_npm(npm),
        None => self.transcript.push_other(&line),
      }
    }
    self.tail_bytes += text.len() + 1;
    self.tail.push_back(text);
    while self.tail_bytes > TAIL {
      let Some(old) = self.tail.pop_front() else {
        break;
      };
      self.tail_bytes -= old.len() + 1;
    }
  }

  fn finish(mut self) -> Facts {
    let mut text = String::with_capacity(self.tail_bytes);
    for line in &self.tail {
      text.push_str(line);
      text.push('\n');
    }
    for error in json_errors(&text) {
      for line in error {
        self.transcript.push_npm(line);
      }
      self.transcript.push_other("(end of a --json error)");
    }
    self.transcript.facts()
  }
}

/// A line longer than this is cut: no npm line is, and memory stays bounded
/// whatever the input (a 100 MB line without a newline). The cut never
/// splits a secret ([`Redactor::cut`]): a token's first characters alone
/// would match no shape and no known value, and leak.
const MAX_LINE: usize = 64 * 1024;

/// npm's stderr saved inside a JSON string (`"npm error code E403\nnpm error …"`).
fn unescape(line: &str) -> Vec<String> {
  // `\n` right before npm's prefix: a Windows path (`C:\Users\me\npm-cache`) is not escaped text.
  if !(line.contains("\\nnpm ERR!") || line.contains("\\nnpm error")) {
    return vec![line.to_owned()];
  }
  let mut out = String::with_capacity(line.len());
  let mut chars = line.chars();
  while let Some(c) = chars.next() {
    if c != '\\' {
      out.push(c);
      continue;
    }
    match chars.next() {
      Some('n') => out.push('\n'),
      Some('t') => out.push('\t'),
      Some('r') => {}
      Some('"') => out.push('"'),
      Some('\\') => out.push('\\'),
      Some(other) => {
        out.push('\\');
        out.push(other);
      }
      None => out.push('\\'),
    }
  }
  out
    .split('\n')
    .map(|l| l.trim_matches('"').to_owned())
    .collect()
}

/// `--json` error objects (`{"error": {"code", "summary", "detail"}}`), as npm
/// lines. Only tried where a line opens an object, so cost stays low.
fn json_errors(text: &str) -> Vec<Vec<line::NpmLine>> {
  let mut found = Vec::new();
  let mut offset = 0;
  let mut lines = text.split_inclusive('\n').peekable();
  while let Some(raw) = lines.next() {
    let start = offset;
    offset += raw.len();
    // npm prints `{` alone, then `  "error": {`; or it is all on one line.
    let opens = raw.trim() == "{"
      && lines
        .peek()
        .is_some_and(|next| next.trim_start().starts_with("\"error\""));
    if !opens && !raw.trim_start().starts_with("{\"error\"") {
      continue;
    }
    let from = start + (raw.len() - raw.trim_start().len());
    let mut stream =
      serde_json::Deserializer::from_str(&text[from..]).into_iter::<serde_json::Value>();
    let Some(Ok(value)) = stream.next() else {
      continue;
    };
    let Some(code) = value["error"]["code"].as_str() else {
      continue;
    };
    let mut lines = vec![line::NpmLine {
      level: line::Level::Error,
      text: format!("code {code}"),
    }];
    for part in ["summary", "detail"] {
      for l in value["error"][part].as_str().unwrap_or("").lines() {
        lines.push(line::NpmLine {
          level: line::Level::Error,
          text: l.to_owned(),
        });
      }
    }
    found.push(lines);
  }
  found
}

#[cfg(test)]
mod tests {
  use super::*;

  fn ids(text: &str) -> Vec<&'static str> {
    diagnose_text(text, Redactor::default())
      .0
      .found
      .iter()
      .map(|d| d.cause.id)
      .collect()
  }

  #[test]
  fn json_escaped_and_json_mode() {
    let escaped = r#"{"stderr": "npm error code E402\nnpm error 402 Payment Required - PUT https://registry.npmjs.org/@a%2fb - You must sign up for private packages\n"}"#;
    assert_eq!(ids(escaped), ["scoped-access"]);
    let json = "{\n  \"error\": {\n    \"code\": \"ECONNREFUSED\",\n    \"summary\": \"request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED 127.0.0.1:9\",\n    \"detail\": \"\"\n  }\n}\n";
    assert_eq!(ids(json), ["connection-refused"]);
  }

  #[test]
  fn colour_codes_do_not_hide_npm() {
    assert_eq!(
      ids("\u{1b}[1mnpm\u{1b}[22m \u{1b}[31merror\u{1b}[39m code EAI_AGAIN\n"),
      ["dns-failure"]
    );
  }
}
