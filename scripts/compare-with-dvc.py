"""Runs many DVC commands in one Python process (used by compare-with-dvc.mjs).

DVC spends about a second importing itself before each command; the comparison runs hundreds of
commands, so it runs them here, one after the other, through `dvc.cli.main` as the `dvc` program
does. Each command's file descriptors 1 and 2 are pointed at temporary files (not `sys.stdout`:
DVC's consoles and log handlers hold the stream objects they were made with), so what is captured
is byte for byte what `dvc ARGS` would print, `\\r\\n` of `--csv` included.

stdin: JSON `[[cwd, [arg, ...]], ...]`; stdout: JSON `[{"code", "stdout", "stderr"}, ...]`.
"""

import json
import os
import sys
import tempfile


def run(jobs):
    from dvc.cli import main

    saved_out, saved_err = os.dup(1), os.dup(2)
    results = []
    for cwd, argv in jobs:
        os.chdir(cwd)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            try:
                code = main(argv)
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code if isinstance(exit_.code, int) else 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved_out, 1)
                os.dup2(saved_err, 2)
            out.seek(0)
            err.seek(0)
            results.append(
                {
                    "code": code or 0,
                    "stdout": out.read().decode("utf-8", "replace"),
                    "stderr": err.read().decode("utf-8", "replace"),
                }
            )
    return results


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(json.load(sys.stdin))))
