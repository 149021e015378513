import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Signals a checkpoint from a stage's own Node code (the counterpart of `tvc_checkpoint.py`): call
 * it each time the checkpoint outputs hold a state worth keeping. While `tvc exp run` runs the
 * stage, `TVC_CHECKPOINT_FILE` names a signal file: this creates it and resolves once tvc has
 * recorded the checkpoint and removed it. Under DVC 2 (`DVC_CHECKPOINT=1` only) it uses
 * `$DVC_ROOT/.dvc/tmp/DVC_CHECKPOINT`. Elsewhere it does nothing. Resolves to whether a checkpoint
 * was recorded; rejects when the tvc process (`TVC_CHECKPOINT_PID`) ends before recording it.
 * Import it alone from `@tvc/experiments/checkpoint`.
 */
export async function tvcCheckpoint(
  options: { readonly env?: NodeJS.ProcessEnv; readonly pollMs?: number } = {},
): Promise<boolean> {
  const env = options.env ?? process.env;
  let file = env.TVC_CHECKPOINT_FILE;
  if (!file) {
    if (env.DVC_CHECKPOINT !== '1') return false;
    file = path.join(env.DVC_ROOT ?? '', '.dvc', 'tmp', 'DVC_CHECKPOINT');
  }
  const pid = Number(env.TVC_CHECKPOINT_PID ?? 0);
  writeFileSync(file, '');
  while (existsSync(file)) {
    if (pid > 0 && !alive(pid)) {
      throw new Error('tvc stopped before recording the checkpoint (TVC_CHECKPOINT_PID is gone)');
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50));
  }
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
