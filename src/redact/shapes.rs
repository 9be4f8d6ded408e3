//! Credential shapes: what a secret looks like, whatever its source and
//! whether or not npmx knew of it.

use std::{borrow::Cow, sync::LazyLock};

use regex::{Captures, Regex};

use super::MASK;

/// How a match is rewritten: a replacement template (`${1}***`), or a
/// function that may also decide the match is not a secret after all.
enum Rewrite {
  Template(&'static str),
  With(fn(&Captures) -> String),
}

struct Shape {
  regex: Regex,
  rewrite: Rewrite,
}

/// Key names whose value is a secret: `token`, `access_token`,
/// `X-Amz-Security-Token`, `client_secret`, `password`, `api_key`, `sig`…
const SECRET_KEY: &str =
  r"[a-z0-9_.\-]*?(?:token|secret|passw(?:or)?d|api[_-]?key|signature|sig|credential|_auth|otp)";

static SHAPES: LazyLock<Vec<Shape>> = LazyLock::new(|| {
  let shape = |pattern: &str, rewrite| Shape {
    regex: Regex::new(pattern).unwrap(),
    rewrite,
  };
  use Rewrite::*;
  vec![
    // Private keys (an inline `key=` in .npmrc), whole.
    shape(
      r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.)*?(?:-----END [A-Z ]*PRIVATE KEY-----|\z)",
      Template(MASK),
    ),
    // .npmrc secrets: `_authToken=`, `_auth=`, `_password=`, also
    // `//host/:_authToken`, quoted or not. A `${VAR}` reference is not a
    // secret and says where the secret comes from.
    shape(
      r#"(?i)((?:_authToken|_auth|_password|:password|authToken)["']?\s*[=:]\s*["'`]?)([^\s'"`]+)"#,
      With(keep_references),
    ),
    // `key=value` (query strings, challenges, config lines): `?token=`,
    // `access_token=`, `X-Amz-Security-Token=`, `token="…"`.
    shape(
      &format!(r#"(?i)((?-u:\b){SECRET_KEY}\s*=\s*["']?)([^\s"'&;,)<>\]}}]+)"#),
      With(keep_references),
    ),
    // JSON and YAML: `"token": "…"`.
    shape(
      &format!(r#"(?i)((?-u:\b){SECRET_KEY}["']?\s*:\s*["'])([^"'\n]+)"#),
      With(keep_references),
    ),
    // Authorization and API-key headers, whatever the scheme.
    shape(
      r#"(?i)((?-u:\b)(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|bot|digest|negotiate|ntlm)\s+)?)([^\s"',;)]{6,})"#,
      With(header_value),
    ),
    shape(
      r#"(?i)((?-u:\b)(?:x-api-key|x-jfrog-art-api|private-token|job-token|deploy-token|x-auth-token|x-npm-otp|npm-otp|cookie|set-cookie)["']?\s*:\s*["']?)([^\s"',;]{4,})"#,
      Template("${1}***"),
    ),
    // A `Bearer`/`Basic` value anywhere, whatever follows it (`Bearer X)`,
    // `Bearer X'`). A challenge parameter (`Bearer realm="…"`,
    // `authorization_uri=https://…`) and a plain word stay readable.
    shape(
      r"(?i)(?-u:\b)(bearer|basic)(\s+)([A-Za-z0-9._~+/\-]{8,})(=*)(.?)",
      With(scheme_value),
    ),
    // Credentials in a URL: `https://user:pass@`, `https://:token@`, `https://token@`.
    shape(
      r"(?i)(?-u:\b)([a-z][a-z0-9+.\-]*://[^\s:/@]*:)[^\s@/]+@",
      Template("${1}***@"),
    ),
    shape(
      r"(?i)(?-u:\b)([a-z][a-z0-9+.\-]*://)[^\s:/@]{16,}@",
      Template("${1}***@"),
    ),
    // Tokens that say what they are.
    shape(r"(?-u:\b)npm_[A-Za-z0-9]{30,}", Template(MASK)),
    shape(
      r"(?-u:\b)(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}",
      Template(MASK),
    ),
    shape(r"(?-u:\b)github_pat_[A-Za-z0-9_]{30,}", Template(MASK)),
    shape(
      r"(?-u:\b)gl(?:pat|dt|ptt|rt|cbt|soat|ft|imt|oas|agent)-[A-Za-z0-9_\-]{16,}",
      Template(MASK),
    ),
    // Artifactory API keys and reference tokens, AWS access key ids.
    shape(r"(?-u:\b)AKC[A-Za-z0-9]{10,}", Template(MASK)),
    shape(r"(?-u:\b)cmVmdGtuOj[A-Za-z0-9+/_\-]{20,}=*", Template(MASK)),
    shape(r"(?-u:\b)(?:AKIA|ASIA)[A-Z0-9]{16}(?-u:\b)", Template(MASK)),
    // Azure DevOps personal access tokens: 52 characters of base32, or the
    // 84-character form with its `AZDO` signature.
    shape(r"(?-u:\b)[a-z0-9]{52}(?-u:\b)", Template(MASK)),
    shape(
      r"(?-u:\b)[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}(?-u:\b)",
      Template(MASK),
    ),
    // JWTs (OIDC id tokens).
    shape(
      r"(?-u:\b)eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*",
      Template(MASK),
    ),
    // Long random-looking base64 (CodeArtifact and other opaque tokens).
    shape(r"[A-Za-z0-9+/_\-]{40,}=*", With(random_run)),
  ]
});

/// Credential shapes masked.
pub(super) fn mask(text: &str) -> Cow<'_, str> {
  let mut out = Cow::Borrowed(text);
  for shape in SHAPES.iter() {
    if !shape.regex.is_match(&out) {
      continue;
    }
    let replaced = match &shape.rewrite {
      Rewrite::Template(t) => shape.regex.replace_all(&out, *t).into_owned(),
      Rewrite::With(f) => shape
        .regex
        .replace_all(&out, |c: &Captures| f(c))
        .into_owned(),
    };
    out = Cow::Owned(replaced);
  }
  out
}

/// `key=VALUE` with VALUE masked, unless it is a `${VAR}` reference or
/// already masked.
fn keep_references(c: &Captures) -> String {
  let value = &c[2];
  if value.starts_with("${") || value.starts_with(MASK) {
    c[0].to_owned()
  } else {
    format!("{}{MASK}", &c[1])
  }
}

/// `Authorization: VALUE`: masked, unless VALUE is only the scheme's name
/// (the value itself already masked).
fn header_value(c: &Captures) -> String {
  let schemes = ["bearer", "basic", "token", "digest", "negotiate"];
  if schemes.iter().any(|s| c[2].eq_ignore_ascii_case(s)) {
    c[0].to_owned()
  } else {
    format!("{}{MASK}", &c[1])
  }
}

/// `Bearer VALUE`: masked, unless VALUE is a challenge parameter's name
/// (followed by `=` and a value) or a plain lowercase word.
fn scheme_value(c: &Captures) -> String {
  let (value, padding, next) = (&c[3], &c[4], &c[5]);
  let parameter = !padding.is_empty()
    && next
      .chars()
      .next()
      .is_some_and(|n| n.is_alphanumeric() || n == '"');
  let word = value.chars().all(|ch| ch.is_ascii_lowercase()) && padding.is_empty();
  if parameter || word {
    c[0].to_owned()
  } else {
    format!("{}{}{MASK}{}", &c[1], &c[2], next)
  }
}

/// A run of base64 characters is a secret when it looks random: letters of
/// both cases and digits throughout, few separators. Integrity hashes
/// (`sha512-…`), paths and words stay.
fn random_run(c: &Captures) -> String {
  let run = &c[0];
  if looks_random(run) {
    MASK.to_owned()
  } else {
    run.to_owned()
  }
}

pub(super) fn looks_random(run: &str) -> bool {
  let body = run.trim_end_matches('=');
  let integrity = ["sha1-", "sha224-", "sha256-", "sha384-", "sha512-", "md5-"];
  if integrity.iter().any(|p| body.starts_with(p)) {
    return false;
  }
  if body.starts_with('/') && body[1..].contains('/') {
    return false;
  }
  let n = body.len();
  let count = |f: fn(&u8) -> bool| body.as_bytes().iter().filter(|b| f(b)).count();
  let least = 1 + n / 60;
  count(u8::is_ascii_digit) >= least
    && count(u8::is_ascii_uppercase) >= least
    && count(u8::is_ascii_lowercase) >= least
    && count(|b| matches!(b, b'+' | b'/' | b'_' | b'-')) <= 2 + n / 8
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn every_shape_in_its_place() {
    let cases = [
      ("glpat-AbCdEf0123456789xYz_", "***"),
      ("Bearer Zm9vYmFyMTIzNDU2Nzg5)", "Bearer ***)"),
      ("'Bearer Zm9vYmFyMTIzNDU2Nzg5'", "'Bearer ***'"),
      (
        r#"WWW-Authenticate: Bearer realm="r", token="Tk9123abcdefgh""#,
        r#"WWW-Authenticate: Bearer realm="r", token="***""#,
      ),
      ("GET /x?token=Abc123xyz&y=1", "GET /x?token=***&y=1"),
      ("#access_token=Abc123xyz.q", "#access_token=***"),
      (
        "?X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F&X-Amz-Date=1",
        "?X-Amz-Security-Token=***&X-Amz-Date=1",
      ),
      (
        "https://:Sup3rT0ken@npm.example/",
        "https://:***@npm.example/",
      ),
      ("_authToken='Sup3rT0kenValue'", "_authToken='***'"),
      (
        "Authorization: token ghx0123456789",
        "Authorization: token ***",
      ),
      ("key AKCp8jQ8tAahqpT5JjZAvbcdefghij123", "key ***"),
      (
        "pat abcdefghij2345672345abcdefghij234567abcdefghij234567",
        "pat ***",
      ),
      (
        "CODEARTIFACT_AUTH_TOKEN is eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMCwiZW5jIjoiQTEyOEdDTSJ9abc",
        "CODEARTIFACT_AUTH_TOKEN is ***",
      ),
      (r#""password": "hunter2!""#, r#""password": "***""#),
      ("aws AKIAIOSFODNN7EXAMPLE", "aws ***"),
    ];
    for (input, want) in cases {
      assert_eq!(mask(input), want, "{input}");
    }
  }

  #[test]
  fn what_is_not_a_secret_stays() {
    for text in [
      r#"WWW-Authenticate: Bearer realm="https://npm.pkg.github.com", error="invalid_token""#,
      "npm error need: Bearer authorization_uri=https://login.example/authorize",
      "Basic realm=\"Artifactory Realm\"",
      "Basic authentication failed",
      "//npm.acme.com/:_authToken=${ACME_TOKEN}",
      "token=${NPM_TOKEN}",
      "integrity sha512-Xl3yiO6X2XvbHuvqC7AvoYfqK4ww6tl5ayE2fGy0bBMRi0v4YWFC5T4mB8Ckp2WfBXqAZ6TdP4IuYb9c0xVdg== failed",
      "A complete log of this run can be found in: /home/me/.npm/_logs/2026-01-01T00_00_00_000Z-debug-0.log",
      "/home/runner/work/My_Repo2/My_Repo2/node_modules/SomePackage9/lib",
      "git+https://github.com/acme/ui.git#8f14e45fceea167a5a36dedd4bea2543a2b5e1c0",
      "your token does not allow publishing; run npm login --auth-type=web",
      "the password you typed",
    ] {
      assert_eq!(mask(text), text);
    }
  }
}
