import { TvcError } from '@tvc/core';
import { pushData } from '@tvc/data';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { TransferReporter } from '../transfer-progress';
import { type DataSyncOptions, failWith, remoteOptions, reportFailures, summary } from './data-sync';

/** `tvc push [TARGETS…] [-r NAME] [-j N] [-a] [-T] [-A] [-d] [-R] [--glob]`: DVC's `N files pushed`. */
export default async function push(
  context: CommandContext,
  targets: string[],
  options: DataSyncOptions & { readonly glob?: boolean },
): Promise<number> {
  const reporter = new TransferReporter(context.io, 'Pushing', options.quiet === true);
  try {
    const tvc = await context.tvc();
    const result = await pushData(tvc, {
      ...remoteOptions(context, targets, options, reporter),
      glob: options.glob,
    });
    reporter.finish();
    const failure = reportFailures(context, result, 'upload');
    if (failure) return failWith(context, 'push data to the cloud', new TvcError('UPLOAD_FAILED', failure));
    if (!options.quiet) writeLine(context.io.stdout, summary([['pushed', result.transferred]]));
    return 0;
  } catch (error) {
    reporter.finish();
    return failWith(context, 'push data to the cloud', error);
  }
}
