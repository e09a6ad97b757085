#!/usr/bin/env bash
# The README's test command. The build and test scripts live in scripts/ (this folder holds
# what a county installs); see scripts/run-tests.sh for the options (--sanitize, --tsan, and
# arguments passed to ctest).
exec bash "$(dirname "${BASH_SOURCE[0]}")/../scripts/run-tests.sh" "$@"
