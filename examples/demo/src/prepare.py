"""Splits the raw data into a training and a test set."""
import csv
import os
import random
import sys

from params import load

params = load()
source, out_dir = sys.argv[1], sys.argv[2]
with open(source, encoding="utf-8") as handle:
    rows = list(csv.reader(handle))
header, rows = rows[0], rows[1:]
random.Random(params["data"]["seed"]).shuffle(rows)
cut = int(len(rows) * (1 - params["prepare"]["split"]))
os.makedirs(out_dir, exist_ok=True)
for name, part in (("train.csv", rows[:cut]), ("test.csv", rows[cut:])):
    with open(os.path.join(out_dir, name), "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *part])
print(f"train: {cut} rows, test: {len(rows) - cut} rows")
