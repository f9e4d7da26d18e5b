#!/usr/bin/env bash
# Set up roar from a fresh clone: system packages when missing, a virtualenv in .venv, and
# `pip install -e .[dev]`, which also compiles the native tracers. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v strace >/dev/null 2>&1 || need_apt+=(strace)
command -v b3sum >/dev/null 2>&1 || need_apt+=(b3sum)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)

if [ ${#need_apt[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${need_apt[*]}" >&2
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install: ${need_apt[*]}" >&2
  fi
fi

python3 - <<'PY'
import sys
if sys.version_info < (3, 10):
    sys.exit(f"setup: roar needs Python 3.10 or newer; this is {sys.version.split()[0]}")
PY

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -c 'import roard, roarctl' || { echo "setup: install failed" >&2; exit 1; }
test -f roard/_native/libroar_preload.so || { echo "setup: the preload tracer was not built" >&2; exit 1; }
echo "setup: ready (.venv/bin/roarctl)" >&2
