#!/usr/bin/env bash
# Set up, then run a three-step demo pipeline (prepare, train, evaluate) under `roarctl run`
# in a fresh git repository, and print its DAG.
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
echo "demo workspace: $demo"
