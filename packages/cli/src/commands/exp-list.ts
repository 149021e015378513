import { TvcError } from '@tvc/core';
import { gitOf, listByBaseline } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

export interface ExpListCommandOptions {
  readonly rev?: string[];
  readonly num?: string;
  readonly allCommits?: boolean;
  readonly nameOnly?: boolean;
  readonly shaOnly?: boolean;
}

/** `tvc exp list`: `<baseline>:` then `\t<sha7> [<name>]`, as DVC. */
export default async function expList(
  context: CommandContext,
  gitRemote: string | undefined,
  options: ExpListCommandOptions,
): Promise<number> {
  if (gitRemote)
    throw new TvcError('NOT_IMPLEMENTED', 'listing the experiments of a git remote is not available yet');
  const { git } = gitOf(await context.tvc());
  const num = options.num === undefined ? 1 : Number(options.num);
  if (!Number.isInteger(num))
    throw new TvcError('INVALID_ARGUMENT', `-n must be an integer, not '${options.num}'`);
  const groups = await listByBaseline(git, { revs: options.rev, num, all: options.allCommits });
  const { stdout } = context.io;
  for (const group of groups) {
    if (!options.nameOnly && !options.shaOnly)
      writeLine(stdout, `${group.label ?? group.baseline.slice(0, 7)}:`);
    for (const exp of group.experiments) {
      if (options.nameOnly) writeLine(stdout, exp.name);
      else if (options.shaOnly) writeLine(stdout, exp.sha);
      else writeLine(stdout, `\t${exp.sha.slice(0, 7)} [${exp.name}]`);
    }
  }
  return 0;
}
