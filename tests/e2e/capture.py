#!/usr/bin/env python3
"""Runs the machine's real npm against the e2e servers and records what it did.

    python3 tests/e2e/capture.py [--only NAME[,NAME...]] [--out DIR] [--list]

Starts tests/e2e/servers.py (and stops it at the end), then for each scenario
runs `npm <args>` in a cleaned environment with its own HOME, cache,
userconfig and empty globalconfig, and writes to tests/fixtures/npm11/<name>/:

  stdout, stderr   the exact bytes npm wrote, normalised (see NORMALISATION)
  debug.log        this run's npm debug log, normalised
  meta.json        argv, exit code, versions, env, the files the run had,
                   and the cause a senior engineer would name (expect.id)

tests/e2e/ re-runs every fixture through npmx from meta.json and compares.
Never edit fixtures by hand: re-run this script.

NORMALISATION (must match tests/e2e/normalise.rs):
  * the servers' temporary directory -> /tmp/npmx-e2e/servers
  * the scenario's temporary directory -> /tmp/npmx-e2e
  * each server's real port -> its fixed placeholder port (servers.py
    PLACEHOLDER_PORTS), wherever it follows 127.0.0.1:, localhost:, or
    "port: " (Node's error dumps)
  * real Verdaccio tokens -> fixed npm-style fake tokens (servers.py FAKE_TOKENS)
  * log-file time stamps -> 2026-01-01T00_00_00_000Z
  * durations (123ms, and npm's "in 2s") -> 0ms
  * in debug logs (and --loglevel=verbose output): "unfinished npm timer <name> <epoch ms>" -> 1767225600000,
    "verbose os Linux <kernel release>" -> 6.1.0-npmx-e2e, and the
    packumentCache sizes (derived from this machine's memory) -> fixed values,
    HTTP dates (Date headers in dumped errors) -> Thu, 01 Jan 2026 00:00:00 GMT
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "npm11")
NPM = "/usr/bin/npm"
PLACEHOLDER_TMP = "/tmp/npmx-e2e"
BAD_TOKEN = "npm_oIYzk1nC64zK5sU8oaAaMCo2xQR484MPBKeb"
DEAD_DNS_HOST = "registry.npmx-e2e.test"

# ------------------------------------------------------------------ scenarios
#
# args/files/env values may use <<name>> for a live value (see values()).
# files: "userconfig" is HOME/.npmrc (passed as --userconfig); "project/<p>"
# is <p> in the directory npm runs in. Every run also gets --globalconfig (an
# empty file), --cache and --update-notifier=false.

PKG = '{\n  "name": "e2e-project",\n  "version": "1.0.0"\n}\n'


def pkg(name: str, version: str = "1.0.0", **extra) -> str:
  doc = {"name": name, "version": version, "description": f"{name} (npmx e2e)", "license": "MIT"}
  doc.update(extra)
  return json.dumps(doc, indent=2) + "\n"


OFFLINE_NOTE = ("Offline there is no config or environment to show the proxy / the missing token; "
                "npm's text alone says this.")


def sc(name, args, expect, note, files=None, env=None, wrap=None, root_only=False, tty=None, also=None, saw=False,
       offline=None, offline_note=OFFLINE_NOTE, npm=None, ulimit=None, leftover=None):
  """expect: the cause's id (None: npmx says nothing). also: ids npmx should list
  after it. offline: what npm's files alone show (tests/integration/corpus.rs), one id or
  {file: id}, where the config or environment decides expect. saw: record the
  scripted registry's requests. npm: another npm release than /usr/bin/npm's,
  installed once into .work/npm-<version> (see other_npm). ulimit: for wrap
  "ulimit", the open-file limit (`ulimit -n`) npm runs with. leftover: for wrap
  "leftover-retired-dir", the folder (under project/) whose retired copy an
  interrupted install left behind."""
  return {
    "npm": npm,
    "ulimit": ulimit,
    "leftover": leftover,
    "offline": offline,
    "offline_note": offline_note,
    "tty": tty,
    "also": also,
    "saw": saw,
    "name": name,
    "args": args,
    "expect": expect,
    "note": note,
    "files": files or {"project/package.json": PKG},
    "env": env or {},
    "wrap": wrap,
    "root_only": root_only,
  }


V = "--registry=<<verdaccio>>"
NO_RETRY = "--fetch-retries=0"
ALICE_RC = "//<<verdaccio_hostport>>/:_authToken=<<alice_token>>\n"
BOB_RC = "//<<verdaccio_hostport>>/:_authToken=<<bob_token>>\n"
TLS_INSTALL = ["install", "e2e-tls-ok", NO_RETRY]


S = "--registry=<<scripted>>"


def token_rc(token: str = "scripted_ok") -> str:
  return f"//<<scripted_hostport>>/:_authToken=<<{token}>>\n"


def publish_to_scripted(name, package, expect, note, token="scripted_ok", args=(), also=None):
  """npm publish of `package` to the scripted registry, with a token for it in the user .npmrc."""
  return sc(name, ["publish", S, *args], expect, note,
            {"project/package.json": pkg(package), "userconfig": token_rc(token)}, also=also, saw=True)


# A project with e2e-peer-host@1 installed (as by npm install).
INTERRUPTED_FILES = {
  "project/package.json": pkg("e2e-project", dependencies={"e2e-peer-host": "^1.0.0"}),
  "project/node_modules/e2e-peer-host/package.json": pkg("e2e-peer-host"),
  "project/node_modules/e2e-peer-host/index.js": "module.exports = 1\n",
}


# GitHub Actions with `permissions: id-token: write`, as npm's oidc.js reads it.
ACTIONS_ENV = {
  "CI": "true",
  "GITHUB_ACTIONS": "true",
  "ACTIONS_ID_TOKEN_REQUEST_URL": "<<actions>>_apis/idtoken?api-version=2.0",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "<<actions_request_token>>",
}


def tls_rc(server: str, cafile: str | None = None) -> dict:
  rc = f"registry=<<{server}>>\n"
  if cafile:
    rc += f"cafile=<<{cafile}>>\n"
  return {"project/package.json": PKG, "project/.npmrc": rc}


SCENARIOS = [
  # --- Verdaccio
  sc("verdaccio-publish-anonymous", ["publish", V], "not-logged-in",
     "No token for the registry: npm refuses before sending anything.",
     {"project/package.json": pkg("e2e-anon")}),
  sc("verdaccio-publish-bad-token", ["publish", V], "auth-rejected",
     "Token for the registry is set (from ${NPM_TOKEN} in the project .npmrc) but Verdaccio does not know it.",
     {"project/package.json": pkg("e2e-badtoken"), "project/.npmrc": "//<<verdaccio_hostport>>/:_authToken=${NPM_TOKEN}\n"},
     env={"NPM_TOKEN": BAD_TOKEN}),
  sc("verdaccio-install-private-anonymous", ["install", "@private/pkg", V], "not-logged-in",
     "@private/* is $authenticated; no token configured at all.",
     offline="auth-rejected"),
  sc("verdaccio-publish-forbidden-user", ["publish", V], "publish-forbidden",
     "bob is logged in but only alice may publish @allowed/*.",
     {"project/package.json": pkg("@allowed/x"), "userconfig": BOB_RC}),
  sc("verdaccio-publish-forbidden-user-verbose", ["publish", V, "--loglevel=verbose"], "publish-forbidden",
     "Same as verdaccio-publish-forbidden-user with --loglevel=verbose.",
     {"project/package.json": pkg("@allowed/x"), "userconfig": BOB_RC}),
  sc("verdaccio-install-not-found", ["install", "e2e-does-not-exist", V], "package-not-found",
     "Package that no one published."),
  sc("verdaccio-install-not-found-json", ["install", "e2e-does-not-exist", V, "--json"], "package-not-found",
     "Same as verdaccio-install-not-found with --json."),
  sc("verdaccio-publish-existing-version", ["publish", V], "version-exists",
     "e2e-existing@1.0.0 is already published; npm's own pre-check refuses.",
     {"project/package.json": pkg("e2e-existing"), "userconfig": ALICE_RC}),
  sc("verdaccio-publish-existing-version-force", ["publish", V, "--force"], "version-exists",
     "--force skips npm's pre-check; Verdaccio answers 409.",
     {"project/package.json": pkg("e2e-existing"), "userconfig": ALICE_RC}),
  sc("verdaccio-publish-private-field", ["publish", V], "package-private",
     'package.json has "private": true.',
     {"project/package.json": pkg("e2e-private-field", private=True), "userconfig": ALICE_RC}),
  sc("verdaccio-publish-ok", ["publish", V], None,
     "Successful publish (negative case).",
     {"project/package.json": pkg("e2e-new"), "userconfig": ALICE_RC}),
  sc("verdaccio-install-ok-deprecated", ["install", "e2e-old", "e2e-dep", V], None,
     "Successful install that prints a deprecation warning (negative case).",
     {"project/package.json": PKG, "userconfig": "registry=<<verdaccio>>\n"}),
  sc("verdaccio-install-private-ok", ["install", "@private/pkg", V], None,
     "alice installs the $authenticated package (negative case).",
     {"project/package.json": PKG, "userconfig": ALICE_RC}),
  # --- OTP
  sc("otp-publish-non-tty", ["publish", "--registry=<<otp>>"], "otp-required",
     "Registry answers 401 + WWW-Authenticate: OTP; stdin/stdout are not a terminal so npm cannot prompt.",
     {"project/package.json": pkg("e2e-otp"), "userconfig": "//<<otp_hostport>>/:_authToken=<<alice_fake>>\n"}),
  sc("otp-publish-tty", ["publish", "--registry=<<otp>>"], None,
     "Same registry, run in a pseudo-terminal (TERM=dumb, 80x24): npm prompts, 123456 is typed, the retry "
     "carries npm-otp: 123456 and succeeds. stdout and stderr are one stream here: see transcript.",
     {"project/package.json": pkg("e2e-otp-tty"), "userconfig": "//<<otp_hostport>>/:_authToken=<<alice_fake>>\n"},
     env={"TERM": "dumb"}, tty={"wait_for": "Enter OTP:", "type": "123456"}),
  # --- proxy (squid)
  sc("proxy-connect-denied", TLS_INSTALL + ["--registry=<<tls_denied>>"], "proxy-forbidden",
     "HTTPS_PROXY points at squid, which denies CONNECT to the registry's port with 403.",
     {"project/package.json": PKG, "userconfig": "cafile=<<ca_root>>\n"},
     env={"HTTPS_PROXY": "<<squid_open>>"},
     offline="registry-forbidden"),
  sc("proxy-auth-required", TLS_INSTALL + ["--registry=<<tls_ok>>", "--https-proxy=<<squid_auth>>"], "proxy-auth-required",
     "squid port that requires proxy authentication; no credentials given.",
     {"project/package.json": PKG, "userconfig": "cafile=<<ca_root>>\n"}),
  sc("proxy-auth-ok", TLS_INSTALL + ["--registry=<<tls_ok>>"], None,
     "Same squid port with proxy credentials in https-proxy (negative case).",
     {"project/package.json": PKG, "userconfig": "cafile=<<ca_root>>\nhttps-proxy=<<squid_auth_creds>>\n"}),
  sc("proxy-refused", TLS_INSTALL + ["--registry=<<tls_ok>>"], "proxy-misconfigured",
     "https-proxy in the user .npmrc names a port where nothing listens.",
     {"project/package.json": PKG, "userconfig": "cafile=<<ca_root>>\nhttps-proxy=<<proxy_closed>>\n"}),
  # --- TLS
  sc("tls-self-signed-in-chain", TLS_INSTALL, "tls-untrusted",
     "Server sends leaf + intermediate + its self-signed root; the root is not trusted.",
     tls_rc("tls_self_signed_in_chain")),
  sc("tls-self-signed-in-chain-cafile", TLS_INSTALL, None,
     "Same server with cafile= the root CA (negative case).",
     tls_rc("tls_self_signed_in_chain", "ca_root")),
  sc("tls-depth-zero-self-signed", TLS_INSTALL, "tls-untrusted",
     "Server sends a single self-signed certificate.",
     tls_rc("tls_depth_zero")),
  sc("tls-depth-zero-self-signed-cafile", TLS_INSTALL, None,
     "Same server with cafile= that certificate (negative case).",
     tls_rc("tls_depth_zero", "ca_selfsigned")),
  sc("tls-issuer-missing", TLS_INSTALL, "tls-untrusted",
     "Server sends leaf + intermediate; the intermediate's root is unknown.",
     tls_rc("tls_issuer_missing")),
  sc("tls-issuer-missing-cafile", TLS_INSTALL, None,
     "Same server with cafile= the root CA (negative case).",
     tls_rc("tls_issuer_missing", "ca_root")),
  sc("tls-leaf-only", TLS_INSTALL, "tls-untrusted",
     "Server sends only its leaf certificate (issued by an intermediate it does not send).",
     tls_rc("tls_leaf_only")),
  sc("tls-leaf-only-cafile", TLS_INSTALL, None,
     "Same server with cafile= intermediate + root (negative case).",
     tls_rc("tls_leaf_only", "ca_root_and_intermediate")),
  sc("tls-expired", TLS_INSTALL, "tls-expired",
     "Certificate expired on 2025-01-01; the CA is trusted via cafile.",
     tls_rc("tls_expired", "ca_root")),
  sc("tls-wrong-host", TLS_INSTALL, "tls-hostname",
     "Registry reached as localhost; certificate is for registry.npmx-e2e.test; the CA is trusted via cafile.",
     tls_rc("tls_altname", "ca_root")),
  sc("tls-cafile-ok", TLS_INSTALL + ["--cafile=<<ca_root>>"], None,
     "Correct chain, root given with --cafile on the command line (negative case).",
     {"project/package.json": PKG, "project/.npmrc": "registry=<<tls_ok>>\n"}),
  # --- DNS
  sc("dns-enotfound", ["install", "e2e-dep", "--registry=http://registry.npmx-e2e.invalid/", NO_RETRY], "dns-failure",
     "Registry host under .invalid: the resolver says it does not exist. (Without --fetch-retries=0 npm 11 "
     "retries ENOTFOUND twice and takes about 70 s.)"),
  sc("dns-eai-again", ["install", "e2e-dep", f"--registry=http://{DEAD_DNS_HOST}/", NO_RETRY], "dns-failure",
     "Run in a mount namespace whose /etc/resolv.conf names a resolver on 127.0.0.1:53 where nothing listens "
     "(unshare -m + bind mount; root only).", wrap="dead-dns", root_only=True),
  # --- other network failures
  sc("net-timeout", ["install", "e2e-dep", "--registry=<<hang>>", NO_RETRY, "--fetch-timeout=2000"], "network-timeout",
     "Server accepts the connection and never answers; --fetch-timeout=2000."),
  sc("net-reset", ["install", "e2e-dep", "--registry=<<reset>>", NO_RETRY], "connection-reset",
     "Server reads the request and resets the connection (RST)."),
  sc("net-refused", ["install", "e2e-dep", "--registry=<<closed>>", NO_RETRY], "connection-refused",
     "Nothing listens on the registry port."),
  sc("net-refused-json", ["install", "e2e-dep", "--registry=<<closed>>", NO_RETRY, "--json"], "connection-refused",
     "Same as net-refused with --json."),
  sc("http-429", ["install", "e2e-dep", "--registry=<<status429>>", NO_RETRY], "rate-limited",
     "Registry answers 429 Too Many Requests with Retry-After: 60."),
  sc("http-503", ["install", "e2e-dep", "--registry=<<status503>>", NO_RETRY], "registry-unavailable",
     "Registry answers 503 with an HTML body."),
  sc("registry-html", ["install", "e2e-dep", "--registry=<<html>>", NO_RETRY], "registry-misconfigured",
     "Registry URL points at something that answers 200 with an HTML page."),
  # --- scripted registry: publish (answers as registry.npmjs.org does)
  publish_to_scripted("publish-e402-scoped", "@e2e-scope/widget", "scoped-access",
                      "First publish of a scoped package with default (restricted) access, no publishConfig: "
                      "PUT answers 402 You must sign up for private packages."),
  publish_to_scripted("publish-e404-put", "e2e-put-404", "publish-not-found",
                      "PUT answers 404 Not found (npmjs hides whether the token may write here)."),
  publish_to_scripted("publish-e404-token-expired-notice", "e2e-put-404-expired", "token-expired",
                      "The token is one the registry considers expired: every response carries "
                      "npm-notice: Access token expired or revoked. Please try logging in again.; PUT answers 404 Not found. "
                      "npm logs the notice for each of the three responses (two GETs of its version pre-check, the PUT) "
                      "but prints it once: its display drops repeated notices.",
                      token="scripted_expired"),
  publish_to_scripted("publish-403-bypass-2fa", "e2e-bypass-2fa", "token-cannot-publish",
                      "PUT answers 403: 2FA or a granular token with bypass 2FA is required to publish."),
  publish_to_scripted("publish-403-automation-token", "e2e-automation-token", "token-cannot-publish",
                      "PUT answers 403: the package requires 2FA and an automation token was used."),
  publish_to_scripted("publish-403-credentials", "e2e-readonly-token", "token-cannot-publish",
                      "PUT answers 403 You may not perform that action with these credentials. (e.g. a read-only token)."),
  publish_to_scripted("publish-403-too-similar", "foox", "name-too-similar",
                      "Unscoped name; PUT answers 403 Package name too similar to existing packages foo,bar; ..."),
  publish_to_scripted("publish-403-no-permission", "e2e-taken", "publish-forbidden",
                      "PUT answers 403 You do not have permission to publish \"e2e-taken\". Are you logged in as the correct user?"),
  publish_to_scripted("publish-403-bare-forbidden", "e2e-bare-forbidden", "publish-forbidden",
                      "PUT answers 403 with the body {\"error\":\"Forbidden\"} (on npmjs, e.g. an unverified e-mail address).",
                      also=["email-unverified"]),
  publish_to_scripted("publish-422-provenance", "e2e-widget", "provenance-invalid",
                      "PUT answers 422 Error verifying sigstore provenance bundle: ... \"repository.url\" is \"\" ... "
                      "(a plain publish: no provenance was really made, only the registry's answer is npmjs's)."),
  # --- scripted registry: installs
  sc("install-success-token-expired-notice", ["install", "e2e-notice-ok", S], "token-expired",
     "Successful install (packument, tarball and audit all 200) with a token the registry considers expired: "
     "every response carries npm-notice: Access token expired or revoked. Please try logging in again. "
     "npm shows it only because of the audit POST: the packument and tarball responses come back through "
     "npm's cache (x-local-cache), and npm-registry-fetch ignores npm-notice on those.",
     {"project/package.json": PKG, "userconfig": token_rc("scripted_expired")}, saw=True),
  sc("install-success-token-expired-notice-no-audit", ["install", "e2e-notice-ok", S, "--no-audit"], None,
     "Same as install-success-token-expired-notice with --no-audit: every response still carries the notice, "
     "but npm neither prints nor logs it (negative case: npmx has no evidence).",
     {"project/package.json": PKG, "userconfig": token_rc("scripted_expired")}, saw=True),
  sc("install-403-quarantined", ["install", "e2e-quarantined", "--registry=<<scripted>>repository/npm-proxy/"], "policy-blocked",
     "Sonatype Nexus Firewall style: the metadata is served, the tarball GET answers "
     "403 with the status line's reason phrase Requested item is quarantined (no JSON body).",
     saw=True),
  sc("install-401-ghp-bad-token", ["install", "@e2e-ghp/pkg"], "auth-rejected",
     "GitHub Packages style 401: body {\"error\":\"unauthenticated: User cannot be authenticated with the token provided.\"}, "
     "no WWW-Authenticate; token ghp_... for the scope's registry. The host is 127.0.0.1, not npm.pkg.github.com.",
     {"project/package.json": PKG,
      "project/.npmrc": "registry=<<scripted>>\n@e2e-ghp:registry=<<scripted>>\n" + token_rc("scripted_ghp")},
     saw=True),
  sc("hostile-reason", ["install", "e2e-hostile", S], "registry-forbidden",
     "GET answers 403 whose reason holds terminal escapes (colour, OSC window title), BEL characters and an "
     "npm_-token-shaped string; the user .npmrc holds a real-looking npm_ token. For proving npmx neutralises "
     "escapes and never prints token-shaped strings. The response also carries npm-notice with an "
     "npm_-token-shaped string (Node refuses control characters in header values). npm prints the reason's "
     "escapes raw, redacts its token-shaped string to npm_*** everywhere, and prints the notice unredacted "
     "on stderr (redacted in the debug log).",
     {"project/package.json": PKG, "userconfig": token_rc("scripted_hostile")}, saw=True),
  # --- trusted publishing / CI
  sc("publish-oidc-exchange-fails", ["publish", S], "trusted-publishing-failed",
     "GitHub Actions with id-token: write and no npm token: the ID token is fetched, the registry answers the "
     "OIDC exchange with 404 {\"message\":\"OIDC token exchange error - package not found\"} (no trusted "
     "publisher for the package). oidc.js never throws: npm goes on with no token and fails ENEEDAUTH; "
     "the exchange and its reason are only in the debug log (verbose).",
     {"project/package.json": pkg("e2e-oidc")}, env=ACTIONS_ENV, saw=True,
     offline={"stderr": "not-logged-in"},
     offline_note="npm's stderr alone is a bare ENEEDAUTH: nothing in it shows the CI or the OIDC attempt "
                  "(the debug log does)."),
  sc("publish-oidc-exchange-fails-verbose", ["publish", S, "--loglevel=verbose"], "trusted-publishing-failed",
     "Same as publish-oidc-exchange-fails with --loglevel=verbose (npm's oidc lines are verbose-level).",
     {"project/package.json": pkg("e2e-oidc")}, env=ACTIONS_ENV, saw=True),
  sc("publish-enoent-eneedauth-ci", ["publish"], "not-logged-in",
     "CI (GitHub Actions without id-token permission): the project .npmrc says _authToken=${NPM_TOKEN} and "
     "NPM_TOKEN is empty (the secret is missing). npm makes no request at all; the debug log has "
     "silly oidc Skipped because incorrect permissions for id-token within GitHub workflow.",
     {"project/package.json": pkg("e2e-ci-publish"),
      "project/.npmrc": "registry=<<scripted>>\n//<<scripted_hostport>>/:_authToken=${NPM_TOKEN}\n"},
     env={"CI": "true", "GITHUB_ACTIONS": "true", "NPM_TOKEN": ""}, saw=True),
  # --- usage
  sc("ci-no-lockfile", ["ci", V], "usage-error",
     "npm ci in a project without package-lock.json."),
  sc("verdaccio-install-no-matching-version", ["install", "e2e-dep@^9.0.0", V], "version-not-found",
     "The package exists (1.0.0) but no version matches ^9.0.0."),
  sc("global-install-eacces", ["install", "-g", "e2e-dep", V, "--prefix=<<tmp>>/prefix"], "permission-denied",
     "An ordinary user installs globally into a root-owned prefix (like /usr/local).", wrap="as-nobody",
     root_only=True),
  sc("install-eacces-root-node-modules", ["install", "e2e-dep", V], "permission-denied",
     "An ordinary user installs into a project whose node_modules root created (sudo npm install).",
     {"project/package.json": PKG}, wrap="as-nobody-root-node-modules", root_only=True),
  sc("ci-lockfile-out-of-sync", ["ci", V], "usage-error",
     "npm ci where package.json asks for a dependency package-lock.json does not have.",
     {"project/package.json": pkg("e2e-project", dependencies={"e2e-dep": "^1.0.0"}),
      "project/package-lock.json": json.dumps({
        "name": "e2e-project", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "e2e-project", "version": "1.0.0"}}}, indent=2) + "\n"}),
  # --- the project and its dependencies (packages seeded in Verdaccio by
  # servers.py, whose own package.json makes the install fail)
  sc("install-peer-conflict", ["install", "e2e-peer-host@1", "e2e-peer-lib", V], "peer-dependency-conflict",
     "e2e-peer-lib@1.2.3 asks for e2e-peer-host@^2 as a peer; the command asks for e2e-peer-host@1."),
  sc("ci-integrity-mismatch", ["ci", V, NO_RETRY], "integrity-mismatch",
     "package-lock.json's integrity for e2e-dep is not the tarball's (as from another registry).",
     {"project/package.json": pkg("e2e-project", dependencies={"e2e-dep": "1.0.0"}),
      "project/package-lock.json": json.dumps({
        "name": "e2e-project", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "e2e-project", "version": "1.0.0", "dependencies": {"e2e-dep": "1.0.0"}},
                     "node_modules/e2e-dep": {"version": "1.0.0",
                                              "resolved": "<<verdaccio>>e2e-dep/-/e2e-dep-1.0.0.tgz",
                                              "integrity": "sha512-" + "A" * 86 + "=="}}}, indent=2) + "\n"}),
  sc("run-no-package-json", ["run", "build"], "no-package-json",
     "npm run in a directory (and parents) without package.json.", {"project/.keep": ""}),
  sc("install-package-json-conflict-markers", ["install", V], "package-json-invalid",
     "The project's package.json still has git merge-conflict markers.",
     {"project/package.json": '{\n  "name": "e2e-project",\n<<<<<<< HEAD\n  "version": "1.0.0"\n=======\n  "version": "1.1.0"\n>>>>>>> feature\n}\n'}),
  sc("install-engine-strict", ["install", "e2e-engine", V, "--engine-strict"], "engine-mismatch",
     "e2e-engine's engines.node is >=99 and engine-strict is on."),
  sc("install-platform-mismatch", ["install", "e2e-win-only", V], "platform-mismatch",
     "e2e-win-only declares os: [win32]."),
  sc("install-postinstall-fails", ["install", "e2e-postinstall", V], "install-script-failed",
     "e2e-postinstall's postinstall prints an error and exits 3."),
  sc("install-native-build-fails", ["install", "e2e-native", V], "native-build-failed",
     "e2e-native runs node-gyp rebuild, and its source includes a header that does not exist (headers from nodedir=/usr).",
     env={"npm_config_nodedir": "/usr"}),
  sc("run-missing-script", ["run", "biuld"], "missing-script",
     "npm run with a typo: the package has build, test.",
     {"project/package.json": pkg("e2e-project", scripts={"build": "node -e 0", "test": "node -e 0"})}),
  sc("global-install-bin-exists", ["install", "-g", "e2e-tool", V, "--prefix=<<tmp>>/prefix"],
     "bin-conflict", "A global install whose bin name is already a file in the prefix's bin folder (not npm's).",
     {"project/package.json": PKG, "prefix/bin/e2e-tool": "#!/bin/sh\necho installed by something else\n"}),
  sc("install-invalid-range", ["install", "e2e-dep@^^1", V], "invalid-spec",
     "A typo in the range on the command line."),
  sc("install-git-dep-unreachable", ["install", "git+ssh://git@127.0.0.1:1/acme/widget.git", V], "git-dependency-failed",
     "A git dependency over ssh to a port where nothing listens.", env={"GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o ConnectTimeout=3"}),
  sc("publish-prerelease-no-tag", ["publish", V], "publish-rejected",
     "Publishing 1.0.0-beta.1 without --tag.",
     {"project/package.json": pkg("e2e-prerelease", "1.0.0-beta.1"), "userconfig": ALICE_RC}),
  sc("install-disk-full", ["install", "e2e-dep", V], "disk-full",
     "The cache is on a 16 KiB filesystem: npm cannot write it (ENOSPC).", wrap="small-cache", root_only=True),
  sc("shrinkwrap-workspaces", ["shrinkwrap", "-w", "a"], "workspaces-unsupported",
     "npm shrinkwrap with -w in a workspaces project.",
     {"project/package.json": pkg("e2e-project", workspaces=["packages/*"]),
      "project/packages/a/package.json": pkg("a")}),
  sc("help-search-emfile", ["help-search", "install"], "too-many-open-files",
     "npm help-search reads all of npm's ~100 doc files at once (fs/promises readFile under Promise.all, "
     "which graceful-fs does not queue); with `ulimit -n 24` the open of one of them fails with EMFILE "
     "at once, on the same file every time.", wrap="ulimit", ulimit=24),
  sc("install-emfile", ["install", V, NO_RETRY], "too-many-open-files",
     "npm install of twelve packages with `ulimit -n 24`: tar's writes into node_modules fail "
     "(TAR_ENTRY_ERROR EMFILE warnings), and npm gives up on a cache write graceful-fs kept retrying, "
     "after its 60 s limit. Offline only: it takes a minute, and which files tar warns about depends on timing.",
     {"project/package.json": pkg("e2e-project", dependencies={f"e2e-many-{i:02d}": "1.0.0" for i in range(12)})},
     wrap="ulimit", ulimit=24),
  sc("install-interrupted-leftover", ["install", "e2e-peer-host@2", V], "install-interrupted",
     "npm 11.6.4 (the last release before npm/cli#8721, in 11.7.0): e2e-peer-host@1 is installed and an "
     "earlier install that was interrupted left its retired copy, node_modules/.e2e-peer-host-<hash> "
     "(npm's fixed name for it: a hash of the path), not empty. Replacing the package, npm renames the "
     "folder onto that name and fails with ENOTEMPTY.",
     INTERRUPTED_FILES, wrap="leftover-retired-dir", leftover="node_modules/e2e-peer-host", npm="11.6.4"),
  sc("install-interrupted-leftover-fixed", ["install", "e2e-peer-host@2", V], None,
     "The same leftover with npm 11.19.1, which removes it and goes on (npm/cli#8721, npm 11.7.0): the "
     "install succeeds (negative case).",
     INTERRUPTED_FILES, wrap="leftover-retired-dir", leftover="node_modules/e2e-peer-host"),
  sc("install-at-filesystem-root", ["install", "e2e-dep", V], "npm-bug",
     "npm install run in / with no package.json, as in a Dockerfile without WORKDIR: the root folder "
     "has no name, and npm fails on its own progress tracker (Tracker \"idealTree\" already exists). "
     "Run in a chroot whose / is an overlay of this machine's / over a tmpfs (root only); "
     "npm's home, cache and config are this run's, bound in at the same paths.",
     {"project/.keep": ""}, wrap="filesystem-root", root_only=True),
  # --- scripts: npmx must say nothing
  sc("script-test-fails-with-npm-like-text", ["test"], None,
     "The test script itself prints npm-error-like lines and exits 1.",
     {"project/package.json": pkg("e2e-project", scripts={"test": "node test.js"}),
      "project/test.js": "console.error('npm error code E403')\n"
                         "console.error('npm error 403 403 Forbidden - PUT https://registry.example.com/e2e-project - Forbidden')\n"
                         "console.error('npm error A complete log of this run can be found in: /nowhere/debug-0.log')\n"
                         "process.exit(1)\n"}),
  sc("script-test-prints-new-causes", ["test"], None,
     "The test script prints the errors of EMFILE, ENOTEMPTY on a rename in node_modules and npm's "
     "tracker error (as a test of code that meets them would), then exits 1 (negative case: the person's "
     "own failing test; an imitated npm block is script-test-fails-with-npm-like-text).",
     {"project/package.json": pkg("e2e-project", scripts={"test": "node test.js"}),
      "project/test.js": "console.error(\"Error: EMFILE: too many open files, open '/x/a.txt'\")\n"
                         "console.error(\"Error: ENOTEMPTY: directory not empty, rename '/p/node_modules/x' -> '/p/node_modules/.x-CDSqJrhb'\")\n"
                         "console.error('Error: Tracker \"idealTree\" already exists')\n"
                         "process.exit(1)\n"}),
  sc("script-build-prints-403", ["run", "build"], None,
     "A successful build whose output mentions 403.",
     {"project/package.json": pkg("e2e-project", scripts={"build": "node build.js"}),
      "project/build.js": "console.log('GET /assets/logo.png 403 (served from cache)')\n"
                          "console.error('warning: 403 Forbidden is expected for /admin in this build')\n"}),
]


# ------------------------------------------------------------------ servers


def start_servers(state_path: str) -> tuple[subprocess.Popen, dict]:
  p = subprocess.Popen(
    [sys.executable, os.path.join(HERE, "servers.py"), "--state", state_path],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
  )
  line = p.stdout.readline()
  if not line.startswith("READY "):
    p.wait()
    sys.exit(f"capture: the servers did not start (exit {p.returncode}); see the messages above")
  with open(state_path) as f:
    return p, json.load(f)


def stop_servers(p: subprocess.Popen) -> None:
  try:
    p.stdin.close()
  except OSError:
    pass
  try:
    p.wait(15)
  except subprocess.TimeoutExpired:
    p.terminate()
    p.wait()


def values(st: dict, tmp: str) -> dict:
  ports = st["ports"]
  v = {}
  for name, port in ports.items():
    scheme = "https" if name.startswith("tls_") else "http"
    host = "localhost" if name == "tls_altname" else "127.0.0.1"
    v[name] = f"{scheme}://{host}:{port}/"
    v[f"{name}_hostport"] = f"{host}:{port}"
  v["squid_open"] = f"http://127.0.0.1:{ports['squid_open']}"
  v["squid_auth"] = f"http://127.0.0.1:{ports['squid_auth']}"
  user, pw = st["proxy_user"]
  v["squid_auth_creds"] = f"http://{user}:{pw}@127.0.0.1:{ports['squid_auth']}"
  v["proxy_closed"] = f"http://127.0.0.1:{ports['closed']}"
  v["ca_root"] = st["certs"]["root"]
  v["ca_root_and_intermediate"] = st["certs"]["root_and_intermediate"]
  v["ca_selfsigned"] = st["certs"]["selfsigned"]
  v["alice_token"] = st["tokens"]["alice"]
  v["bob_token"] = st["tokens"]["bob"]
  v["alice_fake"] = st["fake_tokens"]["alice"]
  for kind, token in st["scripted_tokens"].items():
    v[f"scripted_{kind}"] = token
  v["actions_request_token"] = st["actions_request_token"]
  v["tmp"] = tmp
  return v


def fill(text: str, v: dict) -> str:
  def sub(m: re.Match) -> str:
    if m.group(1) not in v:
      raise KeyError(f"unknown value <<{m.group(1)}>>")
    return v[m.group(1)]

  return re.sub(r"<<([a-z0-9_]+)>>", sub, text)


# ------------------------------------------------------------------ normalisation

# The same patterns, in the same order, as normalise() in tests/e2e/normalise.rs (Rust's
# regex has no look-around, so neither do these).
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}_\d{2}_\d{2}_\d{3}Z")
IN_TIME = re.compile(r"\bin \d+(?:\.\d+)?(?:ms|s|m|h)\b")
MS = re.compile(r"(?m)(^|[^\w.])\d+ms\b")
# Lines whose numbers are the clock or this machine, not npm's behaviour.
TIMER = re.compile(r"(unfinished npm timer \S+) \d+")
OS_RELEASE = re.compile(r"(verbose os \S+) \S+")
PACKUMENT_CACHE = re.compile(r"packumentCache heap:\d+ maxSize:\d+ maxEntrySize:\d+")
HTTP_DATE = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT")


def normalise(text: str, st: dict, tmp: str) -> str:
  text = text.replace(st["dir"], st["placeholder_dir"])
  text = text.replace(tmp, PLACEHOLDER_TMP)
  for user, token in st["tokens"].items():
    text = text.replace(token, st["fake_tokens"][user])
  for name, port in st["ports"].items():
    ph = str(st["placeholder_ports"][name])
    text = re.sub(rf"((?:127\.0\.0\.1|localhost):|port: ){port}\b", lambda m: m.group(1) + ph, text)
  text = STAMP.sub("2026-01-01T00_00_00_000Z", text)
  text = IN_TIME.sub("in 0ms", text)
  text = MS.sub(lambda m: m.group(1) + "0ms", text)
  text = TIMER.sub(lambda m: m.group(1) + " 1767225600000", text)
  text = OS_RELEASE.sub(lambda m: m.group(1) + " 6.1.0-npmx-e2e", text)
  text = PACKUMENT_CACHE.sub("packumentCache heap:4345298944 maxSize:1086324736 maxEntrySize:543162368", text)
  text = HTTP_DATE.sub("Thu, 01 Jan 2026 00:00:00 GMT", text)
  return text


# ------------------------------------------------------------------ running


# npm run by an ordinary user (nobody) who may write its HOME, cache and project
# but not `prefix/`, a root-owned folder like /usr/local: `npm install -g` there
# fails with EACCES, as it does for people. Keep equal to tests/e2e/run.rs.
AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def as_nobody(tmp: str, root_node_modules: bool = False) -> None:
  """root_node_modules: project/node_modules stays root's (0755), as after a
  `sudo npm install`."""
  os.makedirs(f"{tmp}/prefix", exist_ok=True)
  os.chmod(f"{tmp}/prefix", 0o755)
  os.chmod(tmp, 0o777)
  for d in ("home", "cache", "project"):
    for root, dirs, names in os.walk(f"{tmp}/{d}"):
      os.chmod(root, 0o777)
      for n in names:
        os.chmod(os.path.join(root, n), 0o666)
  if root_node_modules:
    os.makedirs(f"{tmp}/project/node_modules", exist_ok=True)
    os.chmod(f"{tmp}/project/node_modules", 0o755)


def other_npm(version: str) -> str:
  """npm@version, installed once into .work/npm-<version> by this machine's
  npm (as tests/e2e/wraps.rs does): its bin/npm."""
  d = os.path.join(HERE, ".work", f"npm-{version}")
  npm = os.path.join(d, "node_modules", ".bin", "npm")
  if not os.path.exists(npm):
    subprocess.run([NPM, "install", "--prefix", d, f"npm@{version}", "--no-audit", "--no-fund"],
                   check=True, stdout=subprocess.DEVNULL)
  return npm


def retired_path(npm: str, path: str) -> str:
  """Where npm moves `path` aside before replacing it: arborist's own
  retire-path.js (a hash of the path, so the same name every time)."""
  root = os.path.dirname(os.path.dirname(os.path.realpath(npm)))
  js = "console.log(require(process.argv[1] + '/node_modules/@npmcli/arborist/lib/retire-path.js')(process.argv[2]))"
  return subprocess.run(["node", "-e", js, root, path], capture_output=True, text=True, check=True).stdout.strip()


# npm run in a chroot whose / is an overlay of this machine's / (writes go to
# a tmpfs), so that its cwd can be / itself: $0 the overlay's folder, then
# the folders to bind at the same paths inside (the run's, npmx's), "--",
# then the command. Keep equal to tests/e2e/wraps.rs.
FILESYSTEM_ROOT = r"""o="$0"
mount -t tmpfs tmpfs "$o" && mkdir "$o/upper" "$o/work" "$o/root" &&
mount -t overlay overlay -o lowerdir=/,upperdir="$o/upper",workdir="$o/work" "$o/root" &&
mount --bind /dev "$o/root/dev" && mount -t proc proc "$o/root/proc" || exit 125
while [ "$1" != -- ]; do mkdir -p "$o/root$1" && mount --bind "$1" "$o/root$1" || exit 125; shift; done
shift
exec /usr/sbin/chroot "$o/root" /bin/sh -c 'cd / && exec "$@"' sh "$@"
"""


def npm_version() -> str:
  return subprocess.run([NPM, "--version"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}).stdout.strip()


def run(scn: dict, st: dict, out_dir: str, versions: dict) -> dict:
  tmp = tempfile.mkdtemp(prefix="npmx-e2e-run-")
  try:
    v = values(st, tmp)
    home, project, cache = f"{tmp}/home", f"{tmp}/project", f"{tmp}/cache"
    userconfig, globalconfig = f"{home}/.npmrc", f"{tmp}/global/npmrc"
    for d in (home, project, cache, os.path.dirname(globalconfig)):
      os.makedirs(d, exist_ok=True)
    open(globalconfig, "w").close()
    files = {"userconfig": "", **scn["files"]}
    for key, text in files.items():
      path = userconfig if key == "userconfig" else os.path.join(tmp, key)
      os.makedirs(os.path.dirname(path), exist_ok=True)
      with open(path, "w") as f:
        f.write(fill(text, v))
    args = [fill(a, v) for a in scn["args"]] + [
      f"--userconfig={userconfig}", f"--globalconfig={globalconfig}", f"--cache={cache}", "--update-notifier=false",
    ]
    env = {"PATH": "/usr/bin:/bin", "HOME": home}
    env.update({k: fill(val, v) for k, val in scn["env"].items()})
    npm = other_npm(scn["npm"]) if scn["npm"] else NPM
    argv = [npm, *args]
    # Live names -> the fixture's, before anything else is normalised.
    renames = []
    if scn["wrap"] == "ulimit":
      argv = ["sh", "-c", f'ulimit -n {scn["ulimit"]} && exec "$@"', "sh", *argv]
    if scn["wrap"] == "leftover-retired-dir":
      # What an interrupted install leaves: the package's retired copy, not empty.
      retired = retired_path(npm, f"{project}/{scn['leftover']}")
      os.makedirs(retired)
      with open(f"{retired}/package.json", "w") as f:
        f.write(pkg(os.path.basename(scn["leftover"])))
      placeholder = retired_path(npm, f"{PLACEHOLDER_TMP}/project/{scn['leftover']}")
      renames.append((os.path.basename(retired), os.path.basename(placeholder)))
    if scn["wrap"] == "filesystem-root":
      argv = ["unshare", "-m", "sh", "-c", FILESYSTEM_ROOT, f"{tmp}/rootfs", tmp, "--", *argv]
      os.makedirs(f"{tmp}/rootfs")
    if scn["wrap"] in ("as-nobody", "as-nobody-root-node-modules"):
      as_nobody(tmp, root_node_modules=scn["wrap"] == "as-nobody-root-node-modules")
      argv = [*AS_NOBODY, *argv]
    if scn["wrap"] == "small-cache":
      # A full disk, made small: the cache on a 16 KiB tmpfs in a mount
      # namespace of npm's own (root only).
      argv = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs -o size=16k tmpfs "$0" && exec "$@"', cache, *argv]
    if scn["wrap"] == "dead-dns":
      resolv = f"{tmp}/resolv.conf"
      with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
      argv = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolv, *argv]
    t0 = time.monotonic()
    if scn["tty"]:
      otp_seen_before = otp_log_lines(st)
      r = run_pty(argv, project, env, scn["tty"]["wait_for"], scn["tty"]["type"])
      server_saw = otp_log_lines(st)[len(otp_seen_before):]
    else:
      seen_before = log_lines(st["scripted_log"])
      r = subprocess.run(argv, cwd=project, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=180)
      server_saw = log_lines(st["scripted_log"])[len(seen_before):]
    took = time.monotonic() - t0
    # npm's debug log only: ERESOLVE also writes `<stamp>-eresolve-report.txt` there.
    logs = sorted(f for f in os.listdir(f"{cache}/_logs") if re.search(r"debug(-\d+)?\.log$", f)) \
        if os.path.isdir(f"{cache}/_logs") else []
    debug = ""
    if logs:
      with open(f"{cache}/_logs/{logs[-1]}", errors="replace") as f:
        debug = f.read()

    def norm(s: str) -> str:
      for live, fixed in renames:
        s = s.replace(live, fixed)
      return normalise(s, st, tmp)

    meta = {
      "argv": [norm(a) for a in args],
      "exit_code": r.returncode,
      "npm": scn["npm"] or versions["npm"],
      "node": versions["node"],
      "cwd": "/" if scn["wrap"] == "filesystem-root" else f"{PLACEHOLDER_TMP}/project",
      # Secrets in scenario env vars are fakes already (BAD_TOKEN); real tokens are
      # replaced by normalise().
      "env": {k: norm(val) for k, val in env.items()},
      "files": {k: norm(fill(t, v)) for k, t in files.items()},
      "expect": {"id": scn["expect"], "note": scn["note"]},
      "wrap": scn["wrap"],
      "root_only": scn["root_only"],
    }
    if scn["also"]:
      meta["expect"]["also"] = scn["also"]
    if scn["offline"]:
      meta["expect"]["offline"] = scn["offline"]
      meta["expect"]["offline_note"] = scn["offline_note"]
    if scn["tty"]:
      meta["tty"] = dict(scn["tty"], rows=24, cols=80, note="the typed text is followed by a carriage return (Enter)")
      meta["server_saw"] = server_saw
    elif scn["saw"]:
      meta["server_saw"] = json.loads(norm(json.dumps(server_saw)))
    if scn["wrap"] == "as-nobody-root-node-modules":
      meta["wrap_note"] = ("npm was run as user nobody (setpriv --reuid=65534 --regid=65534 --clear-groups), "
                           "with HOME, cache and project writable by it but project/node_modules owned by root (0755)")
    if scn["wrap"] == "as-nobody":
      meta["wrap_note"] = ("npm was run as user nobody (setpriv --reuid=65534 --regid=65534 --clear-groups), "
                           "with HOME, cache and project writable by it and /tmp/npmx-e2e/prefix owned by root (0755)")
    if scn["wrap"] == "small-cache":
      meta["wrap_note"] = ("npm was run as: unshare -m sh -c 'mount -t tmpfs -o size=16k tmpfs \"$0\" && exec \"$@\"' "
                           "/tmp/npmx-e2e/cache npm ...: the cache is a 16 KiB tmpfs")
    if scn["wrap"] == "ulimit":
      meta["ulimit"] = scn["ulimit"]
      meta["wrap_note"] = f"npm was run as: sh -c 'ulimit -n {scn['ulimit']} && exec \"$@\"' sh npm ..."
    if scn["wrap"] == "leftover-retired-dir":
      meta["leftover"] = scn["leftover"]
      meta["wrap_note"] = (f"Before the run, project/{os.path.dirname(scn['leftover'])}/{renames[0][1]} was made, holding a "
                           f"package.json: the retired copy of project/{scn['leftover']} an interrupted install leaves. Its "
                           "name is npm's own (arborist's retire-path.js, a hash of the path): the live run's name is "
                           "replaced by the one for /tmp/npmx-e2e/project before normalising.")
    if scn["wrap"] == "filesystem-root":
      meta["wrap_note"] = ("npm was run with its cwd the root of a chroot: unshare -m sh -c FILESYSTEM_ROOT (capture.py) "
                           "mounts a tmpfs, an overlay of the machine's / on it, binds /dev, /proc and the run's "
                           "/tmp/npmx-e2e at the same paths, then chroots and runs npm in /")
    if scn["wrap"] == "dead-dns":
      meta["wrap_note"] = ("npm was run as: unshare -m sh -c 'mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"' "
                           "/tmp/npmx-e2e/resolv.conf npm ...; that resolv.conf says nameserver 127.0.0.1 "
                           "(nothing listens on port 53) with options timeout:1 attempts:1")
    d = os.path.join(out_dir, scn["name"])
    if os.path.isdir(d):
      shutil.rmtree(d)
    os.makedirs(d)
    streams = (("transcript", r.stdout),) if scn["tty"] else (("stdout", r.stdout), ("stderr", r.stderr))
    for name, data in streams:
      with open(os.path.join(d, name), "w", newline="") as f:
        f.write(norm(data.decode("utf-8", "replace")))
    with open(os.path.join(d, "debug.log"), "w", newline="") as f:
      f.write(norm(debug))
    with open(os.path.join(d, "meta.json"), "w") as f:
      json.dump(meta, f, indent=2, ensure_ascii=False)
      f.write("\n")
    return {"name": scn["name"], "exit": r.returncode, "secs": took, "code": error_code(r.stderr.decode("utf-8", "replace"))}
  finally:
    shutil.rmtree(tmp, ignore_errors=True)


def otp_log_lines(st: dict) -> list:
  return log_lines(st["otp_log"])


def log_lines(path: str) -> list:
  try:
    with open(path) as f:
      return [json.loads(line) for line in f if line.strip()]
  except OSError:
    return []


def run_pty(argv: list, cwd: str, env: dict, wait_for: str, answer: str, timeout: float = 60) -> subprocess.CompletedProcess:
  """Runs argv with a pseudo-terminal as its controlling terminal and stdin,
  stdout and stderr; types `answer` + Enter once `wait_for` has appeared."""
  import fcntl
  import select
  import struct
  import termios

  master, slave = os.openpty()
  fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

  def ctty() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)

  p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, preexec_fn=ctty)
  os.close(slave)
  out = b""
  answered = False
  deadline = time.monotonic() + timeout
  try:
    while time.monotonic() < deadline:
      ready, _, _ = select.select([master], [], [], 0.2)
      if ready:
        try:
          chunk = os.read(master, 65536)
        except OSError:  # EIO: every holder of the terminal has gone
          break
        if not chunk:
          break
        out += chunk
        if not answered and wait_for.encode() in out:
          time.sleep(0.2)
          os.write(master, answer.encode() + b"\r")
          answered = True
      elif p.poll() is not None:
        break
    else:
      p.kill()
  finally:
    p.wait()
    os.close(master)
  return subprocess.CompletedProcess(argv, p.returncode, out, b"")


def error_code(stderr: str) -> str:
  m = re.search(r"^npm error code (\S+)", stderr, re.M)
  return m.group(1) if m else ("(error, no code)" if "npm error" in stderr else "-")


def main() -> int:
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--only", help="comma-separated scenario names")
  ap.add_argument("--out", default=FIXTURES)
  ap.add_argument("--list", action="store_true")
  args = ap.parse_args()
  chosen = SCENARIOS
  if args.only:
    want = set(args.only.split(","))
    unknown = want - {s["name"] for s in SCENARIOS}
    if unknown:
      sys.exit(f"capture: unknown scenario(s): {', '.join(sorted(unknown))}")
    chosen = [s for s in SCENARIOS if s["name"] in want]
  if args.list:
    for s in chosen:
      print(s["name"], s["expect"])
    return 0
  if os.geteuid() != 0 and any(s["root_only"] for s in chosen):
    sys.exit("capture: run as root: some scenarios (dns-eai-again) need a mount namespace")

  versions = {
    "npm": npm_version(),
    "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
  }
  state_path = os.path.join(HERE, ".work", f"capture-servers-{os.getpid()}.json")
  t0 = time.monotonic()
  proc, st = start_servers(state_path)
  print(f"capture: servers up in {time.monotonic() - t0:.1f}s; npm {versions['npm']}, node {versions['node']}", flush=True)
  results = []
  try:
    for scn in chosen:
      res = run(scn, st, args.out, versions)
      results.append(res)
      print(f"  {res['name']:<45} exit {res['exit']:<3} {res['code']:<32} {res['secs']:.1f}s", flush=True)
  finally:
    stop_servers(proc)
  print(f"capture: {len(results)} scenarios in {time.monotonic() - t0:.1f}s", flush=True)
  return 0


if __name__ == "__main__":
  sys.exit(main())
