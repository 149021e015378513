import { removeData } from '@tvc/data';
import type { CommandContext } from '../context';
import { reportTracked } from './data-track';

export interface RemoveCommandOptions {
  readonly outs?: boolean;
  readonly quiet?: boolean;
}

/** `tvc remove TARGETS… [--outs]`. */
export default async function remove(
  context: CommandContext,
  targets: string[],
  options: RemoveCommandOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const result = await removeData(tvc, targets, options);
  // DVC prints nothing here; with core.autostage the files are still staged.
  await reportTracked(context, tvc, [...result.removed, ...result.gitignores], true);
  return 0;
}
