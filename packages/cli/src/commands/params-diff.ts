import path from 'node:path';
import {
  findUp,
  GitRevisionReader,
  gatherParams,
  loadConfig,
  notAGitRepository,
  type Tvc,
  withRevisionTvc,
} from '@tvc/core';
import {
  diffParams,
  hasParamsErrors,
  type ParamsRevisionResult,
  paramsDiffJson,
  paramsDiffRows,
  pythonJsonDumps,
} from '@tvc/params';
import { openTvc } from '@tvc/preset-default';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { renderTable } from '../render/table';

export interface ParamsDiffOptions {
  readonly all?: boolean;
  readonly deps?: boolean;
  readonly json?: boolean;
  readonly md?: boolean;
  readonly path?: boolean;
  readonly targets?: readonly string[];
}

export const WORKSPACE = 'workspace';

/** The repository to compare: the DVC root (or, as DVC allows, a git work tree without one). */
export async function openForRevisions(context: CommandContext): Promise<{ tvc: Tvc; gitRoot: string }> {
  const cwd = context.io.cwd;
  const dvcRoot = findUp(cwd, '.dvc');
  const gitRoot = findUp(dvcRoot ?? cwd, '.git');
  if (!gitRoot) throw notAGitRepository();
  const tvc = dvcRoot ? await context.tvc() : await openTvc({ cwd, root: gitRoot });
  return { tvc, gitRoot };
}

/**
 * Gathers the params of each revision (`workspace` is the working tree), reading git revisions
 * through one {@link GitRevisionReader}. A revision that does not load is a result with an error.
 */
export async function gatherRevisions(
  tvc: Tvc,
  gitRoot: string,
  revs: readonly string[],
  gather: (
    tvc: Tvc,
    beforeRead?: (files: readonly string[]) => Promise<unknown>,
  ) => Promise<ParamsRevisionResult>,
): Promise<Map<string, ParamsRevisionResult>> {
  const reader = new GitRevisionReader(gitRoot);
  try {
    for (const rev of revs) if (rev !== WORKSPACE) await reader.resolve(rev);
    const config = await loadConfig(tvc.root);
    const results = await Promise.all(
      revs.map(async (rev): Promise<ParamsRevisionResult> => {
        if (rev === WORKSPACE) return gather(tvc);
        try {
          return await withRevisionTvc(
            tvc,
            reader,
            rev,
            (location) => openTvc({ ...location, config }),
            (snapshotTvc, snapshot) => gather(snapshotTvc, (files) => snapshot.materialise(files)),
          );
        } catch (error) {
          return { files: {}, error: error instanceof Error ? error : new Error(String(error)) };
        }
      }),
    );
    return new Map(revs.map((rev, index) => [rev, results[index]!]));
  } finally {
    await reader.close();
  }
}

async function hasCommits(gitRoot: string): Promise<boolean> {
  const { simpleGit } = await import('simple-git');
  try {
    // simple-git does not throw when git fails silently: look at the output.
    return (await simpleGit(gitRoot).raw(['rev-parse', '--verify', '--quiet', 'HEAD'])).trim() !== '';
  } catch {
    return false;
  }
}

/** Reports revisions that failed to load, as DVC does on stderr. */
export function reportRevisionErrors(
  context: CommandContext,
  results: ReadonlyMap<string, ParamsRevisionResult>,
): void {
  const failed: string[] = [];
  for (const [rev, result] of results) {
    if (result.error) {
      context.io.stderr.write(
        `WARNING: failed to load params in revision '${rev}', ${result.error.message}\n`,
      );
    }
    if (context.verbose) {
      for (const [file, fileResult] of Object.entries(result.files)) {
        if (fileResult.error)
          context.io.stderr.write(`WARNING: ${rev}: ${file}: ${fileResult.error.message}\n`);
      }
    }
    if (hasParamsErrors(result)) failed.push(rev);
  }
  if (failed.length > 0) {
    context.io.stderr.write(`failed to load some params for following revisions: '${failed.join(', ')}'.\n`);
  }
}

/**
 * `tvc params diff [a_rev] [b_rev]`: the params that differ between two revisions (HEAD and the
 * workspace by default), in DVC's table, `--md` or `--json`.
 */
export default async function paramsDiff(
  context: CommandContext,
  aRev: string | undefined,
  bRev: string | undefined,
  options: ParamsDiffOptions,
): Promise<number> {
  const older = aRev ?? 'HEAD';
  const newer = bRev ?? WORKSPACE;
  const { tvc, gitRoot } = await openForRevisions(context);
  const cwd = context.io.cwd;
  let diff = new Map() as ReturnType<typeof diffParams>;
  if (await hasCommits(gitRoot)) {
    const targets = options.targets?.map((target) =>
      path.relative(tvc.root, path.resolve(cwd, target)).split(path.sep).join('/'),
    );
    const revs = [...new Set([older, newer])];
    const results = await gatherRevisions(tvc, gitRoot, revs, (revisionTvc, beforeRead) =>
      gatherParams(revisionTvc, {
        depsOnly: options.deps === true,
        ...(targets && targets.length > 0 ? { targets } : {}),
        ...(beforeRead ? { beforeRead } : {}),
      }),
    );
    reportRevisionErrors(context, results);
    diff = diffParams(results.get(older)!, results.get(newer)!, { all: options.all === true });
  }
  // Paths as DVC prints them: relative to where the user is.
  const shown = new Map(
    [...diff].map(([file, changes]) => [
      path.relative(cwd, path.join(tvc.root, file)).split(path.sep).join('/'),
      changes,
    ]),
  );
  if (options.json) {
    writeLine(context.io.stdout, pythonJsonDumps(paramsDiffJson(shown)));
    return 0;
  }
  const rows = paramsDiffRows(shown);
  if (rows.length === 0 && !options.md) return 0;
  const withPath = options.path !== false;
  const headers = [...(withPath ? ['Path'] : []), 'Param', older, newer];
  const cells = rows.map((row) => [...(withPath ? [row.path] : []), row.key, row.old, row.new]);
  const table = renderTable(headers, cells, { markdown: options.md === true });
  writeLine(context.io.stdout, options.md ? `${table}\n` : table);
  return 0;
}
