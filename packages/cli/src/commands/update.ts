import { updateImports } from '@tvc/imports';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { reportImport } from './import-url';

export interface UpdateCliOptions {
  readonly rev?: string;
  readonly quiet?: boolean;
}

/** `tvc update TARGETS…`. */
export default async function updateCommand(
  context: CommandContext,
  targets: string[],
  options: UpdateCliOptions,
): Promise<number> {
  const tvc = await context.tvc();
  tvc.hooks.log.tap('tvc:cli', (event) => {
    if (event.level === 'warn' && options.quiet !== true)
      context.io.stderr.write(`WARNING: ${event.message}\n`);
  });
  const results = await updateImports(tvc, targets, { rev: options.rev });
  for (const result of results) {
    if (result.changed) reportImport(context, result.source, result, options.quiet === true);
    else if (options.quiet !== true)
      writeLine(context.io.stdout, `'${result.dvcFile}' didn't change, skipping`);
  }
  return 0;
}
