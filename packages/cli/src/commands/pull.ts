import { TvcError } from '@tvc/core';
import { pullData } from '@tvc/data';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { TransferReporter } from '../transfer-progress';
import { type DataSyncOptions, failWith, remoteOptions, reportFailures, summary } from './data-sync';

export interface PullCommandOptions extends DataSyncOptions {
  readonly force?: boolean;
  readonly allowMissing?: boolean;
}

/** `tvc pull [TARGETS…] [-r NAME] [-j N] [-f] …`: fetch, then checkout; DVC's `A d/` lines and summary. */
export default async function pull(
  context: CommandContext,
  targets: string[],
  options: PullCommandOptions,
): Promise<number> {
  const reporter = new TransferReporter(context.io, 'Pulling', options.quiet === true);
  try {
    const tvc = await context.tvc();
    const result = await pullData(tvc, {
      ...remoteOptions(context, targets, options, reporter),
      force: options.force,
      allowMissing: options.allowMissing,
    });
    reporter.finish();
    const out = context.io.stdout;
    const { checkout } = result;
    if (!options.quiet) {
      for (const entry of checkout.modified) writeLine(out, `M       ${entry}`);
      for (const entry of checkout.added) writeLine(out, `A       ${entry}`);
      for (const entry of checkout.deleted) writeLine(out, `D       ${entry}`);
    }
    const failure = reportFailures(context, result.fetch, 'download');
    if (failure)
      return failWith(context, 'pull data from the cloud', new TvcError('DOWNLOAD_FAILED', failure));
    if (!options.quiet) {
      writeLine(
        out,
        summary([
          ['fetched', result.fetch.transferred],
          ['modified', checkout.stats.modified],
          ['added', checkout.stats.added],
          ['deleted', checkout.stats.deleted],
        ]),
      );
    }
    if (checkout.failed.length > 0) {
      return failWith(
        context,
        'pull data from the cloud',
        new TvcError(
          'CHECKOUT_FAILED',
          `Checkout failed for following targets:\n${checkout.failed.join('\n')}\nIs your cache up to date?`,
          {
            hint: 'their objects are neither in the cache nor on the remote: push them from a clone that has them',
          },
        ),
      );
    }
    return 0;
  } catch (error) {
    reporter.finish();
    return failWith(context, 'pull data from the cloud', error);
  }
}
