#!/bin/bash
# The `with_node` scenario (scenarios.json) checks exactly what the default
# test checks, with the node Feature installed first.
set -e
exec "$(dirname "$0")/test.sh" "$@"
