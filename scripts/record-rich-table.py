"""Records how DVC's rich_table lays out an `exp show`-shaped table at several widths.

Run with DVC's Python (e.g. `.venv/bin/python scripts/record-rich-table.py`); writes
packages/experiments/src/__fixtures__/rich-table.json, which rich-table.test.ts compares with.
The table, header styles and row styles are those dvc/commands/experiments/show.py passes.
"""

import io
import json
import pathlib

from rich.console import Console
from rich.text import Text

from dvc.ui import ui
from dvc.ui.table import rich_table

HASH = "392f110dfa192e5e0e3f680d7a83cdfc"
HEADERS = ["Experiment", "Created", "acc", "loss", "auc", "train.lr", "seed", "model.name", "train.py"]
KINDS = ["fixed", "fixed", "metrics", "metrics", "metrics", "params", "params", "params", "deps"]
ROWS = [
    ["workspace", "-", "0.84444", "0.28571", "0.802", "0.05", "3", "small", HASH],
    ["main", "02:32 AM", "0.53333", "0.90909", "0.507", "0.01", "1", "small", HASH],
    ["├── 673df43 [seeded]", "02:32 AM", "0.84444", "0.28571", "0.802", "0.05", "3", "small", HASH],
]
BASELINES = [True, True, False]
BACKGROUND = {"metrics": "cornsilk1", "params": "light_cyan1", "deps": "plum2"}


def styles():
    result = {
        "Experiment": {"no_wrap": True, "header_style": "black on grey93"},
        "Created": {"header_style": "black on grey93"},
    }
    seen = {}
    for header, kind in zip(HEADERS, KINDS):
        if kind == "fixed":
            continue
        index = seen.get(kind, 0)
        seen[kind] = index + 1
        result[header] = {
            "justify": "right" if kind == "metrics" else "left",
            "header_style": f"black on {BACKGROUND[kind]}",
            "collapse": index != 0,
            "no_wrap": kind == "metrics",
        }
    return result


def render(width, color_system):
    out = io.StringIO()
    ui.__dict__["rich_console"] = Console(
        width=width, file=out, color_system=color_system, force_terminal=color_system is not None
    )
    rows = [list(row) for row in ROWS]
    rows[2][0] = Text.assemble("├── 673df43 [", ("seeded", "bold"), "]")
    rich_table(
        ui,
        rows,
        HEADERS,
        header_styles=styles(),
        row_styles=[{"style": "bold"} if baseline else {} for baseline in BASELINES],
        borders="horizontals",
    )
    return out.getvalue()


ui._enabled = True
cases = [{"width": width, "color": None, "text": render(width, None)} for width in (200, 100, 80, 70, 60, 55, 50, 45, 40, 35, 30, 25, 20, 15)]
# Styled output is compared with DVC itself under a pseudo-terminal (test-e2e exp-show.test.ts):
# a Console writing styles to a StringIO drops the right edge's space when the table fills it.
cases += [{"width": 120, "color": "256", "text": render(120, "256")}]
target = pathlib.Path(__file__).resolve().parent.parent / "packages/experiments/src/__fixtures__/rich-table.json"
target.write_text(json.dumps({"headers": HEADERS, "kinds": KINDS, "rows": ROWS, "baselines": BASELINES, "cases": cases}, ensure_ascii=False, indent=1) + "\n")
