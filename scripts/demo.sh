#!/usr/bin/env bash
# Set up, then run a three-step demo pipeline (prepare, train, evaluate) under `roarctl run`
# in a fresh git repository, print its DAG, and publish it: a local GLaaS server is started in
# the background (free loopback port, data in a temporary directory), the final artifact is
# registered to it, and its page's URL printed. ROAR_DEMO_STOP_SERVER=1 stops the server at
# the end; otherwise the last line says how.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/setup.sh"
export PATH="$here/.venv/bin:$PATH"

demo="$(mktemp -d "${TMPDIR:-/tmp}/roar-demo.XXXXXX")"
cp "$here"/examples/demo/*.py "$demo"/
cd "$demo"
git init -q -b main
git add -A
git -c user.name=roar-demo -c user.email=demo@example.invalid commit -qm "demo pipeline"
mkdir -p data models results

roarctl init -y
roarctl run python prepare.py --rows 2000 --out data/points.csv
roarctl run python train.py --data data/points.csv --model models/model.json
roarctl run python evaluate.py --data data/points.csv --model models/model.json --out results/metrics.json
echo
roarctl log
echo
roarctl dag --show-artifacts
echo

# Publish: a local GLaaS server, the final artifact registered to it, its page.
glaas_data="$(mktemp -d "${TMPDIR:-/tmp}/roar-demo-glaas.XXXXXX")"
port="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python -m glaas --host 127.0.0.1 --port "$port" --data-dir "$glaas_data" --log-level warning \
  >"$glaas_data/server.log" 2>&1 &
glaas_pid=$!
server="http://127.0.0.1:$port"
python - "$server" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(sys.argv[1] + "/api/v1/health", timeout=1).read()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the GLaaS server did not start; see its log")
PY
roarctl config set glaas.url "$server" >/dev/null
roarctl register -y results/metrics.json
hash="$(roarctl show results/metrics.json --json | python -c 'import json, sys; print(json.load(sys.stdin)["hash"])')"
echo
echo "demo workspace: $demo"
echo "artifact page:  $server/artifact/$hash"
if [ "${ROAR_DEMO_STOP_SERVER:-0}" = 1 ]; then
  kill "$glaas_pid"
  echo "GLaaS server stopped (its data: $glaas_data)"
else
  echo "GLaaS server running (pid $glaas_pid, data in $glaas_data); stop it with: kill $glaas_pid"
fi
