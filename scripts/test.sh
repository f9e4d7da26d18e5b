#!/usr/bin/env bash
# Set up, then run the whole test suite.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/setup.sh" --test
cd "$here"
# The VS Code extension: its client layer against a real roard, and that it packages (.vsix not kept).
(cd editors/vscode && npm ci --no-audit --no-fund >/dev/null && npm test && npx @vscode/vsce package --out "$(mktemp -d)/roar.vsix")
exec .venv/bin/python -m pytest -q -p no:cacheprovider --durations=15 "$@"
