"""Fit y = a*x + b by least squares on the training part of the data."""
import argparse
import csv
import json

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)
p.add_argument("--model", required=True)
p.add_argument("--train-fraction", type=float, default=0.8)
args = p.parse_args()

with open(args.data) as f:
    rows = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(f)]
train = rows[: int(len(rows) * args.train_fraction)]
n = len(train)
mx = sum(x for x, _ in train) / n
my = sum(y for _, y in train) / n
a = sum((x - mx) * (y - my) for x, y in train) / sum((x - mx) ** 2 for x, _ in train)
b = my - a * mx
with open(args.model, "w") as f:
    json.dump({"a": round(a, 6), "b": round(b, 6), "train_rows": n}, f, indent=2)
print(f"model: y = {a:.3f}x + {b:.3f}")
