import { createInterface } from 'node:readline/promises';
import { TvcError } from '@tvc/core';
import {
  type CacheName,
  type GcOptions,
  gcCache,
  gcScopeMessage,
  usedHashes,
  validateGcScope,
} from '@tvc/data';
import type { CommandContext } from '../context';
import { writeLine } from '../io';

export interface GcCommandOptions {
  readonly workspace?: boolean;
  readonly allBranches?: boolean;
  readonly allTags?: boolean;
  readonly allCommits?: boolean;
  readonly allExperiments?: boolean;
  readonly date?: string;
  readonly rev?: string;
  readonly num?: string;
  readonly cloud?: boolean;
  readonly remote?: string;
  readonly notInRemote?: boolean;
  readonly projects?: string[];
  readonly skipFailed?: boolean;
  readonly force?: boolean;
  readonly dry?: boolean;
  readonly jobs?: string;
  readonly quiet?: boolean;
}

function parseNum(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) {
    throw new TvcError('USAGE', `argument ${flag}: invalid int value: '${value}'`);
  }
  return Number(value);
}

/**
 * Asks a yes/no question on the terminal. Without a terminal on stdin there is nobody to ask:
 * `undefined`, and the caller refuses (reading a pipe that never closes would hang).
 */
async function ask(context: CommandContext, question: string): Promise<boolean | undefined> {
  if (process.stdin.isTTY !== true) return undefined;
  const prompt = createInterface({
    input: process.stdin,
    output: context.io.stdout as NodeJS.WritableStream,
  });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/n]: `)).trim());
  } finally {
    prompt.close();
  }
}

/**
 * `tvc gc`: removes the cache objects that the workspace and the revisions named do not use,
 * with `dvc gc`'s flags, warning and messages. Without `-f` it asks first; with nobody to ask
 * (stdin not a terminal) it refuses. With `-c [-r NAME]` the remote's unused objects go too (DVC
 * 3's and DVC 2's layouts, manifests first). With `--not-in-remote [-r NAME]` the used objects
 * the remote already holds go from the cache too. Other projects (`-p`) are not supported yet.
 */
export default async function gc(context: CommandContext, options: GcCommandOptions): Promise<number> {
  const { io } = context;
  if (options.notInRemote && options.cloud) {
    throw new TvcError('INVALID_ARGUMENT', '`--not-in-remote` and `--cloud` are mutually exclusive');
  }
  if (options.projects !== undefined) {
    throw new TvcError(
      'GC_PROJECTS_UNSUPPORTED',
      'tvc gc cannot keep the data of other projects yet (-p/--projects)',
      {
        hint: 'run `tvc gc` without -p; with a shared cache, every project using it must be named, so do not gc a shared cache yet',
      },
    );
  }
  const num = parseNum(options.num, '-n/--num');
  parseNum(options.jobs, '-j/--jobs'); // checked as DVC checks it; used by -c for the remote's removals
  const gcOptions: GcOptions = {
    workspace: options.workspace === true,
    allBranches: options.allBranches === true,
    allTags: options.allTags === true,
    allCommits: options.allCommits === true,
    allExperiments: options.allExperiments === true,
    ...(options.date !== undefined ? { commitDate: options.date } : {}),
    ...(options.rev !== undefined ? { rev: options.rev } : {}),
    ...(num !== undefined ? { num } : {}),
    dry: options.dry === true,
    force: options.force === true,
    skipFailed: options.skipFailed === true,
    notInRemote: options.notInRemote === true,
  };
  validateGcScope(gcOptions);
  // As DVC: the warning (unless -q), the question unless forced or dry.
  if (!options.quiet) writeLine(io.stderr, `WARNING: ${gcScopeMessage(gcOptions)}`);

  const forced = options.force === true || options.dry === true;
  if (!forced) {
    const answer = await ask(context, 'Are you sure you want to proceed?');
    if (answer === undefined) {
      writeLine(
        io.stderr,
        'ERROR: tvc gc will not remove cache objects without a confirmation, and stdin is not a terminal',
      );
      writeLine(io.stderr, '  hint: run it again with -f to proceed, or with --dry to see what would go');
      return 1;
    }
    if (!answer) return 1;
  }
  const tvc = await context.tvc();
  if (options.cloud || options.notInRemote) {
    // As DVC, a remote that is not configured stops the gc before anything is removed.
    const { openRemote } = await import('@tvc/data');
    try {
      await (await openRemote(tvc, options.remote, options.cloud ? 'gc' : 'gc --not-in-remote')).close();
    } catch (error) {
      if (error instanceof TvcError && (error.code === 'NO_REMOTE' || error.code === 'REMOTE_NOT_FOUND')) {
        throw new TvcError('CONFIG_ERROR', error.message, { hint: error.hint });
      }
      throw error;
    }
  }
  const jobs = parseNum(options.jobs, '-j/--jobs');
  const result = await gcCache(tvc, {
    ...gcOptions,
    force: forced,
    ...(options.notInRemote
      ? {
          keep: async (used) =>
            (await import('@tvc/data')).usedNotInRemote(tvc, used, { remote: options.remote, jobs }),
        }
      : {}),
    confirmMissing: async (directory) => {
      const answer = await ask(
        context,
        `Missing cache for directory '${directory.path}'. Cache for files inside will be lost. Would you like to continue? Use '-f' to force.`,
      );
      return answer === true;
    },
  });
  const cloud = options.cloud
    ? await (await import('@tvc/data')).remoteGc(tvc, usedHashes(result.used), {
        remote: options.remote,
        jobs,
        dry: options.dry === true,
      })
    : undefined;
  if (options.quiet) return 0;
  for (const failure of result.used.failed)
    writeLine(io.stderr, `WARNING: Failed to collect '${failure.rev}', skipping`);
  for (const name of ['repo', 'legacy'] as CacheName[]) {
    const removed = result.removed[name];
    if (result.dry) for (const candidate of removed) writeLine(io.stdout, `Removing ${candidate.file}`);
    writeLine(
      io.stdout,
      removed.length > 0
        ? `Removed ${removed.length} objects from ${name} cache.`
        : `No unused '${name}' cache to remove.`,
    );
  }
  // As DVC, the remote's two object databases (DVC 3's and DVC 2's layouts) each say what went.
  for (const keys of cloud ? [cloud.removed.md5, cloud.removed.legacy] : []) {
    if (options.dry)
      for (const key of keys) writeLine(io.stdout, `Removing ${cloud!.url.replace(/\/$/, '')}/${key}`);
    writeLine(
      io.stdout,
      keys.length > 0
        ? `Removed ${keys.length} objects from remote.`
        : 'No unused cache to remove from remote.',
    );
  }
  return 0;
}
