#!/usr/bin/env python3
"""Starts every server the end-to-end suite needs, on 127.0.0.1, and stops them.

    python3 tests/e2e/servers.py [--state PATH] [--keep]

Starts, each on a free loopback port:
  * Verdaccio (from tests/e2e/node_modules, installed by provision.sh) with
    htpasswd users alice and bob, no uplinks, and package rules;
  * squid (Debian package) with two ports: "open" (denies CONNECT to one
    port) and "auth" (basic proxy authentication);
  * small Python servers: hang, reset, 429, 503, an OTP-guarded registry, a
    registry URL that answers with an HTML page, TLS registries whose
    certificates (made here with openssl) fail in each of the ways Node knows,
    a scripted registry that answers per package name with real registries'
    reasons and headers (SCRIPTED), and GitHub Actions' ID-token service;
  * a "closed" port: found free and never listened on.

When all are ready it writes the description (ports, paths, tokens,
placeholders) as JSON to --state (default tests/e2e/.work/servers.json), prints
one line `READY <state path>` on stdout, and then waits.

It stops everything and removes its temporary directory when: stdin reaches
EOF (the process that started it with a pipe died or closed it), its parent
process dies, or it gets SIGTERM/SIGINT/SIGHUP. Its direct children also get
SIGTERM from the kernel if it dies (PR_SET_PDEATHSIG); squid, which changes
user and so loses that, is killed by the next supervisor from the pid it
recorded under tests/e2e/.work/instances/.

Any server that does not come up makes it exit non-zero with that server's
own log on stderr.
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import gzip
import hashlib
import http.server
import io
import json
import os
import pwd
import selectors
import shutil
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, ".work")
INSTANCES = os.path.join(WORK, "instances")
VERDACCIO_BIN = os.path.join(HERE, "node_modules", "verdaccio", "bin", "verdaccio")
SQUID = "/usr/sbin/squid"
NCSA = "/usr/lib/squid/basic_ncsa_auth"
PROVISION_HINT = "run tests/e2e/provision.sh (as root) first"

# The fixed port each server is shown as in fixtures (see tests/fixtures/npm11/README.md).
PLACEHOLDER_PORTS = {
  "verdaccio": 4873,
  "squid_open": 3128,
  "squid_auth": 3129,
  "closed": 4999,
  "hang": 5001,
  "reset": 5002,
  "status429": 5003,
  "status503": 5004,
  "otp": 5005,
  "html": 5006,
  "scripted": 5007,
  "actions": 5008,
  "recovers": 5009,
  "tls_self_signed_in_chain": 8441,
  "tls_depth_zero": 8442,
  "tls_issuer_missing": 8443,
  "tls_leaf_only": 8444,
  "tls_expired": 8445,
  "tls_altname": 8446,
  "tls_ok": 8447,
  "tls_denied": 8448,
}
PLACEHOLDER_DIR = "/tmp/npmx-e2e/servers"

USERS = {"alice": "alice-e2e-password", "bob": "bob-e2e-password"}
# What each user's real (random, per run) Verdaccio token is shown as in fixtures:
# npm-style tokens, fixed so that fixtures are stable.
FAKE_TOKENS = {"alice": "npm_Xot4xa41BkhQZ4uxmlV9kOyg4BsyHR1m6v2h", "bob": "npm_qX5Xu7K2FfzJRDbJCJmFDadHa9yHiGgr8s0u"}
PROXY_USER = ("carol", "carol-proxy-password")
OTP_CODE = "123456"
TLS_PACKAGE = "e2e-tls-ok"

log_lock = threading.Lock()


def say(msg: str) -> None:
  with log_lock:
    sys.stderr.write(f"servers: {msg}\n")
    sys.stderr.flush()


class StartError(Exception):
  pass


# ---------------------------------------------------------------- processes


_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
  _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen | None, deadline: float) -> bool:
  while time.monotonic() < deadline:
    if proc is not None and proc.poll() is not None:
      return False
    try:
      with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    except OSError:
      time.sleep(0.05)
  return False


def pid_alive(pid: int) -> bool:
  try:
    os.kill(pid, 0)
    return True
  except ProcessLookupError:
    return False
  except PermissionError:
    return True


def cmdline(pid: int) -> str:
  try:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
      return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
  except OSError:
    return ""


def belongs_to(pid: int, d: str) -> bool:
  """Whether pid is still one of ours: its command line or its cwd is in d
  (verdaccio renames its process title, so the cwd is what identifies it)."""
  try:
    cwd = os.readlink(f"/proc/{pid}/cwd")
  except OSError:
    cwd = ""
  return d in cmdline(pid) or cwd == d or cwd.startswith(d + "/")


def reap_stale_instances() -> None:
  """Kills what a supervisor that died by SIGKILL left behind."""
  if not os.path.isdir(INSTANCES):
    return
  for name in os.listdir(INSTANCES):
    path = os.path.join(INSTANCES, name)
    try:
      with open(path) as f:
        info = json.load(f)
    except (OSError, ValueError):
      continue
    sup = info.get("supervisor", 0)
    if pid_alive(sup) and "servers.py" in cmdline(sup):
      continue  # a live instance (another run on this machine)
    for pid in info.get("children", []):
      if info.get("dir") and belongs_to(pid, info["dir"]):
        say(f"killing stale process {pid} of a supervisor that died")
        try:
          os.kill(pid, signal.SIGKILL)
        except OSError:
          pass
    if info.get("dir", "").startswith(tempfile.gettempdir() + "/npmx-e2e-servers-"):
      shutil.rmtree(info["dir"], ignore_errors=True)
    try:
      os.unlink(path)
    except OSError:
      pass


# ---------------------------------------------------------------- certificates


def openssl(*args: str, cwd: str) -> None:
  r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
  if r.returncode != 0:
    raise StartError(f"openssl {' '.join(args)} failed:\n{r.stderr}")


CA_CONF = """
[ ca ]
default_ca = e2e_ca
[ e2e_ca ]
dir = {dir}
database = {dir}/index-{name}.txt
new_certs_dir = {dir}/newcerts
serial = {dir}/serial-{name}
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
organizationName = optional
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_leaf ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = @alt
[ alt ]
{alt}
"""


def make_certs(d: str) -> dict:
  """Root -> intermediate -> leaves, plus a self-signed leaf. Returns PEM paths."""
  os.makedirs(os.path.join(d, "newcerts"))

  def key(name: str) -> str:
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f"{name}.key", cwd=d)
    return f"{name}.key"

  def csr(name: str, cn: str) -> None:
    openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/O=npmx e2e/CN={cn}", "-out", f"{name}.csr", cwd=d)

  def sign(name: str, issuer: str | None, ext: str, alt: str, start: str, end: str) -> None:
    conf = os.path.join(d, f"{name}.cnf")
    with open(conf, "w") as f:
      f.write(CA_CONF.format(dir=d, name=name, alt=alt or "DNS.1 = unused"))
    open(os.path.join(d, f"index-{name}.txt"), "w").close()
    with open(os.path.join(d, f"serial-{name}"), "w") as f:
      f.write(hashlib.sha1(name.encode()).hexdigest()[:16] + "\n")
    args = ["ca", "-batch", "-config", conf, "-extensions", ext, "-notext",
            "-in", f"{name}.csr", "-out", f"{name}.pem", "-startdate", start, "-enddate", end]
    if issuer is None:
      args += ["-selfsign", "-keyfile", f"{name}.key"]
    else:
      args += ["-cert", f"{issuer}.pem", "-keyfile", f"{issuer}.key"]
    openssl(*args, cwd=d)

  valid_from, valid_to = "20250101000000Z", "20350101000000Z"
  key("root")
  csr("root", "npmx e2e Root CA")
  sign("root", None, "v3_ca", "", valid_from, valid_to)
  key("intermediate")
  csr("intermediate", "npmx e2e Intermediate CA")
  sign("intermediate", "root", "v3_ca", "", valid_from, valid_to)

  loopback = "DNS.1 = localhost\nIP.1 = 127.0.0.1"
  key("leaf")
  csr("leaf", "127.0.0.1")
  sign("leaf", "intermediate", "v3_leaf", loopback, valid_from, valid_to)
  shutil.copy(os.path.join(d, "leaf.key"), os.path.join(d, "expired.key"))
  csr("expired", "127.0.0.1")
  sign("expired", "intermediate", "v3_leaf", loopback, "20240101000000Z", "20250101000000Z")
  shutil.copy(os.path.join(d, "leaf.key"), os.path.join(d, "wronghost.key"))
  csr("wronghost", "registry.npmx-e2e.test")
  sign("wronghost", "intermediate", "v3_leaf", "DNS.1 = registry.npmx-e2e.test", valid_from, valid_to)
  key("selfsigned")
  csr("selfsigned", "127.0.0.1")
  sign("selfsigned", None, "v3_leaf", loopback, valid_from, valid_to)

  def cat(out: str, *names: str) -> str:
    path = os.path.join(d, out)
    with open(path, "w") as f:
      for n in names:
        with open(os.path.join(d, f"{n}.pem")) as g:
          f.write(g.read())
    return path

  return {
    "root": cat("ca-root.pem", "root"),
    "root_and_intermediate": cat("ca-root-and-intermediate.pem", "intermediate", "root"),
    "selfsigned": cat("ca-selfsigned.pem", "selfsigned"),
    "chains": {
      "tls_self_signed_in_chain": (cat("chain-full.pem", "leaf", "intermediate", "root"), "leaf.key"),
      "tls_depth_zero": (cat("chain-selfsigned.pem", "selfsigned"), "selfsigned.key"),
      "tls_issuer_missing": (cat("chain-no-root.pem", "leaf", "intermediate"), "leaf.key"),
      "tls_leaf_only": (cat("chain-leaf-only.pem", "leaf"), "leaf.key"),
      "tls_expired": (cat("chain-expired.pem", "expired", "intermediate"), "expired.key"),
      "tls_altname": (cat("chain-wronghost.pem", "wronghost", "intermediate"), "wronghost.key"),
      "tls_ok": (cat("chain-ok.pem", "leaf", "intermediate"), "leaf.key"),
      "tls_denied": (cat("chain-ok.pem", "leaf", "intermediate"), "leaf.key"),
    },
  }


# ---------------------------------------------------------------- packages


def make_tarball(manifest: dict, extra: dict[str, str] | None = None) -> bytes:
  files = {"package/package.json": json.dumps(manifest, indent=2) + "\n"}
  files["package/index.js"] = "module.exports = 1\n"
  for k, v in (extra or {}).items():
    files[f"package/{k}"] = v
  raw = io.BytesIO()
  with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
    for name, text in files.items():
      data = text.encode()
      info = tarfile.TarInfo(name)
      info.size = len(data)
      info.mtime = 499162500  # npm's own fixed mtime (1985-10-26)
      info.mode = 0o644
      tar.addfile(info, io.BytesIO(data))
  out = io.BytesIO()
  with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
    gz.write(raw.getvalue())
  return out.getvalue()


def dist_of(tgz: bytes) -> dict:
  return {
    "shasum": hashlib.sha1(tgz).hexdigest(),
    "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode(),
  }


def publish_body(base: str, name: str, version: str, extra_version: dict | None = None,
                 manifest_extra: dict | None = None, files: dict[str, str] | None = None) -> dict:
  """manifest_extra goes into the tarball's package.json too (scripts, bin,
  engines, os, peerDependencies: what npm reads from the installed package)."""
  manifest = {"name": name, "version": version, "description": f"{name} for npmx e2e", "main": "index.js", "license": "MIT"}
  manifest.update(manifest_extra or {})
  tgz = make_tarball(manifest, files)
  file = f"{name.split('/')[-1]}-{version}.tgz"
  v = dict(manifest, _id=f"{name}@{version}", dist=dict(dist_of(tgz), tarball=f"{base}{name}/-/{file}"))
  v.update(extra_version or {})
  return {
    "_id": name,
    "name": name,
    "description": manifest["description"],
    "dist-tags": {"latest": version},
    "versions": {version: v},
    "_attachments": {file: {"content_type": "application/octet-stream", "data": base64.b64encode(tgz).decode(), "length": len(tgz)}},
  }


# ---------------------------------------------------------------- python servers


class Quiet(http.server.BaseHTTPRequestHandler):
  protocol_version = "HTTP/1.1"
  server_version = "npmx-e2e"
  sys_version = ""

  def log_message(self, *args) -> None:  # noqa: D401 - silence
    pass

  def send(self, status: int, body: bytes, ctype: str = "application/json", headers: dict | None = None) -> None:
    self.send_response(status)
    self.send_header("Content-Type", ctype)
    self.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
      self.send_header(k, v)
    self.end_headers()
    if self.command != "HEAD":
      self.wfile.write(body)

  def body(self) -> bytes:
    n = int(self.headers.get("Content-Length") or 0)
    return self.rfile.read(n) if n else b""


def static_registry_handler(scheme: str):
  """A registry holding one package, e2e-tls-ok@1.0.0 (used behind TLS)."""
  manifest = {"name": TLS_PACKAGE, "version": "1.0.0", "description": "served over TLS", "main": "index.js", "license": "MIT"}
  tgz = make_tarball(manifest)

  class H(Quiet):
    def do_GET(self) -> None:
      base = f"{scheme}://{self.headers.get('Host')}/"
      if self.path.rstrip("/") == f"/{TLS_PACKAGE}":
        v = dict(manifest, _id=f"{TLS_PACKAGE}@1.0.0", dist=dict(dist_of(tgz), tarball=f"{base}{TLS_PACKAGE}/-/{TLS_PACKAGE}-1.0.0.tgz"))
        doc = {"_id": TLS_PACKAGE, "name": TLS_PACKAGE, "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": v}}
        self.send(200, json.dumps(doc).encode())
      elif self.path == f"/{TLS_PACKAGE}/-/{TLS_PACKAGE}-1.0.0.tgz":
        self.send(200, tgz, "application/octet-stream")
      else:
        self.send(404, b'{"error":"Not found"}')

    do_HEAD = do_GET

    def do_POST(self) -> None:
      self.body()
      self.send(404, b'{"error":"Not found"}')

  return H


def recovering_handler():
  """The TLS registry's package over plain HTTP, but each path answers 503
  the first time it is asked: an outage npm rides out by retrying."""
  base = static_registry_handler("http")
  seen: set = set()
  lock = threading.Lock()

  class H(base):
    def do_GET(self) -> None:
      with lock:
        first = self.path not in seen
        seen.add(self.path)
      if first:
        self.send(503, b"<html><body>503 Service Unavailable</body></html>\n", "text/html")
      else:
        super().do_GET()

    do_HEAD = do_GET

  return H


def status_handler(status: int, body: bytes, ctype: str, headers: dict | None = None):
  class H(Quiet):
    def _any(self) -> None:
      self.body()
      self.send(status, body, ctype, headers)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _any

  return H


def otp_handler(log_path: str):
  """Answers publishes with 401 + WWW-Authenticate: OTP until npm-otp is right."""
  lock = threading.Lock()

  class H(Quiet):
    def record(self, status: int) -> None:
      entry = {"method": self.command, "path": self.path, "npm_otp": self.headers.get("npm-otp"), "status": status}
      with lock, open(log_path, "a") as f:
        f.write(json.dumps(entry) + "\n")

    def do_GET(self) -> None:
      self.record(404)
      self.send(404, b'{"error":"Not found"}')

    def do_PUT(self) -> None:
      self.body()
      if self.headers.get("npm-otp") == OTP_CODE:
        self.record(201)
        self.send(201, b'{"ok":"created new package"}')
      else:
        self.record(401)
        self.send(
          401,
          b'{"error":"You must provide a one-time pass. Upgrade your client to npm@latest in order to use 2FA."}',
          headers={"WWW-Authenticate": "OTP"},
        )

    do_POST = do_PUT

  return H


# ---------------------------------------------------------------- scripted registry
#
# Answers as registry.npmjs.org (or a named private registry) would, one
# package name per scenario. The reasons are verbatim from what those
# registries send (see /work/shared/research/npm-errors.md §3 and §5).


def reply(status: int, error: str | None = None, phrase: str | None = None, headers: dict | None = None,
          body: bytes | None = None, ctype: str = "application/json") -> dict:
  """One answer: status, optional reason phrase (status line), body
  {"error": error} unless body is given, extra headers."""
  if body is None:
    body = json.dumps({"error": error}).encode() if error is not None else b"{}"
  return {"status": status, "phrase": phrase, "body": body, "ctype": ctype, "headers": headers or {}}


NOT_FOUND = reply(404, "Not found")
# Tokens the scripted registry knows. Every response to a request that
# carries EXPIRED_TOKEN has the npm-notice header npmjs attaches then.
SCRIPTED_TOKEN = "npm_NS2sO4TuBlTKgZcyFfVnZ7BHDSzEgj64prGa"
EXPIRED_TOKEN = "npm_zDDob5oOYRSuLNysXQ76oLoPeJA74Ht3hZXF"
HOSTILE_TOKEN = "npm_DJLWgaBSbH7Q03zCiwo1vQUlSOResaoYZbV6"
GHP_TOKEN = "ghp_aErlW7IiVD7dcOhrSsLhMPirxvTgFIQiKK1d"
EXPIRED_NOTICE = "Access token expired or revoked. Please try logging in again."
# GitHub Actions' ID-token service (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN).
ACTIONS_REQUEST_TOKEN = "e2e-actions-id-token-request-token"


def fake_jwt(claims: dict) -> str:
  def b64(doc: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode().rstrip("=")

  sig = base64.urlsafe_b64encode(hashlib.sha256(b"npmx e2e, not a signature").digest() * 8).decode().rstrip("=")
  return f"{b64({'alg': 'RS256', 'typ': 'JWT', 'kid': 'npmx-e2e'})}.{b64(claims)}.{sig}"


ACTIONS_ID_TOKEN = fake_jwt({
  "iss": "https://token.actions.githubusercontent.com",
  "aud": "npm:127.0.0.1",
  "sub": "repo:acme/e2e-oidc:ref:refs/heads/main",
  "repository": "acme/e2e-oidc",
  "repository_visibility": "public",
  "workflow_ref": "acme/e2e-oidc/.github/workflows/release.yml@refs/heads/main",
  "ref": "refs/heads/main",
  "iat": 1767225600,
  "exp": 1767229200,
})

HOSTILE_REASON = ("Forbidden \u001b[31mRED\u001b[0m \u001b]0;pwned\u0007 bell\u0007 "
                  "npm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")

# npm prints npm-notice headers without redacting them. (Node refuses
# control characters in header values: HPE_INVALID_HEADER_TOKEN.)
HOSTILE_NOTICE = "Your token npm_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB was used from a new location"

# package name -> {"GET": packument reply, "TARBALL": reply, "PUT": reply,
# "EXCHANGE": reply to POST /-/npm/v1/oidc/token/exchange/package/<name>}.
# "GET": "serve" serves a packument for <name>@1.0.0. Missing: 404 Not found.
SCRIPTED = {
  "@e2e-scope/widget": {"PUT": reply(402, "You must sign up for private packages")},
  "e2e-put-404": {"PUT": NOT_FOUND},
  "e2e-put-404-expired": {"PUT": NOT_FOUND},
  "e2e-notice-ok": {"GET": "serve"},
  "e2e-bypass-2fa": {"PUT": reply(403, "Two-factor authentication or granular access token with bypass 2fa enabled is required to publish packages.")},
  "e2e-automation-token": {"PUT": reply(403, "Two-factor authentication is required to publish this package but an automation token was specified")},
  "e2e-readonly-token": {"PUT": reply(403, "You may not perform that action with these credentials.")},
  "foox": {"PUT": reply(403, "Package name too similar to existing packages foo,bar; try renaming your package to '@alice/foox' and publishing with 'npm publish --access=public' instead")},
  "e2e-taken": {"PUT": reply(403, 'You do not have permission to publish "e2e-taken". Are you logged in as the correct user?')},
  "e2e-bare-forbidden": {"PUT": reply(403, "Forbidden")},
  "e2e-widget": {"PUT": reply(422, 'Error verifying sigstore provenance bundle: Failed to validate repository information: package.json: "repository.url" is "", expected to match "https://github.com/acme/widget" from provenance')},
  # Sonatype Nexus Firewall: the reason is the status line's phrase, the
  # metadata is served, the tarball is refused.
  "e2e-quarantined": {"GET": "serve", "TARBALL": reply(403, phrase="Requested item is quarantined", body=b"", ctype="text/html")},
  # GitHub Packages: 401 with the reason in the body and no WWW-Authenticate.
  "@e2e-ghp/pkg": {"GET": reply(401, "unauthenticated: User cannot be authenticated with the token provided.")},
  "e2e-hostile": {"GET": reply(403, HOSTILE_REASON, headers={"npm-notice": HOSTILE_NOTICE})},
  # Trusted publishing: no trusted publisher configured for the package.
  "e2e-oidc": {"EXCHANGE": reply(404, body=json.dumps({"message": "OIDC token exchange error - package not found"}).encode())},
}


def scripted_handler(log_path: str, table: dict):
  """A registry that answers from `table` (see SCRIPTED), and GitHub Actions'
  ID-token endpoint at /_apis/idtoken. Logs every request to log_path."""
  from urllib.parse import unquote, urlsplit

  lock = threading.Lock()
  exchange = "/-/npm/v1/oidc/token/exchange/package/"

  class H(Quiet):
    def answer(self, r: dict, extra_path: str = "") -> None:
      headers = dict(r["headers"])
      auth = self.headers.get("Authorization") or ""
      if auth == f"Bearer {EXPIRED_TOKEN}":
        headers["npm-notice"] = EXPIRED_NOTICE
      entry = {"method": self.command, "path": self.path, "authorization": auth or None, "status": r["status"]}
      if "npm-notice" in headers:
        entry["npm_notice"] = headers["npm-notice"]
      with lock, open(log_path, "a") as f:
        f.write(json.dumps(entry) + "\n")
      self.send_response(r["status"], r["phrase"])
      self.send_header("Content-Type", r["ctype"])
      self.send_header("Content-Length", str(len(r["body"])))
      for k, v in headers.items():
        self.send_header(k, v)
      self.end_headers()
      if self.command != "HEAD":
        self.wfile.write(r["body"])

    def split(self) -> tuple[str, str]:
      """(registry base path, rest): a Nexus-style /repository/<repo>/ prefix is kept apart."""
      path = urlsplit(self.path).path
      if path.startswith("/repository/"):
        parts = path.split("/", 3)
        if len(parts) == 4:
          return "/".join(parts[:3]) + "/", "/" + parts[3]
      return "/", path

    def do_GET(self) -> None:
      url = urlsplit(self.path)
      if url.path == "/_apis/idtoken":
        if self.headers.get("Authorization") != f"Bearer {ACTIONS_REQUEST_TOKEN}":
          return self.answer(reply(401, body=b'{"message":"Bad credentials"}'))
        return self.answer(reply(200, body=json.dumps({"count": 1, "value": ACTIONS_ID_TOKEN}).encode()))
      base, rest = self.split()
      if "/-/" in rest:
        name = unquote(rest[1:].split("/-/")[0])
        entry = table.get(name, {})
        if entry.get("GET") == "serve" and rest.endswith(f"/-/{name.split('/')[-1]}-1.0.0.tgz"):
          return self.answer(entry.get("TARBALL") or reply(200, body=self.package(name)[1], ctype="application/octet-stream"))
        return self.answer(NOT_FOUND)
      name = unquote(rest[1:])
      entry = table.get(name, {})
      r = entry.get("GET", NOT_FOUND)
      if r == "serve":
        host = f"http://{self.headers.get('Host')}{base}"
        manifest, tgz = self.package(name)
        file = f"{name.split('/')[-1]}-1.0.0.tgz"
        v = dict(manifest, _id=f"{name}@1.0.0", dist=dict(dist_of(tgz), tarball=f"{host}{name}/-/{file}"))
        doc = {"_id": name, "name": name, "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": v}}
        r = reply(200, body=json.dumps(doc).encode())
      self.answer(r)

    do_HEAD = do_GET

    @staticmethod
    def package(name: str) -> tuple[dict, bytes]:
      manifest = {"name": name, "version": "1.0.0", "description": f"{name} for npmx e2e", "main": "index.js", "license": "MIT"}
      return manifest, make_tarball(manifest)

    def do_PUT(self) -> None:
      self.body()
      _, rest = self.split()
      self.answer(table.get(unquote(rest[1:]), {}).get("PUT", NOT_FOUND))

    def do_POST(self) -> None:
      self.body()
      _, rest = self.split()
      if rest.startswith(exchange):
        name = unquote(rest[len(exchange):])
        return self.answer(table.get(name, {}).get("EXCHANGE", NOT_FOUND))
      if rest.startswith("/-/npm/v1/security/"):
        return self.answer(reply(200))  # audit: nothing to report
      self.answer(NOT_FOUND)

  return H


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
  daemon_threads = True
  allow_reuse_address = True
  block_on_close = False

  def handle_error(self, request, client_address) -> None:  # handshake failures are the point
    pass


class TLSServer(Server):
  def __init__(self, addr, handler, ctx: ssl.SSLContext):
    self.ctx = ctx
    super().__init__(addr, handler)

  def finish_request(self, request, client_address) -> None:
    # Handshake in the request thread, so a client that stalls blocks nobody.
    try:
      request.settimeout(10)
      tls = self.ctx.wrap_socket(request, server_side=True)
      tls.settimeout(None)
    except (OSError, ssl.SSLError):
      return
    self.RequestHandlerClass(tls, client_address, self)


class RawServer(threading.Thread):
  """Accepts connections and then either holds them silently or resets them."""

  def __init__(self, mode: str):
    super().__init__(daemon=True)
    self.mode = mode
    self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    self.sock.bind(("127.0.0.1", 0))
    self.sock.listen(64)
    self.port = self.sock.getsockname()[1]
    self.held: list[socket.socket] = []
    self.stopped = False

  def run(self) -> None:
    while not self.stopped:
      try:
        conn, _ = self.sock.accept()
      except OSError:
        return
      if self.mode == "hang":
        self.held.append(conn)  # never answered, closed at shutdown
      else:
        threading.Thread(target=self.reset, args=(conn,), daemon=True).start()

  @staticmethod
  def reset(conn: socket.socket) -> None:
    try:
      conn.settimeout(5)
      data = b""
      while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
          break
        data += chunk
      conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
      pass
    finally:
      conn.close()

  def stop(self) -> None:
    self.stopped = True
    try:
      self.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
      pass
    self.sock.close()
    for c in self.held:
      c.close()


def serve(server: socketserver.BaseServer) -> None:
  threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()


# ---------------------------------------------------------------- verdaccio


VERDACCIO_CONF = """\
storage: {dir}/storage
auth:
  htpasswd:
    file: {dir}/htpasswd
    max_users: -1
uplinks: {{}}
packages:
  '@allowed/*':
    access: $all
    publish: alice
    unpublish: alice
  '@private/*':
    access: $authenticated
    publish: $authenticated
    unpublish: $authenticated
  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
web:
  enable: false
server:
  keepAliveTimeout: 60
middlewares:
  audit:
    enabled: false
log:
  type: stdout
  format: pretty
  level: warn
"""


def http_json(method: str, url: str, body: dict | None = None, token: str | None = None, basic: tuple[str, str] | None = None) -> tuple[int, dict]:
  data = json.dumps(body).encode() if body is not None else None
  req = urllib.request.Request(url, data=data, method=method)
  req.add_header("Content-Type", "application/json")
  if token:
    req.add_header("Authorization", f"Bearer {token}")
  if basic:
    req.add_header("Authorization", "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode())
  opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
  try:
    with opener.open(req, timeout=20) as r:
      return r.status, json.loads(r.read() or b"{}")
  except urllib.error.HTTPError as e:
    try:
      return e.code, json.loads(e.read() or b"{}")
    except ValueError:
      return e.code, {}


# ---------------------------------------------------------------- supervisor


class Supervisor:
  def __init__(self, state_path: str, keep: bool):
    self.state_path = state_path
    self.keep = keep
    self.procs: dict[str, subprocess.Popen] = {}
    self.logs: dict[str, str] = {}
    self.py_servers: list = []
    self.dir = tempfile.mkdtemp(prefix="npmx-e2e-servers-")
    os.chmod(self.dir, 0o755)
    self.instance_file = os.path.join(INSTANCES, f"{os.getpid()}.json")
    self.stopping = False

  # -- bookkeeping

  def record(self) -> None:
    os.makedirs(INSTANCES, exist_ok=True)
    info = {"supervisor": os.getpid(), "dir": self.dir, "children": [p.pid for p in self.procs.values()]}
    tmp = self.instance_file + ".tmp"
    with open(tmp, "w") as f:
      json.dump(info, f)
    os.replace(tmp, self.instance_file)

  def spawn(self, name: str, argv: list[str], env: dict, cwd: str | None = None, user_owned_log: str | None = None) -> subprocess.Popen:
    log_path = os.path.join(self.dir, f"{name}.log")
    logf = open(log_path, "wb")
    if user_owned_log:
      pw = pwd.getpwnam(user_owned_log)
      os.chown(log_path, pw.pw_uid, pw.pw_gid)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, env=env, cwd=cwd, preexec_fn=_die_with_parent)
    logf.close()
    self.procs[name] = p
    self.logs[name] = log_path
    self.record()
    return p

  def log_of(self, name: str, extra: str | None = None) -> str:
    out = []
    for path in [self.logs.get(name), extra]:
      if path and os.path.exists(path):
        with open(path, errors="replace") as f:
          out.append(f"--- {path}\n{f.read()[-6000:]}")
    return "\n".join(out) or "(no log)"

  # -- servers

  def start_python_servers(self, certs: dict) -> dict:
    ports = {}
    for mode in ("hang", "reset"):
      s = RawServer(mode)
      s.start()
      self.py_servers.append(s)
      ports[mode] = s.port

    def http(name: str, handler) -> None:
      srv = Server(("127.0.0.1", 0), handler)
      serve(srv)
      self.py_servers.append(srv)
      ports[name] = srv.server_address[1]

    http("status429", status_handler(429, b"Too Many Requests\n", "text/plain", {"Retry-After": "60"}))
    http(
      "status503",
      status_handler(
        503,
        b"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n",
        "text/html",
      ),
    )
    http("recovers", recovering_handler())
    http("otp", otp_handler(os.path.join(self.dir, "otp-requests.jsonl")))
    http(
      "html",
      status_handler(
        200,
        b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form action=\"/login\"><input name=\"user\"></form></body></html>\n",
        "text/html; charset=utf-8",
      ),
    )
    scripted_log = os.path.join(self.dir, "scripted-requests.jsonl")
    http("scripted", scripted_handler(scripted_log, SCRIPTED))
    # GitHub Actions' ID-token service runs on its own port, as it is another host there.
    http("actions", scripted_handler(scripted_log, {}))
    for name, (chain, key) in certs["chains"].items():
      ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
      ctx.load_cert_chain(chain, os.path.join(self.dir, "certs", key))
      srv = TLSServer(("127.0.0.1", 0), static_registry_handler("https"), ctx)
      serve(srv)
      self.py_servers.append(srv)
      ports[name] = srv.server_address[1]
    return ports

  def start_verdaccio(self) -> tuple[int, dict]:
    if not os.path.exists(VERDACCIO_BIN):
      raise StartError(f"verdaccio is not installed ({VERDACCIO_BIN} missing): {PROVISION_HINT}")
    d = os.path.join(self.dir, "verdaccio")
    os.makedirs(os.path.join(d, "storage"))
    with open(os.path.join(d, "htpasswd"), "w") as f:
      for user, pw in USERS.items():
        sha = base64.b64encode(hashlib.sha1(pw.encode()).digest()).decode()
        f.write(f"{user}:{{SHA}}{sha}:autocreated 2026-01-01T00:00:00.000Z\n")
    conf = os.path.join(d, "config.yaml")
    with open(conf, "w") as f:
      f.write(VERDACCIO_CONF.format(dir=d))
    port = free_port()
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": d, "NODE_ENV": "production"}
    p = self.spawn("verdaccio", ["node", VERDACCIO_BIN, "--config", conf, "--listen", f"127.0.0.1:{port}"], env, cwd=d)
    deadline = time.monotonic() + 60
    base = f"http://127.0.0.1:{port}/"
    while True:
      if p.poll() is not None:
        raise StartError(f"verdaccio exited with {p.returncode} while starting:\n{self.log_of('verdaccio')}")
      try:
        st, _ = http_json("GET", base + "-/ping")
        if st == 200:
          break
      except OSError:
        pass
      if time.monotonic() > deadline:
        raise StartError(f"verdaccio did not answer /-/ping within 60s:\n{self.log_of('verdaccio')}")
      time.sleep(0.1)

    tokens = {}
    for user, pw in USERS.items():
      st, body = http_json("PUT", f"{base}-/user/org.couchdb.user:{user}", {"_id": f"org.couchdb.user:{user}", "name": user, "password": pw, "type": "user", "roles": [], "date": "2026-01-01T00:00:00.000Z"}, basic=(user, pw))
      if st not in (200, 201) or not body.get("token"):
        raise StartError(f"verdaccio login of {user} answered {st} {body}:\n{self.log_of('verdaccio')}")
      tokens[user] = body["token"]

    seeds = [
      ("@private/pkg", "1.0.0", None),
      ("e2e-existing", "1.0.0", None),
      ("e2e-dep", "1.0.0", None),
      ("e2e-old", "1.0.0", {"deprecated": "e2e-old is no longer maintained, use e2e-dep"}),
    ]
    for name, version, extra in seeds:
      st, body = http_json("PUT", base + name.replace("/", "%2f"), publish_body(base, name, version, extra), tokens["alice"])
      if st not in (200, 201):
        raise StartError(f"verdaccio refused seed package {name}@{version}: {st} {body}:\n{self.log_of('verdaccio')}")
    # Packages whose own package.json makes an install fail the way real
    # ones do (issue "The failures people hit most"): the fields go into the
    # packument and the tarball alike.
    manifests = [
      ("e2e-peer-host", "1.0.0", {}, None),
      ("e2e-peer-host", "2.0.0", {}, None),
      ("e2e-peer-lib", "1.2.3", {"peerDependencies": {"e2e-peer-host": "^2.0.0"}}, None),
      ("e2e-engine", "1.0.0", {"engines": {"node": ">=99"}}, None),
      ("e2e-win-only", "1.0.0", {"os": ["win32"]}, None),
      ("e2e-postinstall", "1.0.0", {"scripts": {"postinstall": "node fetch-binary.js"}},
       {"fetch-binary.js": "console.error('could not download the binary: connect ECONNREFUSED 127.0.0.1:9')\nprocess.exit(3)\n"}),
      ("e2e-native", "1.0.0", {"scripts": {"install": "node-gyp rebuild"}, "gypfile": True},
       {"binding.gyp": '{"targets": [{"target_name": "e2e", "sources": ["e2e.cc"]}]}\n',
        "e2e.cc": "#include <missing_header_npmx_e2e.h>\n"}),
      ("e2e-tool", "1.0.0", {"bin": {"e2e-tool": "cli.js"}}, {"cli.js": "#!/usr/bin/env node\nconsole.log('tool')\n"}),
    ]
    # Twelve plain packages, for an install that opens more files at once
    # than a low `ulimit -n` allows (EMFILE).
    manifests += [(f"e2e-many-{i:02d}", "1.0.0", {}, None) for i in range(12)]
    for name, version, fields, files in manifests:
      body = publish_body(base, name, version, fields, manifest_extra=fields, files=files)
      # A second version of the same name adds to the packument.
      st, body = http_json("PUT", base + name.replace("/", "%2f"), body, tokens["alice"])
      if st not in (200, 201):
        raise StartError(f"verdaccio refused seed package {name}@{version}: {st} {body}:\n{self.log_of('verdaccio')}")
    return port, tokens

  def start_squid(self, denied_port: int) -> tuple[int, int]:
    if not os.path.exists(SQUID) or not os.path.exists(NCSA):
      raise StartError(f"squid is not installed ({SQUID} or {NCSA} missing): {PROVISION_HINT}")
    try:
      pw = pwd.getpwnam("proxy")
    except KeyError:
      raise StartError(f"user 'proxy' (created by Debian's squid package) is missing: {PROVISION_HINT}")
    d = os.path.join(self.dir, "squid")
    os.makedirs(d)
    os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o755)
    r = subprocess.run(["openssl", "passwd", "-apr1", "-salt", "npmxe2e", PROXY_USER[1]], capture_output=True, text=True, check=True)
    with open(os.path.join(d, "passwd"), "w") as f:
      f.write(f"{PROXY_USER[0]}:{r.stdout.strip()}\n")
    os.chmod(os.path.join(d, "passwd"), 0o644)
    open_port, auth_port = free_port(), free_port()
    while auth_port == open_port:
      auth_port = free_port()
    conf = os.path.join(d, "squid.conf")
    with open(conf, "w") as f:
      f.write(f"""\
http_port 127.0.0.1:{open_port} name=open
http_port 127.0.0.1:{auth_port} name=auth
cache_effective_user proxy
pid_filename {d}/squid.pid
cache_log {d}/cache.log
access_log stdio:{d}/access.log
cache_store_log none
coredump_dir {d}
cache deny all
cache_mem 8 MB
max_filedescriptors 1024
visible_hostname npmx-e2e-squid
httpd_suppress_version_string on
dns_timeout 2 seconds
dns_nameservers 127.0.0.1
connect_timeout 5 seconds
shutdown_lifetime 0 seconds
auth_param basic program {NCSA} {d}/passwd
auth_param basic children 2 startup=1 idle=1
auth_param basic realm npmx e2e proxy
acl open_port myportname open
acl auth_port myportname auth
acl CONNECT method CONNECT
acl denied_target port {denied_port}
acl authenticated proxy_auth REQUIRED
http_access deny open_port CONNECT denied_target
http_access allow open_port
http_access allow auth_port authenticated
http_access deny all
""")
    os.chmod(conf, 0o644)
    check = subprocess.run([SQUID, "-k", "parse", "-f", conf], capture_output=True, text=True)
    if check.returncode != 0:
      raise StartError(f"squid rejected its config:\n{check.stdout}{check.stderr}")
    p = self.spawn("squid", [SQUID, "-N", "-f", conf], {"PATH": "/usr/sbin:/usr/bin:/bin"}, cwd=d)
    deadline = time.monotonic() + 30
    for port in (open_port, auth_port):
      if not wait_port(port, p, deadline):
        raise StartError(f"squid did not listen on 127.0.0.1:{port} (exit {p.poll()}):\n{self.log_of('squid', os.path.join(d, 'cache.log'))}")
    return open_port, auth_port

  # -- lifecycle

  def start(self) -> dict:
    reap_stale_instances()
    self.record()
    certs_dir = os.path.join(self.dir, "certs")
    os.makedirs(certs_dir)
    certs = make_certs(certs_dir)
    ports = self.start_python_servers(certs)
    ports["squid_open"], ports["squid_auth"] = self.start_squid(ports["tls_denied"])
    ports["verdaccio"], tokens = self.start_verdaccio()
    ports["closed"] = free_port()
    state = {
      "supervisor_pid": os.getpid(),
      "dir": self.dir,
      "placeholder_dir": PLACEHOLDER_DIR,
      "ports": ports,
      "placeholder_ports": PLACEHOLDER_PORTS,
      "tokens": tokens,
      "fake_tokens": FAKE_TOKENS,
      "users": USERS,
      "proxy_user": list(PROXY_USER),
      "otp_code": OTP_CODE,
      "otp_log": os.path.join(self.dir, "otp-requests.jsonl"),
      "scripted_log": os.path.join(self.dir, "scripted-requests.jsonl"),
      "scripted_tokens": {"ok": SCRIPTED_TOKEN, "expired": EXPIRED_TOKEN, "hostile": HOSTILE_TOKEN, "ghp": GHP_TOKEN},
      "actions_request_token": ACTIONS_REQUEST_TOKEN,
      "certs": {"root": certs["root"], "root_and_intermediate": certs["root_and_intermediate"], "selfsigned": certs["selfsigned"]},
      "logs": self.logs,
    }
    os.makedirs(os.path.dirname(os.path.abspath(self.state_path)), exist_ok=True)
    tmp = self.state_path + ".tmp"
    with open(tmp, "w") as f:
      json.dump(state, f, indent=2)
    os.replace(tmp, self.state_path)
    return state

  def stop(self) -> None:
    if self.stopping:
      return
    self.stopping = True
    for s in self.py_servers:
      try:
        if isinstance(s, RawServer):
          s.stop()
        else:
          s.shutdown()
          s.server_close()
      except Exception:
        pass
    for p in self.procs.values():
      if p.poll() is None:
        p.terminate()
    deadline = time.monotonic() + 5
    for p in self.procs.values():
      try:
        p.wait(max(0.1, deadline - time.monotonic()))
      except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    if not self.keep:
      shutil.rmtree(self.dir, ignore_errors=True)
    for path in (self.instance_file, self.state_path):
      try:
        if path == self.state_path:
          with open(path) as f:
            if json.load(f).get("supervisor_pid") != os.getpid():
              continue
        os.unlink(path)
      except (OSError, ValueError):
        pass

  def watch(self) -> str:
    """Blocks until it is time to stop; returns why."""
    parent = os.getppid()
    sel = selectors.DefaultSelector()
    stdin_open = True
    try:
      sel.register(sys.stdin.fileno(), selectors.EVENT_READ)
    except (ValueError, OSError, PermissionError):
      stdin_open = False
    while True:
      if stdin_open:
        for _key, _ in sel.select(timeout=0.5):
          if not os.read(sys.stdin.fileno(), 4096):
            return "stdin closed"
      else:
        time.sleep(0.5)
      if os.getppid() != parent:
        return "parent died"
      for name, p in self.procs.items():
        if p.poll() is not None:
          return f"{name} exited unexpectedly with {p.returncode}:\n{self.log_of(name)}"


def main() -> int:
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--state", default=os.path.join(WORK, "servers.json"))
  ap.add_argument("--keep", action="store_true", help="keep the temporary directory (for debugging)")
  args = ap.parse_args()

  sup = Supervisor(os.path.abspath(args.state), args.keep)

  def on_signal(signum, _frame):
    raise SystemExit(128 + signum)

  for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, on_signal)
  # No PR_SET_PDEATHSIG on the supervisor itself: it fires when the *thread*
  # that started it ends, and test harnesses start it from short-lived threads.
  # stdin EOF and the parent-pid check in watch() cover the parent's death.
  rc = 0
  try:
    t0 = time.monotonic()
    sup.start()
    say(f"all servers ready in {time.monotonic() - t0:.1f}s")
    print(f"READY {sup.state_path}", flush=True)
    why = sup.watch()
    if "unexpectedly" in why:
      say(why)
      rc = 1
  except StartError as e:
    say(f"FAILED: {e}")
    rc = 2
  except SystemExit as e:
    rc = int(e.code or 0)
  finally:
    sup.stop()
  return rc


if __name__ == "__main__":
  sys.exit(main())
