"""Runs DVC's own `dvc dag` command for many (directory, arguments) cases in one process.

Input (stdin): JSON {"cases": [{"cwd": ..., "args": [...]}, ...], "drawings": [{"nodes": [...],
"edges": [[upstream, downstream], ...]}, ...]}. Output (stdout): JSON {"cases": [{"code": int,
"pinned": str, "reversed": str, "rotated": str}], "drawings": [the same without "code"]}.

DVC's ASCII drawing depends on two orders it does not control:
- grandalf keeps a component's edges in a Python `set` of Edge objects, hashed by memory address,
  and creates the dummy vertices of long edges in that set's order;
- networkx lists the nodes of a small weakly connected component (less than half the graph) in
  the order of a `set` of node names, which follows PYTHONHASHSEED.
"pinned" runs DVC with both orders fixed to the ones tvc uses (the edges as created, the nodes in
graph order); "reversed" takes grandalf's edges in the opposite order, "rotated" starting halfway
(what an address-ordered set often gives). When they differ, the real `dvc dag` prints one or
another from one run to the next.
"""

import contextlib
import io
import json
import os
import sys

import grandalf.graphs as graphs

ORDER = {"mode": "pinned"}
_counter = [0]
_edge_init = graphs.Edge.__init__
_core_init = graphs.graph_core.__init__


def edge_init(self, *args, **kwargs):
    _edge_init(self, *args, **kwargs)
    _counter[0] += 1
    self._tvc_created = _counter[0]


def core_init(self, V=None, E=None, directed=True):
    if E is not None:
        E = sorted(E, key=lambda e: e._tvc_created, reverse=ORDER["mode"] == "reversed")
        if ORDER["mode"] == "rotated":
            E = E[len(E) // 2 :] + E[: len(E) // 2]
    _core_init(self, V, E, directed)


graphs.Edge.__init__ = edge_init
graphs.graph_core.__init__ = core_init
graphs.Graph.component_class = graphs.graph_core

import dvc.repo.graph  # noqa: E402


def get_pipelines(graph):
    """networkx's weakly connected components, each with the nodes and edges in graph order."""
    import networkx as nx

    pipelines = []
    for component in nx.weakly_connected_components(graph):
        pipeline = nx.DiGraph()
        pipeline.add_nodes_from(n for n in graph.nodes if n in component)
        pipeline.add_edges_from((a, b) for a, b in graph.edges if a in component)
        pipelines.append(pipeline)
    return pipelines


dvc.repo.graph.get_pipelines = get_pipelines

from dvc.cli import main  # noqa: E402
from dvc.dagascii import draw  # noqa: E402


def run_dvc(cwd, args):
    out = io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(args)
    finally:
        os.chdir(here)
    return code, out.getvalue()


def both(fn):
    results = {}
    for mode in ("pinned", "reversed", "rotated"):
        ORDER["mode"] = mode
        results[mode] = fn()
    ORDER["mode"] = "pinned"
    return results


def main_():
    request = json.load(sys.stdin)
    cases = []
    for case in request.get("cases", []):
        runs = both(lambda: run_dvc(case["cwd"], case["args"]))
        cases.append({"code": runs["pinned"][0], **{mode: run[1] for mode, run in runs.items()}})
    drawings = []
    for drawing in request.get("drawings", []):
        edges = [(b, a) for a, b in drawing["edges"]]
        drawings.append(both(lambda: draw(drawing["nodes"], edges)))
    json.dump({"cases": cases, "drawings": drawings}, sys.stdout)


if __name__ == "__main__":
    main_()
