import { TvcError } from '@tvc/core';
import { fetchData } from '@tvc/data';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { TransferReporter } from '../transfer-progress';
import { type DataSyncOptions, failWith, remoteOptions, reportFailures, summary } from './data-sync';

export interface FetchCommandOptions extends DataSyncOptions {
  readonly maxSize?: string;
  readonly type?: string[];
}

/** `--max-size`: an integer, as argparse's `int` reads it. */
function parseMaxSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*[-+]?\d+\s*$/.test(value)) {
    throw new TvcError('USAGE', `argument --max-size: invalid int value: '${value}'`);
  }
  return Number(value);
}

/** `--type`: metrics or plots, each as often as given. */
function parseTypes(values: readonly string[] | undefined): ('metrics' | 'plots')[] {
  return (values ?? []).map((value) => {
    if (value !== 'metrics' && value !== 'plots') {
      throw new TvcError(
        'USAGE',
        `argument --type: invalid choice: '${value}' (choose from 'metrics', 'plots')`,
      );
    }
    return value;
  });
}

/** `tvc fetch [TARGETS…] [-r NAME] [-j N] [-a] [-T] [-A] [-d] [-R] [--max-size N] [--type T]`. */
export default async function fetch(
  context: CommandContext,
  targets: string[],
  options: FetchCommandOptions,
): Promise<number> {
  const maxSize = parseMaxSize(options.maxSize);
  const types = parseTypes(options.type);
  const reporter = new TransferReporter(context.io, 'Fetching', options.quiet === true);
  try {
    const tvc = await context.tvc();
    const result = await fetchData(tvc, {
      ...remoteOptions(context, targets, options, reporter),
      maxSize,
      types,
    });
    reporter.finish();
    const failure = reportFailures(context, result, 'download');
    if (failure)
      return failWith(context, 'fetch data from the cloud', new TvcError('DOWNLOAD_FAILED', failure));
    if (!options.quiet) writeLine(context.io.stdout, summary([['fetched', result.transferred]]));
    return 0;
  } catch (error) {
    reporter.finish();
    return failWith(context, 'fetch data from the cloud', error);
  }
}
