import path from 'node:path';
import { toPosix } from '@tvc/core';
import { commitData } from '@tvc/data';
import type { CommandContext } from '../context';
import { reportTracked } from './data-track';

export interface CommitCommandOptions {
  readonly force?: boolean;
  readonly recursive?: boolean;
  readonly withDeps?: boolean;
  readonly relink?: boolean;
  readonly quiet?: boolean;
}

/** `tvc commit [TARGETS…] [-f] [-R] [-d] [--no-relink]`. */
export default async function commit(
  context: CommandContext,
  targets: string[],
  options: CommitCommandOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const result = await commitData(tvc, targets, {
    force: options.force,
    recursive: options.recursive,
    withDeps: options.withDeps,
    noRelink: options.relink === false,
  });
  const files = result.changedFiles.map((file) =>
    toPosix(path.relative(context.io.cwd, path.join(tvc.root, file))),
  );
  // DVC prints nothing here; with core.autostage the files are still staged.
  await reportTracked(context, tvc, files, true);
  return 0;
}
