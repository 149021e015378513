"""Makes a synthetic dataset: two Gaussian blobs in two dimensions."""
import csv
import os
import random
import sys

from params import load

params = load()["data"]
rng = random.Random(params["seed"])
out = sys.argv[1]
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle)
    writer.writerow(["x1", "x2", "label"])
    for _ in range(params["n_samples"]):
        label = rng.random() < 0.5
        center = 1.0 if label else -1.0
        writer.writerow([round(rng.gauss(center, 1.2), 4), round(rng.gauss(center, 1.2), 4), int(label)])
print(f"wrote {params['n_samples']} rows to {out}")
