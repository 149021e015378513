import { saveExperiment } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { ReproReporter } from '../reporter';

export interface ExpSaveCommandOptions {
  readonly name?: string;
  readonly message?: string;
  readonly force?: boolean;
  readonly includeUntracked?: string[];
  readonly recursive?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** `tvc exp save`: the workspace as it is (its stages committed first), recorded as an experiment of HEAD. */
export default async function expSave(
  context: CommandContext,
  targets: string[],
  options: ExpSaveCommandOptions,
): Promise<number> {
  const tvc = await context.tvc();
  // Committing the stages first writes dvc.lock: `Updating lock file 'dvc.lock'`, as DVC says.
  if (!options.quiet) new ReproReporter(context.io).attach(tvc);
  const saved = await saveExperiment(tvc, {
    name: options.name,
    message: options.message,
    force: options.force,
    include: options.includeUntracked,
    targets,
    recursive: options.recursive,
  });
  if (options.json) writeLine(context.io.stdout, JSON.stringify({ ref: saved.ref }));
  else writeLine(context.io.stdout, `Experiment has been saved as: ${saved.name}`);
  return 0;
}
