#!/usr/bin/env bash
# The whole check: install, lint, type-check, test. `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy --strict
.venv/bin/pytest "$@"
