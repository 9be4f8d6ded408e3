//! Mapping a fixture's recorded paths, ports and tokens to this run's, and
//! back (the normalisation of capture.py; keep them equal).

use super::*;

// ------------------------------------------------------------------ normalisation

/// Real value <-> placeholder, for one run in one temporary directory.
pub(crate) struct Mapping {
  pub(crate) servers_dir: String,
  pub(crate) placeholder_dir: String,
  pub(crate) tmp: String,
  /// (real, fake)
  pub(crate) tokens: Vec<(String, String)>,
  /// (real, placeholder)
  pub(crate) ports: Vec<(u64, u64)>,
  /// (live, fixture's): names made from this run's paths (a hash of them),
  /// replaced before everything else. See wraps.rs.
  pub(crate) renames: Vec<(String, String)>,
}

pub(crate) struct Patterns {
  pub(crate) stamp: Regex,
  pub(crate) in_time: Regex,
  pub(crate) ms: Regex,
  pub(crate) timer: Regex,
  pub(crate) os_release: Regex,
  pub(crate) packument_cache: Regex,
  pub(crate) http_date: Regex,
}

pub(crate) fn patterns() -> &'static Patterns {
  static P: OnceLock<Patterns> = OnceLock::new();
  P.get_or_init(|| Patterns {
    stamp: Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}_\d{2}_\d{2}_\d{3}Z").unwrap(),
    in_time: Regex::new(r"\bin \d+(?:\.\d+)?(?:ms|s|m|h)\b").unwrap(),
    ms: Regex::new(r"(?m)(^|[^\w.])\d+ms\b").unwrap(),
    timer: Regex::new(r"(unfinished npm timer \S+) \d+").unwrap(),
    os_release: Regex::new(r"(verbose os \S+) \S+").unwrap(),
    packument_cache: Regex::new(r"packumentCache heap:\d+ maxSize:\d+ maxEntrySize:\d+").unwrap(),
    http_date: Regex::new(
      r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT",
    )
    .unwrap(),
  })
}

impl Mapping {
  pub(crate) fn new(state: &Value, tmp: &Path) -> Mapping {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let tokens = state["tokens"]
      .as_object()
      .expect("tokens")
      .iter()
      .map(|(user, token)| (s(token), s(&state["fake_tokens"][user])))
      .collect();
    let ports = state["ports"]
      .as_object()
      .expect("ports")
      .iter()
      .map(|(name, port)| {
        let placeholder = state["placeholder_ports"][name]
          .as_u64()
          .expect("placeholder port");
        (port.as_u64().expect("port"), placeholder)
      })
      .collect();
    Mapping {
      servers_dir: s(&state["dir"]),
      placeholder_dir: s(&state["placeholder_dir"]),
      tmp: tmp.to_str().expect("utf-8 temp path").to_string(),
      tokens,
      ports,
      renames: vec![],
    }
  }

  /// What npm printed -> what the fixture holds.
  pub(crate) fn normalise(&self, text: &str) -> String {
    let p = patterns();
    let mut t = text.to_owned();
    for (live, fixed) in &self.renames {
      t = t.replace(live, fixed);
    }
    t = t.replace(&self.servers_dir, &self.placeholder_dir);
    t = t.replace(&self.tmp, PLACEHOLDER_TMP);
    for (real, fake) in &self.tokens {
      t = t.replace(real, fake);
    }
    for (real, placeholder) in &self.ports {
      let re = Regex::new(&format!(r"((?:127\.0\.0\.1|localhost):|port: ){real}\b")).unwrap();
      t = re
        .replace_all(&t, format!("${{1}}{placeholder}"))
        .into_owned();
    }
    t = p
      .stamp
      .replace_all(&t, "2026-01-01T00_00_00_000Z")
      .into_owned();
    t = p.in_time.replace_all(&t, "in 0ms").into_owned();
    t = p.ms.replace_all(&t, "${1}0ms").into_owned();
    t = p.timer.replace_all(&t, "${1} 1767225600000").into_owned();
    t = p
      .os_release
      .replace_all(&t, "${1} 6.1.0-npmx-e2e")
      .into_owned();
    t = p
      .packument_cache
      .replace_all(
        &t,
        "packumentCache heap:4345298944 maxSize:1086324736 maxEntrySize:543162368",
      )
      .into_owned();
    t = p
      .http_date
      .replace_all(&t, "Thu, 01 Jan 2026 00:00:00 GMT")
      .into_owned();
    t
  }

  /// What the fixture holds (argv, env, files) -> what this run uses.
  pub(crate) fn live(&self, text: &str) -> String {
    // The live servers dir itself starts with "/tmp/npmx-e2e", so it must not
    // be seen by the second replacement.
    const HOLD: &str = "\u{0}servers\u{0}";
    let mut t = text.replace(&self.placeholder_dir, HOLD);
    t = t.replace(PLACEHOLDER_TMP, &self.tmp);
    t = t.replace(HOLD, &self.servers_dir);
    for (real, fake) in &self.tokens {
      t = t.replace(fake, real);
    }
    for (real, placeholder) in &self.ports {
      let re = Regex::new(&format!(r"((?:127\.0\.0\.1|localhost):){placeholder}\b")).unwrap();
      t = re.replace_all(&t, format!("${{1}}{real}")).into_owned();
    }
    t
  }
}
