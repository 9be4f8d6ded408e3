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
      let ids: Vec<&str> = causes::all().map(|c| c.id).collect();
      let message = Redactor::default().clean(&format!(
        "npmx: no cause or npm code named {topic:?}; causes: {}\n",
        ids.join(", ")
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
