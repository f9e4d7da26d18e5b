#!/usr/bin/env bash
# Set up roar from a fresh clone: system packages when missing, a virtualenv in .venv, and
# `pip install -e .[dev,server]`, which also compiles the native tracers. Safe to run again.
# `--test` also installs the system packages only the test suite uses. `--ebpf` (implied by `--test`
# when run as root on a kernel with BTF) installs what the optional eBPF tracer is built with:
# clang, libbpf-dev, bpftool (about 150 MB; ~15 s on a warm mirror). Without them the eBPF
# tracer is skipped with its reason (`roarctl tracer status`) and everything else is built.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v strace >/dev/null 2>&1 || need_apt+=(strace)
command -v b3sum >/dev/null 2>&1 || need_apt+=(b3sum)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ "${1:-}" = "--test" ]; then
  # What the test suite's real programs need: a static busybox, a cgo Go program, i386 builds.
  command -v busybox >/dev/null 2>&1 || need_apt+=(busybox-static)
  command -v go >/dev/null 2>&1 || need_apt+=(golang-go)
  if [ "$(uname -m)" = x86_64 ] && ! dpkg -s gcc-multilib >/dev/null 2>&1; then need_apt+=(gcc-multilib); fi
  # the GLaaS server's tests start a real PostgreSQL in a temporary directory
  [ -d /usr/lib/postgresql ] || need_apt+=(postgresql)
  # The GLaaS web UI's tests: real headless Chromium driven by Selenium; dot draws the lineage pictures.
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
  command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
  # editors/vscode: its client-layer tests (node's test runner) and the .vsix packaging check.
  command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
  command -v npm >/dev/null 2>&1 || need_apt+=(npm)
fi
want_ebpf=0
case " $* " in *" --ebpf "*) want_ebpf=1 ;; esac
if [ "${1:-}" = "--test" ] && [ "$(id -u)" -eq 0 ] && [ -e /sys/kernel/btf/vmlinux ]; then want_ebpf=1; fi
if [ "$want_ebpf" = 1 ]; then
  command -v clang >/dev/null 2>&1 || need_apt+=(clang)
  command -v bpftool >/dev/null 2>&1 || need_apt+=(bpftool)
  [ -f /usr/include/bpf/libbpf.h ] || need_apt+=(libbpf-dev)
fi

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
# Reinstall only when what the install depends on changed: deps, build hook, tracer sources, and
# the toolchain the tracers are built with (clang, bpftool and libbpf appearing after a first
# install without them must build the eBPF tracer that was skipped then).
stamp=.venv/.roar-install-stamp
toolchain() {
  for tool in cc clang bpftool; do printf '%s %s\n' "$tool" "$(command -v "$tool" || echo absent)"; done
  ls -l /usr/include/bpf/libbpf.h /sys/kernel/btf/vmlinux 2>/dev/null | awk '{print $5, $NF}'
}
want=$( { cat pyproject.toml setup.py tracers/build.py tracers/*/*.[ch] systemd/* launchd/* 2>/dev/null; toolchain; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x .venv/bin/roarctl ]; then
  echo "setup: installing roar into .venv (compiles the tracers)" >&2
  # compat mode: a .pth path entry instead of an import hook, about 10 ms less on every roarctl start
  if ! .venv/bin/python -m pip install -e '.[dev,server]' --config-settings editable_mode=compat >.venv/install.log 2>&1; then
    tail -n 30 .venv/install.log >&2
    echo "setup: pip install failed; full log in .venv/install.log" >&2
    exit 1
  fi
  echo "$want" >"$stamp"
fi
.venv/bin/python -c 'import roard, roarctl' || { echo "setup: install failed" >&2; exit 1; }
test -f roard/_native/libroar_preload.so || { echo "setup: the preload tracer was not built" >&2; exit 1; }
if [ ! -x roard/_native/roar-ebpf ] && [ -f roard/_native/roar-ebpf.skipped ]; then
  echo "setup: the optional eBPF tracer was not built: $(cat roard/_native/roar-ebpf.skipped)" >&2
fi
# The eBPF tracer attaches to tracepoints, which need tracefs; a machine that booted without it
# mounted (a VM, a container with /sys writable) gets it mounted here, when we may.
if [ "$want_ebpf" = 1 ] && [ -x roard/_native/roar-ebpf ] && [ -d /sys/kernel/tracing ] \
   && ! grep -qs ' tracefs ' /proc/self/mounts; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null \
    || echo "setup: tracefs is not mounted and could not be; the eBPF tracer will say so" >&2
fi
echo "setup: ready (.venv/bin/roarctl)" >&2
