//! `--npmx-explain ID|CODE`: a cause explained, or the causes behind an npm
//! code and how to tell them apart, like `rustc --explain`. The codes come
//! from the causes' own signatures, so every code a diagnosis can be made
//! from is explainable.

use crate::{
  causes::{self, Cause},
  output::{self, Clean, clean},
  redact::Redactor,
};

/// Exit 0 when the topic is known, 1 when not.
pub(crate) fn explain(topic: &str) -> i32 {
  let mut out = Clean::default();
  if let Some(cause) = causes::find(topic) {
    explain_cause(&mut out, cause, true);
  } else {
    let found = causes::with_code(topic);
    if found.is_empty() {
      let message = Redactor::default().clean(&format!(
        "npmx: no cause or npm code named {topic:?}; the closest: {}\n  (`npmx --npmx-explain ID`; the README's \"Causes\" table lists every id)\n",
        closest(topic).join(", ")
      ));
      output::stderr(&message);
      return 1;
    }
    out.push(&Redactor::default().clean(&format!(
      "npm's {} can mean any of {} causes. How to tell them apart:\n\n",
      topic.to_ascii_uppercase(),
      found.len()
    )));
    for cause in found {
      explain_cause(&mut out, cause, false);
    }
  }
  output::stdout(&out);
  0
}

/// The three ids or codes nearest to a mistyped topic: those that contain
/// it first, then by edit distance (case ignored).
fn closest(topic: &str) -> Vec<String> {
  let topic = topic.to_ascii_lowercase();
  let mut names: Vec<String> = causes::all().map(|c| c.id.to_owned()).collect();
  for cause in causes::all() {
    names.extend(cause.codes());
  }
  names.sort();
  names.dedup();
  let mut scored: Vec<(usize, String)> = names
    .into_iter()
    .map(|name| {
      let lower = name.to_ascii_lowercase();
      let score = if !topic.is_empty() && lower.contains(&topic) {
        0
      } else {
        1 + distance(&topic, &lower)
      };
      (score, name)
    })
    .collect();
  scored.sort();
  scored.into_iter().take(3).map(|(_, name)| name).collect()
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
  let b: Vec<char> = b.chars().collect();
  let mut row: Vec<usize> = (0..=b.len()).collect();
  for (i, ca) in a.chars().enumerate() {
    let mut diagonal = row[0];
    row[0] = i + 1;
    for (j, cb) in b.iter().enumerate() {
      let above = row[j + 1];
      row[j + 1] = (above + 1)
        .min(row[j] + 1)
        .min(diagonal + usize::from(ca != *cb));
      diagonal = above;
    }
  }
  row[b.len()]
}

fn explain_cause(out: &mut Clean, cause: &Cause, full: bool) {
  let ours = |text: &str| Redactor::default().clean(text);
  out.push(&clean!(
    "{} [{}]\n  Tell: {}\n",
    Clean::ours(cause.title),
    Clean::ours(cause.id),
    Clean::ours(cause.tell)
  ));
  if full {
    out.push(&clean!("  Codes: {}\n\n", ours(&cause.codes().join(", "))));
    for line in Clean::ours(cause.explain).wrap(96) {
      out.push(&clean!("  {}\n", line));
    }
  }
  out.push_ours("\n");
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_mistyped_topic_gets_the_nearest_ids() {
    assert_eq!(distance("kitten", "sitting"), 3);
    assert_eq!(distance("", "abc"), 3);
    assert_eq!(closest("otp-requird")[0], "otp-required");
    assert_eq!(closest("tls-expird")[0], "tls-expired");
    assert_eq!(closest("E4O3")[0], "E403");
    let proxy = closest("proxy");
    assert!(
      proxy
        .iter()
        .all(|id| id.to_ascii_lowercase().contains("proxy")),
      "{proxy:?}"
    );
    assert_eq!(closest("anything at all").len(), 3);
  }
}
