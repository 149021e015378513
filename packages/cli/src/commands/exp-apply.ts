import { applyExperiment } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

/** `tvc exp apply <exp>`: the experiment's files in the workspace; refuses to lose uncommitted work. */
export default async function expApply(
  context: CommandContext,
  experiment: string,
  options: { force?: boolean },
): Promise<number> {
  const result = await applyExperiment(await context.tvc(), experiment, { force: options.force });
  const { stdout } = context.io;
  if (result.saved.length > 0) {
    writeLine(
      stdout,
      `Saved your uncommitted changes to ${result.saved.join(', ')} in refs/exps/apply/tvc-workspace (restore one with: git checkout refs/exps/apply/tvc-workspace -- <file>)`,
    );
  }
  writeLine(stdout, `Changes for experiment '${experiment}' have been applied to your current workspace.`);
  return 0;
}
