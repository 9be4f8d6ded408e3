//! What a run of npm said, reduced to facts.
//!
//! Lines arrive one at a time (live from the debug log, or from a saved
//! output); the transcript keeps only what can matter, so a huge install log
//! costs little memory, and then cuts it into npm's error blocks.
//!
//! Which error lines are npm's own? npm ends every error block with "A
//! complete log of this run can be found in …" (or "Log files were not
//! written …"), and writes exactly one `code` line in it. Text a script
//! printed (a failing test that prints `npm error code E403`) follows npm's
//! script banner (`> pkg@1.0.0 test`) and is not followed by that closing line
//! — npm 7+ does not print an error block for a failed `npm run` at all, only
//! the exit code. So: a block after a banner counts only if npm closed it,
//! and in a block the last `code` line is npm's. The debug log contains no
//! script output at all, which is why a live run trusts it.

use std::sync::LazyLock;

use regex::Regex;

use crate::{
  facts::{self, CLOSING, Facts},
  line::{Level, NpmLine},
  shape::Shape,
};

/// One input line, as far as the transcript cares.
#[derive(Clone, Debug)]
enum Item {
  Npm(NpmLine),
  /// npm's lifecycle banner: `> name@1.0.0 script`; what follows is the script's.
  Banner,
  /// Anything else: ends an error block in saved output.
  Other,
}

/// What the transcript keeps, whatever npm writes: a million warnings or a
/// huge error block cost a bounded amount of memory.
const MAX_TEXT: usize = 8 * 1024;
/// Of each level's lines other than errors: the first this many…
const FIRST_OF_EACH: usize = 200;
/// …and the last this many of all of them.
const LAST_OTHERS: usize = 400;
/// Error lines and breaks between them; the oldest go first.
const MAX_ITEMS: usize = 20_000;

#[derive(Clone, Debug, Default)]
pub(crate) struct Transcript {
  /// npm's error lines and the breaks between them, in order.
  items: Vec<Item>,
  /// Other kept lines (versions, argv, notices, warnings, failed fetches):
  /// the first of each level, then the latest.
  others: Vec<NpmLine>,
  late: std::collections::VecDeque<NpmLine>,
  counts: [usize; 8],
  /// npm's own evidence seen outside an error block (partial pastes): a
  /// `verbose stack HttpError…` line, a bare `403 Forbidden - PUT <url>`
  /// message. Used only when no block was found at all.
  fragment: Option<String>,
  /// A script banner was seen: bare text after it may be a script's.
  saw_banner: bool,
  /// A saved text (`--npmx-diagnose`), not a live run: only there can a
  /// paste be partial. Live, npm handles some errors itself (an audit
  /// endpoint's 404) and its debug log still shows their stack.
  saved: bool,
  /// Lines in the debug log's own format (`49 error …`): npm wrote every
  /// one of them, so a block of them needs no closing sentence.
  from_debug_log: bool,
  /// The last npm line closed an error block.
  block_closed: bool,
  shape: Shape,
  otp_entered: bool,
}

impl Transcript {
  pub(crate) fn push_npm(&mut self, mut line: NpmLine) {
    self.shape.observe(&line.text);
    // `verbose stack HttpErrorGeneral: 403 Forbidden - GET <url>`: npm's
    // error object, in a debug log pasted without its error lines.
    if self.saved && line.level == Level::Verbose && self.fragment.is_none() {
      if let Some(rest) = line.text.strip_prefix("stack HttpError") {
        if let Some((_, message)) = rest.split_once(": ") {
          self.fragment = Some(message.to_owned());
        }
      }
    }
    if line.level == Level::Error {
      self.block_closed = CLOSING.iter().any(|c| line.text.starts_with(c));
    }
    if !keep(&line) {
      return;
    }
    if line.text.len() > MAX_TEXT {
      let mut end = MAX_TEXT;
      while !line.text.is_char_boundary(end) {
        end -= 1;
      }
      line.text.truncate(end);
    }
    if line.level == Level::Error {
      self.items.push(Item::Npm(line));
      if self.items.len() > MAX_ITEMS {
        self.items.drain(..MAX_ITEMS / 2);
      }
      return;
    }
    let count = &mut self.counts[line.level as usize];
    *count += 1;
    if *count <= FIRST_OF_EACH {
      self.others.push(line);
    } else {
      self.late.push_back(line);
      if self.late.len() > LAST_OTHERS {
        self.late.pop_front();
      }
    }
  }

  /// A line that is not npm's (saved output only).
  /// A transcript of a saved text (see `saved`).
  pub(crate) fn saved() -> Transcript {
    Transcript {
      saved: true,
      ..Transcript::default()
    }
  }

  /// The lines come from a debug log (see `from_debug_log`).
  pub(crate) fn debug_log_format(&mut self) {
    self.from_debug_log = true;
  }

  pub(crate) fn push_other(&mut self, line: &str) {
    self.shape.observe(line);
    // A bare `403 Forbidden - PUT https://… - reason`: npm's message,
    // pasted alone.
    if self.saved
      && self.fragment.is_none()
      && facts::parse_http(line.trim()).is_some_and(|h| h.url.is_some())
    {
      self.fragment = Some(line.trim().to_owned());
    }
    // npm's own prompt, echoed in a saved terminal session.
    self.otp_entered |= line.trim_start().starts_with("Enter OTP:");
    // npm ≤ 10.5 printed a bare empty line inside its block, before the
    // closing sentence; an empty line separates nothing.
    if line.trim().is_empty() {
      return;
    }
    static BANNER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^> \S+@\S+ \S+").unwrap());
    let item = if BANNER.is_match(line.trim_start()) {
      self.saw_banner = true;
      Item::Banner
    } else {
      Item::Other
    };
    // Runs of other lines are one break; keep memory flat on long logs.
    if !matches!((self.items.last(), &item), (Some(Item::Other), Item::Other)) {
      self.items.push(item);
      if self.items.len() > MAX_ITEMS {
        self.items.drain(..MAX_ITEMS / 2);
      }
    }
  }

  /// Whether the last line closed an error block (npm now only exits).
  pub(crate) fn block_closed(&self) -> bool {
    self.block_closed
  }

  pub(crate) fn facts(&self) -> Facts {
    let mut facts = Facts {
      shape: self.shape.clone(),
      otp_entered: self.otp_entered,
      ..Facts::default()
    };
    for line in self.others.iter().chain(&self.late) {
      note(&mut facts, line);
    }
    let mut after_banner = false;
    let mut current: Vec<&str> = Vec::new();
    for item in &self.items {
      match item {
        Item::Banner => {
          close_block(&mut facts, &mut current, after_banner, self.from_debug_log);
          after_banner = true;
        }
        Item::Other => close_block(&mut facts, &mut current, after_banner, self.from_debug_log),
        Item::Npm(line) => {
          if line.level == Level::Error {
            current.push(&line.text);
            // npm ≤ 9.6.2 put the log's path on the line after the sentence.
            let path_follows = line.text.trim_end().ends_with("can be found in:");
            let closes = CLOSING.iter().any(|c| line.text.starts_with(c)) && !path_follows;
            let after_sentence = current.len() >= 2
              && current[current.len() - 2]
                .trim_end()
                .ends_with("can be found in:");
            if closes || after_sentence {
              close_block(&mut facts, &mut current, after_banner, self.from_debug_log);
              after_banner = false;
            }
          } else {
            note(&mut facts, line);
          }
        }
      }
    }
    close_block(&mut facts, &mut current, after_banner, self.from_debug_log);
    if facts.blocks.is_empty() && !self.saw_banner {
      if let Some(fragment) = &self.fragment {
        facts.blocks.push(fragment_block(fragment));
      }
    }
    facts.finish();
    facts
  }
}

/// Lines worth remembering; the rest of a verbose log is dropped on arrival.
fn keep(line: &NpmLine) -> bool {
  let text = line.text.as_str();
  match line.level {
    Level::Error | Level::Notice | Level::Warn => true,
    Level::Http => {
      text.starts_with("fetch ") && (text.contains(" failed with ") || fetch_failed(text))
    }
    Level::Info => text.starts_with("using "),
    Level::Verbose => [
      "argv ", "exit ", "npm ", "node ", "oidc", "pkgid ", "cwd ", "title ",
    ]
    .iter()
    .any(|p| text.starts_with(p)),
    Level::Silly => text.starts_with("config load:file:") || text.starts_with("oidc"),
    // npm 7–9 record the config files they load only as timers.
    Level::Timing => text.starts_with("config:load:file:"),
  }
}

/// `fetch GET 404 https://…`: a request that ended with status ≥ 400.
fn fetch_failed(text: &str) -> bool {
  text
    .split(' ')
    .nth(2)
    .and_then(|s| s.parse::<u16>().ok())
    .is_some_and(|s| s >= 400)
}

fn note(facts: &mut Facts, line: &NpmLine) {
  let text = line.text.as_str();
  match line.level {
    Level::Notice => facts.notices.push(text.to_owned()),
    Level::Warn => facts.warnings.push(text.to_owned()),
    Level::Http => facts.fetches.extend(facts::parse_fetch(text)),
    Level::Info => {
      if let Some(v) = text.strip_prefix("using npm@") {
        facts.npm_version = Some(v.trim().to_owned());
      } else if let Some(v) = text.strip_prefix("using node@") {
        facts.node_version = Some(v.trim().to_owned());
      }
    }
    Level::Verbose | Level::Silly => {
      if let Some(argv) = text.strip_prefix("argv ") {
        let args = serde_json::Deserializer::from_str(argv)
          .into_iter::<String>()
          .map_while(Result::ok);
        facts.argv = Some(args.collect());
      } else if let Some(code) = text.strip_prefix("exit ") {
        facts.exit_code = code.trim().parse().ok();
      } else if let Some(v) = text.strip_prefix("npm ") {
        facts
          .npm_version
          .get_or_insert_with(|| v.trim().trim_start_matches('v').to_owned());
      } else if let Some(v) = text.strip_prefix("node ") {
        facts
          .node_version
          .get_or_insert_with(|| v.trim().to_owned());
      } else if let Some(file) = text.strip_prefix("config load:file:") {
        facts.config_files.push(file.to_owned());
      } else if text.starts_with("oidc") {
        facts.oidc.push(text.to_owned());
      } else if let Some(id) = text.strip_prefix("pkgid ") {
        facts.pkgid = Some(id.trim().to_owned());
      } else if let Some(cwd) = text.strip_prefix("cwd ") {
        facts.cwd = Some(cwd.to_owned());
      }
    }
    // `timing config:load:file:/p/.npmrc Completed in 1ms` (npm 7–9).
    Level::Timing => {
      if let Some(rest) = text.strip_prefix("config:load:file:") {
        let file = rest.rsplit_once(" Completed in ").map_or(rest, |(f, _)| f);
        facts.config_files.push(file.to_owned());
      }
    }
    Level::Error => {}
  }
}

fn close_block(facts: &mut Facts, current: &mut Vec<&str>, after_banner: bool, trusted: bool) {
  if current.is_empty() {
    return;
  }
  let mut block = facts::parse_block(current);
  // Every line of a debug log is npm's own: a block cut short by the paste
  // (no closing sentence) still counts.
  block.closed |= trusted;
  current.clear();
  // After a script banner only a block npm itself closed is npm's; and a
  // closing line that names no real log file is nobody's but a script's.
  if (after_banner && !block.closed) || block.imitation {
    return;
  }
  if block.code.is_some() || block.http.is_some() || block.fetch_error || block.closed {
    facts.blocks.push(block);
  }
}

/// A block made from one of npm's messages found alone: its status as npm's
/// code (`E403`), the message as its line.
fn fragment_block(message: &str) -> facts::Block {
  let status = facts::parse_http(message).map(|h| h.status);
  let code = status.map(|s| format!("code E{s}")).unwrap_or_default();
  let lines: Vec<&str> = [code.as_str(), message]
    .into_iter()
    .filter(|l| !l.is_empty())
    .collect();
  let mut block = facts::parse_block(&lines);
  block.closed = true;
  block
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::line;

  fn from_output(text: &str) -> Facts {
    let mut t = Transcript::default();
    for l in text.lines() {
      match line::from_output(l) {
        Some(npm) => t.push_npm(npm),
        None => t.push_other(l),
      }
    }
    t.facts()
  }

  #[test]
  fn a_publish_403() {
    let facts = from_output(
      "npm ERR! code E403\n\
       npm ERR! 403 403 Forbidden - PUT https://registry.npmjs.org/@o%2fx - You cannot publish over the previously published versions: 3.4.0.\n\
       npm ERR! 403 In most cases, you or one of your dependencies are requesting\n\
       npm ERR! 403 a package version that is forbidden by your security policy, or\n\
       npm ERR! 403 on a server you do not have access to.\n",
    );
    let block = facts.last_block().unwrap();
    assert_eq!(block.code.as_deref(), Some("E403"));
    let http = block.http.as_ref().unwrap();
    assert_eq!(
      (
        http.status,
        http.status_text.as_str(),
        http.method.as_deref()
      ),
      (403, "Forbidden", Some("PUT"))
    );
    assert_eq!(
      http.reason.as_deref(),
      Some("You cannot publish over the previously published versions: 3.4.0.")
    );
    assert!(block.text.contains("security policy, or 403 on a server"));
    assert!(!block.closed);
  }

  #[test]
  fn a_script_imitating_npm_is_not_npm() {
    let facts = from_output(
      "> x@1.0.0 test\n> node fail.js\n\nnpm error code E403\nnpm error 403 403 Forbidden - PUT https://registry.npmjs.org/x\n",
    );
    assert!(facts.blocks.is_empty(), "{:?}", facts.blocks);
  }

  #[test]
  fn npm_s_own_block_after_a_script_counts() {
    let facts = from_output(
      "> x@1.0.0 prepack\n> tsc\n\nnpm error code E403\nnpm error 403 403 Forbidden - PUT https://r/x - nope\nnpm error A complete log of this run can be found in: /h/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log\n",
    );
    assert_eq!(facts.blocks.len(), 1);
    assert!(facts.blocks[0].closed);
  }

  #[test]
  fn a_closing_line_without_npm_s_log_name_is_an_imitation() {
    let facts = from_output(
      "npm error code E403\nnpm error 403 403 Forbidden - PUT https://r/x - Forbidden\nnpm error A complete log of this run can be found in: /nowhere/debug-0.log\n",
    );
    assert!(facts.blocks.is_empty());
    let two_lines = "npm ERR! code E403\nnpm ERR! 403 403 Forbidden - PUT https://r/x\n\nnpm ERR! A complete log of this run can be found in:\nnpm ERR!     /Users/u/.npm/_logs/2019-06-08T07_54_11_309Z-debug.log\n";
    let facts = from_output(two_lines);
    assert_eq!(facts.blocks.len(), 1);
    assert!(facts.blocks[0].closed);
    assert!(
      facts.blocks[0].lines.iter().all(|l| !l.contains("_logs")),
      "{:?}",
      facts.blocks[0].lines
    );
  }

  #[test]
  fn the_last_code_line_is_npm_s() {
    let facts = from_output(
      "npm error code E403\nnpm error Lifecycle script `test` failed with error:\nnpm error code 1\nnpm error command failed\nnpm error A complete log of this run can be found in: /h/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log\n",
    );
    assert_eq!(facts.blocks[0].code.as_deref(), Some("1"));
  }

  #[test]
  fn config_files_npm_7_to_9_record_as_timers() {
    let mut t = Transcript::default();
    for l in [
      "13 timing config:load:file:/usr/lib/node_modules/npm/npmrc Completed in 0ms",
      "14 timing config:load:file:/app/.npmrc Completed in 1ms",
      "15 timing config:load:file:/h/.npmrc Completed in 0ms",
      "16 timing config:load:file:/usr/etc/npmrc Completed in 0ms",
      "17 timing config:load:flatten Completed in 2ms",
    ] {
      t.push_npm(line::from_log(l).unwrap());
    }
    assert_eq!(
      t.facts().config_files,
      [
        "/usr/lib/node_modules/npm/npmrc",
        "/app/.npmrc",
        "/h/.npmrc",
        "/usr/etc/npmrc"
      ]
    );
  }

  #[test]
  fn debug_log_lines() {
    let mut t = Transcript::default();
    for l in [
      "1 info using npm@11.19.1",
      "2 info using node@v20.20.2",
      "3 silly config load:file:/app/.npmrc",
      "8 verbose argv \"view\" \"is-number\" \"--registry\" \"http://127.0.0.1:9\"",
      "12 http fetch GET http://127.0.0.1:9/is-number attempt 1 failed with ECONNREFUSED",
      "13 http fetch GET 200 https://r/ok 5ms",
      "16 error code ECONNREFUSED",
      "17 error syscall connect",
      "18 error errno ECONNREFUSED",
      "19 error FetchError: request to http://127.0.0.1:9/is-number failed, reason: connect ECONNREFUSED 127.0.0.1:9",
      "25 verbose exit 1",
      "27 error A complete log of this run can be found in: /h/_logs/2026-01-01T00_00_00_000Z-debug-0.log",
    ] {
      t.push_npm(line::from_log(l).unwrap());
    }
    assert!(t.block_closed());
    let facts = t.facts();
    assert_eq!(facts.npm_version.as_deref(), Some("11.19.1"));
    assert_eq!(facts.node_version.as_deref(), Some("v20.20.2"));
    assert_eq!(facts.config_files, ["/app/.npmrc"]);
    assert_eq!(facts.argv.as_ref().unwrap()[1], "is-number");
    assert_eq!(facts.exit_code, Some(1));
    assert_eq!(facts.fetches.len(), 1);
    assert_eq!(
      facts.fetches[0].failed_with.as_deref(),
      Some("ECONNREFUSED")
    );
    let block = facts.last_block().unwrap();
    assert_eq!(
      (block.code.as_deref(), block.syscall.as_deref()),
      (Some("ECONNREFUSED"), Some("connect"))
    );
    assert_eq!(block.url.as_deref(), Some("http://127.0.0.1:9/is-number"));
    assert!(block.closed);
  }
}
