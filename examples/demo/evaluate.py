"""Score the model on the held-out part of the data."""
import argparse
import csv
import json

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)
p.add_argument("--model", required=True)
p.add_argument("--out", required=True)
args = p.parse_args()

with open(args.model) as f:
    model = json.load(f)
with open(args.data) as f:
    rows = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(f)]
test = rows[model["train_rows"]:]
mse = sum((model["a"] * x + model["b"] - y) ** 2 for x, y in test) / len(test)
with open(args.out, "w") as f:
    json.dump({"mse": round(mse, 6), "test_rows": len(test)}, f, indent=2)
print(f"mse on {len(test)} held-out rows: {mse:.4f}")
