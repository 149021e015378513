"""Checkpoints for tvc (and DVC 2) experiments, in one call.

Copy this file next to your training script and call ``tvc_checkpoint()`` each time the
checkpoint outputs (``checkpoint: true`` in dvc.yaml) hold a state worth keeping::

    from tvc_checkpoint import tvc_checkpoint

    for epoch in range(start, epochs):
        train_one_epoch(model)
        save(model, "model.pt")
        write_metrics("metrics.json")
        tvc_checkpoint()

While ``tvc exp run`` runs the stage, ``TVC_CHECKPOINT_FILE`` names a signal file: this function
creates it and waits until tvc has recorded the checkpoint (outputs cached, dvc.lock written, a
commit on the experiment's ref) and removed it. Under DVC 2 (``DVC_CHECKPOINT=1`` only) it uses
DVC's signal file, ``$DVC_ROOT/.dvc/tmp/DVC_CHECKPOINT``. Anywhere else (``tvc repro``, a plain
``python train.py``) it does nothing. Returns whether a checkpoint was recorded; raises
``RuntimeError`` when the tvc process (``TVC_CHECKPOINT_PID``) ends before recording it.
"""

import os
import time

__all__ = ["tvc_checkpoint"]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def tvc_checkpoint(poll_seconds=0.05):
    path = os.environ.get("TVC_CHECKPOINT_FILE")
    if not path:
        if os.environ.get("DVC_CHECKPOINT") != "1":
            return False
        path = os.path.join(os.environ.get("DVC_ROOT", ""), ".dvc", "tmp", "DVC_CHECKPOINT")
    pid = int(os.environ.get("TVC_CHECKPOINT_PID") or 0)
    with open(path, "w"):
        pass
    while os.path.exists(path):
        if pid and not _alive(pid):
            raise RuntimeError("tvc stopped before recording the checkpoint (TVC_CHECKPOINT_PID is gone)")
        time.sleep(poll_seconds)
    return True
