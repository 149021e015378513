"""Trains a logistic regression by gradient descent, in plain Python."""
import csv
import json
import math
import sys

from params import load

params = load()["train"]
source, out = sys.argv[1], sys.argv[2]
with open(source, encoding="utf-8") as handle:
    rows = [(float(r["x1"]), float(r["x2"]), int(r["label"])) for r in csv.DictReader(handle)]
w1 = w2 = b = 0.0
rate = params["learning_rate"]
for epoch in range(params["epochs"]):
    g1 = g2 = gb = 0.0
    for x1, x2, y in rows:
        p = 1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b)))
        g1, g2, gb = g1 + (p - y) * x1, g2 + (p - y) * x2, gb + (p - y)
    w1, w2, b = w1 - rate * g1 / len(rows), w2 - rate * g2 / len(rows), b - rate * gb / len(rows)
with open(out, "w", encoding="utf-8") as handle:
    json.dump({"w1": w1, "w2": w2, "b": b}, handle, indent=2)
print(f"trained for {params['epochs']} epochs: w1={w1:.3f} w2={w2:.3f} b={b:.3f}")
