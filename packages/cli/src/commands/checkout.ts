import { TvcError } from '@tvc/core';
import { checkoutData } from '@tvc/data';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

export interface CheckoutCommandOptions {
  readonly force?: boolean;
  readonly relink?: boolean;
  readonly recursive?: boolean;
  readonly summary?: boolean;
  readonly withDeps?: boolean;
  readonly allowMissing?: boolean;
  readonly quiet?: boolean;
}

function summaryLine(stats: Record<string, number>): string {
  const words = Object.entries(stats)
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} file${count > 1 ? 's' : ''} ${state}`);
  if (words.length === 0) return 'No changes.';
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : words[0]!;
}

/** `tvc checkout [TARGETS…] [-f] [--relink] [-R] [--summary] [-d] [--allow-missing]`: DVC's `M`/`A`/`D` lines or its summary. */
export default async function checkout(
  context: CommandContext,
  targets: string[],
  options: CheckoutCommandOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const result = await checkoutData(tvc, targets, options);
  const out = context.io.stdout;
  if (!options.quiet) {
    if (options.summary) {
      const { modified, added, deleted } = result.stats;
      writeLine(out, summaryLine({ modified, added, deleted }));
    } else {
      // DVC's rich console expands the tab: the letter, then spaces to column 8.
      for (const entry of result.modified) writeLine(out, `M       ${entry}`);
      for (const entry of result.added) writeLine(out, `A       ${entry}`);
      for (const entry of result.deleted) writeLine(out, `D       ${entry}`);
    }
  }
  if (result.failed.length > 0 && !options.allowMissing) {
    throw new TvcError(
      'CHECKOUT_FAILED',
      `Checkout failed for following targets:\n${result.failed.join('\n')}\nIs your cache up to date?`,
      {
        hint: 'their objects are missing from the cache or corrupt: `tvc pull` them, or reproduce the stages',
      },
    );
  }
  if (options.relink && !options.quiet) writeLine(out, 'Relinked successfully');
  return 0;
}
