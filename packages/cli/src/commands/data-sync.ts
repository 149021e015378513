import { TvcError } from '@tvc/core';
import type { RemoteDataOptions, TransferSummary } from '@tvc/data';
import type { CommandContext } from '../context';
import { reportError } from '../errors';
import { writeLine } from '../io';
import type { TransferReporter } from '../transfer-progress';

/** The options push, pull and fetch share (DVC's names). */
export interface DataSyncOptions {
  readonly remote?: string;
  readonly jobs?: string;
  readonly allBranches?: boolean;
  readonly allTags?: boolean;
  readonly allCommits?: boolean;
  readonly withDeps?: boolean;
  readonly recursive?: boolean;
  readonly runCache?: boolean;
  readonly quiet?: boolean;
}

/** `-j`: a positive integer. */
export function parseJobs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new TvcError('USAGE', `argument -j/--jobs: invalid positive int value: '${value}'`);
  }
  return jobs;
}

/** The engine options of a command's flags, with its progress line and warnings on stderr. */
export function remoteOptions(
  context: CommandContext,
  targets: readonly string[],
  options: DataSyncOptions,
  reporter: TransferReporter,
): RemoteDataOptions {
  return {
    remote: options.remote,
    jobs: parseJobs(options.jobs),
    targets,
    allBranches: options.allBranches,
    allTags: options.allTags,
    allCommits: options.allCommits,
    withDeps: options.withDeps,
    recursive: options.recursive,
    runCache: options.runCache,
    onProgress: reporter.update,
    onWarning: (message) => {
      reporter.finish();
      if (!options.quiet) context.io.stderr.write(`WARNING: ${message}\n`);
    },
  };
}

/** DVC's `get_summary`: `3 files fetched and 3 files added`. */
export function summary(stats: readonly [string, number][]): string {
  const words = stats
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} file${count > 1 ? 's' : ''} ${state}`);
  if (words.length === 0) return 'Everything is up to date.';
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : words[0]!;
}

/**
 * Reports the objects that failed (each with its path and why), then DVC's
 * `N files failed to upload`; returns whether any did.
 */
export function reportFailures(
  context: CommandContext,
  result: TransferSummary,
  method: 'upload' | 'download',
): string | undefined {
  if (result.failed.length === 0) return undefined;
  for (const failure of result.failed) {
    const name = result.collected.names.get(failure.oid);
    writeLine(
      context.io.stderr,
      `ERROR: failed to ${method} ${name ? `'${name}' ` : ''}(${failure.key}) ${method === 'upload' ? 'to' : 'from'} remote '${failure.remote ?? result.remote}': ${failure.error.message}`,
    );
  }
  return `${result.failed.length} files failed to ${method}`;
}

/** DVC's `ERROR: failed to push data to the cloud - …` and exit code 1 for a command's failure. */
export function failWith(context: CommandContext, doing: string, error: unknown): number {
  if (error instanceof TvcError && error.code !== 'NOT_A_DVC_REPO' && error.code !== 'USAGE') {
    const wrapped = new TvcError(error.code, `failed to ${doing} - ${error.message}`, {
      hint: error.hint,
      location: error.location,
    });
    reportError(wrapped, context.io, context.verbose);
    return 1;
  }
  throw error;
}
