import { type Tvc, TvcError } from '@tvc/core';
import type { TransferSummary } from '@tvc/data';
import { type ExpRef, type Git, gitOf, listExperiments, resolveExperiment } from '@tvc/experiments';
import type { CommandContext } from '../context';
import { TransferReporter } from '../transfer-progress';
import { failWith, parseJobs, reportFailures } from './data-sync';

/** DVC's `humanize.join`: `a`, `a and b`, `a, b and c`. */
export function humanJoin(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** The options exp push and exp pull share (DVC's names). */
export interface ExpSyncOptions {
  readonly force?: boolean;
  /** commander's `--no-cache`: false when given. */
  readonly cache?: boolean;
  readonly remote?: string;
  readonly jobs?: string;
  readonly runCache?: boolean;
  readonly allCommits?: boolean;
  readonly rev?: string;
  readonly quiet?: boolean;
}

/** Runs git, turning its failure into a TvcError that quotes git's message. */
export async function runGit(git: Git, args: string[], what: string): Promise<string> {
  try {
    return await git.raw(args);
  } catch (error) {
    const message = error instanceof Error ? error.message.trim() : String(error);
    throw new TvcError('GIT_FAILED', `${what}: ${message}`, {
      hint: 'check the git remote (`git remote -v`) and your access to it',
    });
  }
}

/** The commits of an experiment: from its tip along first parents, down to (not including) its baseline. */
export async function experimentCommits(git: Git, experiments: readonly ExpRef[]): Promise<string[]> {
  const commits = new Set<string>();
  for (const exp of experiments) {
    const out = await runGit(
      git,
      ['rev-list', '--first-parent', exp.sha, '--not', exp.baseline],
      'git rev-list',
    );
    for (const line of out.split('\n')) if (line) commits.add(line);
  }
  return [...commits];
}

/**
 * The local experiments to push: those named, else all with `-A`, else those whose baseline is
 * `--rev` (default HEAD), as DVC's `exp push`.
 */
export async function localExperiments(tvc: Tvc, names: readonly string[], options: ExpSyncOptions) {
  const { git } = gitOf(tvc);
  const all = await listExperiments(git);
  if (names.length > 0) {
    const found: ExpRef[] = [];
    for (const name of names) found.push(await resolveExperiment(git, name, all));
    return { git, experiments: found };
  }
  if (options.allCommits) return { git, experiments: all };
  const baseline = await git.resolveCommit(options.rev ?? 'HEAD');
  return { git, experiments: all.filter((exp) => exp.baseline === baseline) };
}

/**
 * The data half of exp push / exp pull: moves the objects of the experiments' commits (not the
 * workspace's) with push or fetch, with a progress line and DVC's failure messages
 * (`failed to push cache - …`). Returns the exit code, and the summary when it succeeded.
 */
export async function syncExperimentData(
  context: CommandContext,
  tvc: Tvc,
  git: Git,
  experiments: readonly ExpRef[],
  options: ExpSyncOptions,
  direction: 'push' | 'pull',
): Promise<{ code: number; result?: TransferSummary }> {
  const pushing = direction === 'push';
  const reporter = new TransferReporter(context.io, pushing ? 'Pushing' : 'Fetching', options.quiet === true);
  const doing = `${direction} cache`;
  try {
    const { fetchData, pushData } = await import('@tvc/data');
    const result = await (pushing ? pushData : fetchData)(tvc, {
      remote: options.remote,
      jobs: parseJobs(options.jobs),
      revs: await experimentCommits(git, experiments),
      workspace: false,
      runCache: options.runCache,
      onProgress: reporter.update,
      onWarning: (message) => {
        reporter.finish();
        context.io.stderr.write(`WARNING: ${message}\n`);
      },
    });
    reporter.finish();
    const failure = reportFailures(context, result, pushing ? 'upload' : 'download');
    if (failure) {
      const code = pushing ? 'UPLOAD_FAILED' : 'DOWNLOAD_FAILED';
      return { code: failWith(context, doing, new TvcError(code, failure)) };
    }
    return { code: 0, result };
  } catch (error) {
    reporter.finish();
    return { code: failWith(context, doing, error) };
  }
}
