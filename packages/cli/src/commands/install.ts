import path from 'node:path';
import { TvcError } from '@tvc/core';
import { installGitHooks } from '@tvc/lint';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

/** `tvc install --hooks`: a git pre-commit hook running `tvc lint`. */
export default async function install(
  context: CommandContext,
  options: { readonly force?: boolean; readonly quiet?: boolean },
): Promise<number> {
  const tvc = await context.tvc();
  if (!tvc.scmRoot)
    throw new TvcError('NOT_A_GIT_REPOSITORY', 'git hooks need a git repository', {
      hint: 'run `git init` first',
    });
  const binary = process.argv[1] ? path.resolve(process.argv[1]) : undefined;
  const { written } = await installGitHooks(tvc.scmRoot, { force: options.force, binary });
  if (!options.quiet) {
    for (const hook of written)
      writeLine(
        context.io.stdout,
        `Installed ${path.relative(context.io.cwd, hook)}: tvc lint runs before each commit.`,
      );
  }
  return 0;
}
