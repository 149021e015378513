import type { CommandContext } from '../context';

/** Placeholder until the stage writer lands. */
export default async function stageAdd(context: CommandContext): Promise<number> {
  context.io.stderr.write('ERROR: stage add is not implemented yet\n');
  return 255;
}
