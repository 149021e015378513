"""Scores the model on the test set: accuracy and log loss to metrics.json, scores to eval/predictions.csv."""
import csv
import json
import math
import os
import sys

model_path, test_path = sys.argv[1], sys.argv[2]
with open(model_path, encoding="utf-8") as handle:
    model = json.load(handle)
with open(test_path, encoding="utf-8") as handle:
    rows = [(float(r["x1"]), float(r["x2"]), int(r["label"])) for r in csv.DictReader(handle)]
scores = [1 / (1 + math.exp(-(model["w1"] * x1 + model["w2"] * x2 + model["b"]))) for x1, x2, _ in rows]
accuracy = sum((s >= 0.5) == bool(y) for s, (_, _, y) in zip(scores, rows)) / len(rows)
eps = 1e-12
log_loss = -sum(
    math.log(max(s, eps)) if y else math.log(max(1 - s, eps)) for s, (_, _, y) in zip(scores, rows)
) / len(rows)
with open("metrics.json", "w", encoding="utf-8") as handle:
    json.dump({"accuracy": round(accuracy, 4), "log_loss": round(log_loss, 4), "n_test": len(rows)}, handle, indent=2)
os.makedirs("eval", exist_ok=True)
with open("eval/predictions.csv", "w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle)
    writer.writerow(["score", "label"])
    writer.writerows((round(s, 4), y) for s, (_, _, y) in zip(scores, rows))
print(f"accuracy: {accuracy:.3f}")
