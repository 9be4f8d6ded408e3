#!/bin/bash
# `devcontainer features test -f npmx` (from devcontainer/): runs inside a
# container built with the Feature. Needs an npmx binary packaged next to
# src/npmx/install.sh (see ../../README.md); not run by `cargo test`, which
# tests the install script in a temporary root instead (tests/dropin/).
set -e

# shellcheck source=/dev/null
source dev-container-features-test-lib

shim=/usr/local/share/npmx/lib/npmx/shims/npm
check "npmx is installed" /usr/local/share/npmx/bin/npmx --npmx-version
check "npm is the shim" bash -c "[ \"\$(command -v npm)\" = $shim ]"
check "npm is the shim in a login shell" bash -lc "[ \"\$(command -v npm)\" = $shim ]"
check "npm is the shim in an interactive shell" bash -ic "[ \"\$(command -v npm)\" = $shim ]"
check "npm runs through npmx" bash -c "npm --npmx-version | grep -q '^npmx '"
check "npm runs the real npm" npm --version
check "npx runs the real npx" npx --version

reportResults
