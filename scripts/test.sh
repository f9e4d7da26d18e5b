#!/usr/bin/env bash
# Set up, then run the whole test suite.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/setup.sh" --test
cd "$here"
exec .venv/bin/python -m pytest -q -p no:cacheprovider --durations=15 "$@"
