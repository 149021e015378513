import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { configFlag, readDvcConfig, shellQuote, type Tvc } from '@tvc/core';
import type { CommandContext } from '../context';
import { writeTrackingHint } from '../io';

const execFileAsync = promisify(execFile);

/**
 * After a data command wrote `.dvc` and `.gitignore` files (paths relative to the cwd): stages
 * them when `core.autostage` is set, else says how to (unless quiet), as DVC does.
 */
export async function reportTracked(
  context: CommandContext,
  tvc: Tvc,
  files: readonly string[],
  quiet: boolean | undefined,
): Promise<void> {
  if (files.length === 0 || !tvc.scmRoot) return;
  if (configFlag(readDvcConfig(tvc.root), 'core', 'autostage')) {
    await execFileAsync('git', ['add', '--', ...files.map((file) => path.resolve(context.io.cwd, file))], {
      cwd: tvc.scmRoot,
    });
    return;
  }
  if (quiet) return;
  writeTrackingHint(
    context.io.stdout,
    files.map((file) => shellQuote(file)),
  );
}
