import { describeUrlSource, type ImportResult, importUrl } from '@tvc/imports';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

export interface ImportUrlCliOptions {
  readonly out?: string;
  readonly force?: boolean;
  readonly quiet?: boolean;
}

/** The lines DVC prints after an import: what was imported, and what to `git add`. */
export function reportImport(
  context: CommandContext,
  source: string,
  result: ImportResult,
  quiet: boolean,
): void {
  if (quiet) return;
  const stdout = context.io.stdout;
  writeLine(stdout, `Importing '${source}' -> '${result.output}'`);
  writeLine(stdout, '');
  writeLine(stdout, 'To track the changes with git, run:');
  writeLine(stdout, '');
  writeLine(stdout, `\tgit add ${[result.dvcFile, ...result.gitignores].sort().join(' ')}`);
}

/** `tvc import-url URL [OUT]`. */
export default async function importUrlCommand(
  context: CommandContext,
  url: string,
  out: string | undefined,
  options: ImportUrlCliOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const source = describeUrlSource(tvc, url).source;
  const result = await importUrl(tvc, url, { out: options.out ?? out, force: options.force });
  reportImport(context, source, result, options.quiet === true);
  return 0;
}
