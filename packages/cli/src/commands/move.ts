import { moveData } from '@tvc/data';
import type { CommandContext } from '../context';
import { reportTracked } from './data-track';

/** `tvc move SRC DST`. */
export default async function move(
  context: CommandContext,
  source: string,
  destination: string,
  options: { readonly quiet?: boolean },
): Promise<number> {
  const tvc = await context.tvc();
  const result = await moveData(tvc, source, destination);
  await reportTracked(context, tvc, result.changedFiles, options.quiet);
  return 0;
}
