import { saveExperiment } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

export interface ExpSaveCommandOptions {
  readonly name?: string;
  readonly message?: string;
  readonly force?: boolean;
  readonly includeUntracked?: string[];
  readonly json?: boolean;
}

/** `tvc exp save`: the workspace as it is, recorded as an experiment of HEAD. */
export default async function expSave(
  context: CommandContext,
  options: ExpSaveCommandOptions,
): Promise<number> {
  const saved = await saveExperiment(await context.tvc(), {
    name: options.name,
    message: options.message,
    force: options.force,
    include: options.includeUntracked,
  });
  if (options.json) writeLine(context.io.stdout, JSON.stringify({ ref: saved.ref }));
  else writeLine(context.io.stdout, `Experiment has been saved as: ${saved.name}`);
  return 0;
}
