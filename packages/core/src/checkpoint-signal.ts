import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * The checkpoint protocol (DVC 2's, kept for tvc): while a checkpoint stage's command runs with a
 * checkpoint callback, its environment has `DVC_CHECKPOINT=1` and `TVC_CHECKPOINT_FILE` naming the
 * signal file, `<DVC root>/.dvc/tmp/DVC_CHECKPOINT` (DVC's path, so dvclive's `make_checkpoint`
 * works too). The command creates the file and waits until it is gone; tvc records the checkpoint,
 * then removes the file.
 */
export const CHECKPOINT_SIGNAL_FILE = path.join('.dvc', 'tmp', 'DVC_CHECKPOINT');
/** Set to `1` in a checkpoint stage's environment when checkpoints are recorded (DVC's name). */
export const CHECKPOINT_ENV_FLAG = 'DVC_CHECKPOINT';
/** The absolute path of the signal file, in a checkpoint stage's environment. */
export const CHECKPOINT_ENV_FILE = 'TVC_CHECKPOINT_FILE';
/**
 * The pid of the tvc process recording checkpoints: a helper waiting for the signal file stops
 * waiting (with an error) once that process is gone, rather than hang after a SIGKILL.
 */
export const CHECKPOINT_ENV_PID = 'TVC_CHECKPOINT_PID';
/** How often the signal file is looked for while a checkpoint stage runs. */
export const CHECKPOINT_POLL_MS = 100;

/** The signal file of a DVC root. */
export function checkpointSignalPath(root: string): string {
  return path.join(root, CHECKPOINT_SIGNAL_FILE);
}

export interface CheckpointWatch {
  /** Stops looking; waits for a checkpoint being recorded, then removes a leftover signal file. */
  stop(): Promise<void>;
}

/**
 * Looks for `file` every `pollMs` (a timer, not a busy loop) until stopped. When it appears,
 * `onSignal` records the checkpoint and the file is removed so that the command continues; if
 * `onSignal` throws, `onError` gets the error (the caller kills the command) and the file is
 * removed all the same. Checkpoints are recorded one at a time.
 */
export async function watchCheckpoints(
  file: string,
  options: {
    readonly pollMs?: number | undefined;
    readonly onSignal: () => Promise<void>;
    readonly onError: (error: unknown) => void;
  },
): Promise<CheckpointWatch> {
  await mkdir(path.dirname(file), { recursive: true });
  await rm(file, { force: true });
  const pollMs = options.pollMs ?? CHECKPOINT_POLL_MS;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    if (!existsSync(file)) {
      timer = setTimeout(tick, pollMs);
      return;
    }
    current = (async () => {
      try {
        await options.onSignal();
      } catch (error) {
        options.onError(error);
      } finally {
        await rm(file, { force: true });
      }
    })().finally(() => {
      if (!stopped) timer = setTimeout(tick, pollMs);
    });
  };
  timer = setTimeout(tick, pollMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
      await rm(file, { force: true });
    },
  };
}
