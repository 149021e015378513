import { importFromRepo } from '@tvc/imports';
import type { CommandContext } from '../context';
import { reportImport } from './import-url';

export interface ImportCliOptions {
  readonly out?: string;
  readonly rev?: string;
  readonly force?: boolean;
  readonly quiet?: boolean;
}

/** `tvc import URL PATH`. */
export default async function importCommand(
  context: CommandContext,
  url: string,
  file: string,
  options: ImportCliOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const result = await importFromRepo(tvc, url, file, {
    out: options.out,
    rev: options.rev,
    force: options.force,
  });
  reportImport(context, `${file} (${url})`, result, options.quiet === true);
  return 0;
}
