import { TvcError } from '@tvc/core';
import { fetchData } from '@tvc/data';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { TransferReporter } from '../transfer-progress';
import { type DataSyncOptions, failWith, remoteOptions, reportFailures, summary } from './data-sync';

/** `tvc fetch [TARGETS…] [-r NAME] [-j N] [-a] [-T] [-A] [-d] [-R]`: DVC's `N files fetched`. */
export default async function fetch(
  context: CommandContext,
  targets: string[],
  options: DataSyncOptions,
): Promise<number> {
  const reporter = new TransferReporter(context.io, 'Fetching', options.quiet === true);
  try {
    const tvc = await context.tvc();
    const result = await fetchData(tvc, remoteOptions(context, targets, options, reporter));
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
