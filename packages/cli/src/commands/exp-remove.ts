import { TvcError } from '@tvc/core';
import { gitOf, removeExperiments, removeQueued } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

export interface ExpRemoveCommandOptions {
  readonly rev?: string[];
  readonly num?: string;
  readonly allCommits?: boolean;
  readonly gitRemote?: string;
  readonly queue?: boolean;
  readonly keep?: boolean;
}

/** DVC's `humanize.join`: `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`. */
function humanJoin(words: readonly string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : (words[0] ?? '');
}

/** `tvc exp remove <names> | --rev | -A [--keep]`. */
export default async function expRemove(
  context: CommandContext,
  names: string[],
  options: ExpRemoveCommandOptions,
): Promise<number> {
  const flags = [options.allCommits, (options.rev ?? []).length > 0, options.queue].some(Boolean);
  if (flags === names.length > 0) {
    throw new TvcError(
      'INVALID_ARGUMENT',
      'Either provide an `experiment` argument, or use the `--rev` or `--all-commits` or `--queue` flag.',
    );
  }
  if (options.keep && options.queue)
    throw new TvcError('INVALID_ARGUMENT', 'Cannot use both `--keep` and `--queue`.');
  if (options.gitRemote)
    throw new TvcError('NOT_IMPLEMENTED', 'removing experiments from a git remote is not available yet');
  if (options.queue) {
    const removed = await removeQueued(await context.tvc(), { queued: true });
    writeLine(
      context.io.stdout,
      removed.length > 0
        ? `Removed experiments: ${humanJoin(removed.map((name) => `'${name}'`))}`
        : 'No experiments to remove.',
    );
    return 0;
  }
  const { git } = gitOf(await context.tvc());
  const num = options.num === undefined ? 1 : Number(options.num);
  const removed = await removeExperiments(git, {
    names,
    revs: options.rev,
    num,
    all: options.allCommits,
    keep: options.keep,
  });
  writeLine(
    context.io.stdout,
    removed.length > 0
      ? `Removed experiments: ${humanJoin(removed.map((name) => `'${name}'`))}`
      : 'No experiments to remove.',
  );
  return 0;
}
