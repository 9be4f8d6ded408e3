//! The diagnosis stage of a live run: an [`Observer`] of npm's debug log that
//! speaks once, right after npm's error block — when npm exits, or when npm
//! lingers after writing the block's closing line.

use std::{
  ffi::OsString,
  os::unix::process::ExitStatusExt,
  path::PathBuf,
  sync::{Arc, Mutex},
  time::Instant,
};

use crate::{
  Env, Evidence, Observer, annotate,
  config::Config,
  context::Context,
  diagnose::{self, Diagnosis},
  line,
  notices::Notices,
  output::{self, Clean, clean},
  redact::Redactor,
  render, report,
  transcript::Transcript,
};

/// The configuration read once per run: by whoever needs it first (finding
/// npm's log directory, usually), and handed on to the diagnosis.
pub(crate) type SharedConfig = Arc<Mutex<Option<Config>>>;

pub(crate) struct Live {
  program: String,
  args: Vec<OsString>,
  env: Env,
  npm: PathBuf,
  config: SharedConfig,
  report: Option<PathBuf>,
  transcript: Transcript,
  spoken: Option<(Vec<Diagnosis>, Redactor)>,
  /// Notices while npm runs; `None` when turned off (`NPMX_LIVE=0`).
  notices: Option<Notices>,
  /// The step summary, written last (see `annotate::step_summary`).
  summary: Option<(PathBuf, Clean)>,
}

impl Live {
  pub(crate) fn new(program: &str, env: &Env, npm: PathBuf, config: SharedConfig) -> Live {
    Live {
      program: program.to_owned(),
      args: Vec::new(),
      env: env.clone(),
      npm,
      config,
      report: env
        .get_os("NPMX_REPORT")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from),
      transcript: Transcript::default(),
      spoken: None,
      summary: None,
      notices: (env.get("NPMX_LIVE").map(str::trim) != Some("0")).then(|| {
        let stall = env
          .get("NPMX_STALL_SECS")
          .and_then(|s| s.trim().parse().ok())
          .map_or(crate::notices::STALL, std::time::Duration::from_secs);
        Notices::new(stall)
      }),
    }
  }

  /// A notice while npm runs: whole lines on stderr, after clearing npm's
  /// progress line on a terminal; a `::warning` in GitHub Actions; nothing
  /// when npm itself is silent.
  fn tell(&self, text: &str) {
    let silent = self
      .args
      .iter()
      .any(|a| a == "--silent" || a == "-s" || a == "--loglevel=silent")
      || self
        .config
        .lock()
        .ok()
        .and_then(|c| {
          c.as_ref()
            .and_then(|c| c.get("loglevel").map(|l| l.value == "silent"))
        })
        .unwrap_or(false);
    if silent {
      return;
    }
    // The configuration's secrets are not known yet; the shapes still are.
    let redactor = Redactor::default();
    let text = redactor.clean(text);
    let line = if self.env.get("GITHUB_ACTIONS") == Some("true") {
      clean!(
        "::warning title=npmx::{}\n",
        text.escaped(annotate::escape_data)
      )
    } else {
      // SAFETY: isatty only inspects the descriptor.
      let terminal = unsafe { libc::isatty(2) } == 1;
      let clear = Clean::ours(if terminal { "\r\u{1b}[2K" } else { "" });
      clean!("{}npmx: {}\n", clear, text)
    };
    output::stderr(&line);
  }

  /// The run's configuration: the one already read, else read now.
  fn config(&self) -> Config {
    let read = self.config.lock().ok().and_then(|mut c| c.take());
    read.unwrap_or_else(|| {
      let cwd = std::env::current_dir().unwrap_or_default();
      Config::load(&self.args, &self.env, &cwd, Some(&self.npm))
    })
  }

  /// Diagnoses and prints, once. `exit`: npm's exit code, when npm has
  /// exited (not when it lingers after its error block).
  fn speak(&mut self, succeeded: bool, exit: Option<i32>) {
    if self.spoken.is_some() {
      return;
    }
    let facts = self.transcript.facts();
    let worth_a_look = !facts.blocks.is_empty() || !facts.notices.is_empty();
    let (diagnoses, redactor, ci, silent, command) = if worth_a_look {
      let ctx = Context::live(
        &self.program,
        &self.args,
        &self.env,
        self.config(),
        &facts.config_files,
      );
      // `--silent` / `loglevel=silent`: npm prints nothing, and neither does
      // npmx (the report, if asked for, is still written).
      let silent = ctx
        .config
        .as_ref()
        .and_then(|c| c.get("loglevel"))
        .is_some_and(|l| l.value == "silent");
      let found = diagnose::diagnose(&facts, &ctx, succeeded);
      let command = ctx.redactor.clean(&ctx.command.line());
      (found, ctx.redactor, ctx.ci, silent, command)
    } else {
      (
        Vec::new(),
        Redactor::default(),
        None,
        false,
        Clean::default(),
      )
    };
    if !diagnoses.is_empty() && !silent {
      let style = render::Style::for_stream(2, &self.env);
      let text = render::render(&diagnoses, style, &redactor);
      let run = annotate::Run { command, exit };
      let text = annotate::decorate(text, &diagnoses, ci, &self.env, &redactor);
      output::stderr(&text);
      self.summary = annotate::step_summary(&diagnoses, &self.env, &redactor, &run);
    }
    self.spoken = Some((diagnoses, redactor));
  }
}

impl Observer for Live {
  fn observe(&mut self, evidence: Evidence<'_>) {
    match evidence {
      Evidence::Started { argv } => self.args = argv.to_vec(),
      Evidence::LogLine(text) => {
        if let Some(line) = line::from_log(text) {
          if let Some(notices) = &mut self.notices {
            notices.line(&line, Instant::now());
          }
          self.transcript.push_npm(line);
        }
      }
      Evidence::Tick => {
        if let Some(notice) = self.notices.as_mut().and_then(|n| n.due(Instant::now())) {
          self.tell(&notice);
        }
      }
      Evidence::Lingering => self.speak(false, None),
      Evidence::Exited(status) => {
        let code = status.code().or_else(|| status.signal().map(|s| 128 + s));
        // Stopped while it waited on the registry: say on what, and how long.
        let signal = match (status.signal(), status.code()) {
          (Some(libc::SIGINT), _) | (_, Some(130)) => Some("SIGINT"),
          (Some(libc::SIGTERM), _) | (_, Some(143)) => Some("SIGTERM"),
          (Some(libc::SIGKILL), _) | (_, Some(137)) => Some("SIGKILL"),
          _ => None,
        };
        if let Some(said) = signal
          .zip(self.notices.as_ref())
          .and_then(|(s, n)| n.stopped(s, Instant::now()))
        {
          self.tell(&said);
        }
        self.speak(status.success(), code);
        if let (Some(path), Some((diagnoses, redactor))) = (&self.report, &self.spoken) {
          let json = report::to_json(code, diagnoses, redactor);
          report::write(path, &json, redactor);
        }
        if let Some((path, markdown)) = self.summary.take() {
          annotate::write_summary(&path, &markdown);
        }
      }
    }
  }

  fn error_block_complete(&self) -> bool {
    self.transcript.block_closed()
  }

  fn needs_every_exit(&self) -> bool {
    self.report.is_some()
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::process::ExitStatus;

  #[test]
  fn a_run_with_no_log_reports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let env = Env::from_pairs([("NPMX_REPORT", report.to_str().unwrap())]);
    let mut live = Live::new(
      "npm",
      &env,
      "/nonexistent/npm".into(),
      SharedConfig::default(),
    );
    live.observe(Evidence::Exited(ExitStatus::from_raw(1 << 8)));
    let json: serde_json::Value =
      serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json, serde_json::json!({"exit_code": 1, "diagnoses": []}));
  }
}
