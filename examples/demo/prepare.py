"""Generate a noisy linear data set: y = 3x + 2 + noise (seeded, so it reproduces)."""
import argparse
import random

p = argparse.ArgumentParser()
p.add_argument("--rows", type=int, default=1000)
p.add_argument("--seed", type=int, default=7)
p.add_argument("--out", required=True)
args = p.parse_args()

rng = random.Random(args.seed)
with open(args.out, "w") as f:
    f.write("x,y\n")
    for _ in range(args.rows):
        x = rng.uniform(-10, 10)
        f.write(f"{x:.6f},{3 * x + 2 + rng.gauss(0, 1):.6f}\n")
print(f"wrote {args.rows} rows to {args.out}")
