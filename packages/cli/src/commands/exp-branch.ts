import { branchExperiment, gitOf } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

/** `tvc exp branch <exp> [branch]`: a git branch at the experiment's commit. */
export default async function expBranch(
  context: CommandContext,
  experiment: string,
  branch: string | undefined,
): Promise<number> {
  const { git } = gitOf(await context.tvc());
  const made = await branchExperiment(git, experiment, branch);
  writeLine(
    context.io.stdout,
    `Git branch '${made.branch}' has been created from experiment '${made.experiment.name}'.\nTo switch to the new branch run:\n\n\tgit checkout ${made.branch}`,
  );
  return 0;
}
