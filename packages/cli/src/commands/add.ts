import { addData } from '@tvc/data';
import type { CommandContext } from '../context';
import { reportTracked } from './data-track';

export interface AddCommandOptions {
  readonly glob?: boolean;
  readonly out?: string;
  readonly commit?: boolean;
  readonly force?: boolean;
  readonly relink?: boolean;
  readonly quiet?: boolean;
}

/** `tvc add TARGETS… [--glob] [-o PATH [-f]] [--no-commit] [--no-relink]`. */
export default async function add(
  context: CommandContext,
  targets: string[],
  options: AddCommandOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const result = await addData(tvc, targets, {
    glob: options.glob,
    out: options.out,
    noCommit: options.commit === false,
    force: options.force,
    noRelink: options.relink === false,
  });
  await reportTracked(context, tvc, [...result.dataFiles, ...result.gitignores], options.quiet);
  return 0;
}
