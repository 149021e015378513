import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Io } from './io';

/** DVC's default pager, and the options it gives it (dvc/ui/pager.py). */
const LESS = 'less';

/** Whether `name` is an executable file in one of the PATH's directories. */
function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  for (const directory of (env.PATH ?? '').split(path.delimiter)) {
    if (!directory) continue;
    try {
      accessSync(path.join(directory, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * The pager command DVC's `find_pager` picks on a terminal: `$DVC_PAGER`, else `$PAGER`, else
 * `less` when it is on the PATH. `less` (named or by default) gets `-R` (colours) and `-S` (long
 * lines chopped, scrolled sideways), and `-F -X` (no paging for a table that fits) unless the user
 * set `$LESS`. Undefined off a terminal, or with nothing to page through.
 */
export function findPager(io: Pick<Io, 'env' | 'isTTY'>): string | undefined {
  if (!io.isTTY) return undefined;
  const env = io.env;
  const named = env.DVC_PAGER || env.PAGER;
  if (named && named !== LESS) return named;
  if (!named && !onPath(LESS, env)) return undefined;
  const userLess = Boolean(env.LESS);
  return [
    LESS,
    ...(userLess ? [] : ['--quit-if-one-screen']),
    '--RAW-CONTROL-CHARS',
    '--chop-long-lines',
    ...(userLess ? [] : ['--no-init']),
  ].join(' ');
}

/**
 * Shows `text` through the pager `command` (run by the shell, as DVC runs it, with the terminal
 * as its output) and waits until the user leaves it. Ctrl+C belongs to the pager meanwhile. False
 * when the pager could not be run (the caller prints the text itself).
 */
export function page(text: string, command: string, io: Pick<Io, 'env' | 'cwd'>): Promise<boolean> {
  return new Promise((resolve) => {
    const ignore = () => {};
    process.on('SIGINT', ignore);
    const child = spawn(command, {
      shell: true,
      cwd: io.cwd,
      env: io.env,
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    let started = true;
    child.on('error', () => {
      started = false;
    });
    // The user may leave the pager before it has read everything.
    child.stdin.on('error', ignore);
    child.stdin.end(text);
    child.on('close', (code) => {
      process.off('SIGINT', ignore);
      // 127: the shell found no such command.
      resolve(started && code !== 127);
    });
  });
}
