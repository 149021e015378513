import path from 'node:path';
import { gatherParams, type Tvc } from '@tvc/core';
import {
  comparePythonStrings,
  flattenForDiff,
  isParamsMapping,
  type ParamsRevisionResult,
  pythonJsonDumps,
  pythonStr,
  sameParams,
} from '@tvc/params';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { renderTable } from '../render/table';
import { gatherRevisions, openForRevisions, reportRevisionErrors, WORKSPACE } from './params-diff';

export interface ParamsShowOptions {
  readonly allBranches?: boolean;
  readonly deps?: boolean;
  readonly json?: boolean;
  readonly md?: boolean;
  readonly targets?: readonly string[];
}

async function branches(gitRoot: string): Promise<{ names: string[]; active: string | undefined }> {
  const { simpleGit } = await import('simple-git');
  const git = simpleGit(gitRoot);
  const names = (await git.raw(['for-each-ref', '--format=%(refname:short)', 'refs/heads']))
    .split('\n')
    .filter(Boolean);
  const active = (await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim();
  return { names, active: active || undefined };
}

function sameRevision(a: ParamsRevisionResult, b: ParamsRevisionResult): boolean {
  if (a.error || b.error) return false;
  const files = Object.keys(a.files);
  if (files.length !== Object.keys(b.files).length) return false;
  return files.every((file) => {
    const left = a.files[file];
    const right = b.files[file];
    if (!right || left?.error || right.error) return false;
    return sameParams(left?.data as never, right.data as never);
  });
}

const jsonSafe = (value: unknown): unknown => {
  if (value instanceof Date) return pythonStr(value);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (isParamsMapping(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
};

/**
 * `tvc params show [revs...]`: the params of the workspace (and of the revisions named, or every
 * branch with `-a`): a row per param, a column per revision, as `params diff --all` lays them out.
 * DVC 3's CLI has no `params show`; the JSON has the shape of DVC's `repo.params.show()` API.
 */
export default async function paramsShow(
  context: CommandContext,
  revisions: string[],
  options: ParamsShowOptions,
): Promise<number> {
  const { tvc, gitRoot } = await openForRevisions(context);
  const cwd = context.io.cwd;
  let revs = [WORKSPACE, ...revisions];
  let hideWorkspaceLike: string | undefined;
  if (options.allBranches) {
    const { names, active } = await branches(gitRoot);
    revs = [WORKSPACE, ...names, ...revisions];
    hideWorkspaceLike = active;
  }
  revs = [...new Set(revs)];
  const targets = options.targets?.map((target) =>
    path.relative(tvc.root, path.resolve(cwd, target)).split(path.sep).join('/'),
  );
  const results = await gatherRevisions(tvc, gitRoot, revs, (revisionTvc: Tvc, beforeRead) =>
    gatherParams(revisionTvc, {
      depsOnly: options.deps === true,
      ...(targets && targets.length > 0 ? { targets } : {}),
      ...(beforeRead ? { beforeRead } : {}),
    }),
  );
  // As DVC: the workspace is not repeated when it holds what the active branch holds.
  const activeResult = hideWorkspaceLike ? results.get(hideWorkspaceLike) : undefined;
  if (activeResult && sameRevision(results.get(WORKSPACE)!, activeResult)) results.delete(WORKSPACE);
  reportRevisionErrors(context, results);
  const shownPath = (file: string): string =>
    path.relative(cwd, path.join(tvc.root, file)).split(path.sep).join('/');
  if (options.json) {
    const json: Record<string, unknown> = {};
    for (const [rev, result] of results) {
      if (result.error) {
        json[rev] = { error: result.error.message };
        continue;
      }
      const data: Record<string, unknown> = {};
      for (const file of Object.keys(result.files).sort()) {
        const fileResult = result.files[file]!;
        data[shownPath(file)] = fileResult.error
          ? { error: fileResult.error.message }
          : { data: jsonSafe(fileResult.data) };
      }
      json[rev] = { data };
    }
    writeLine(context.io.stdout, pythonJsonDumps(json));
    return 0;
  }
  // One row per param, one column per revision: the layout of `params diff --all`.
  const values = new Map<string, Map<string, string>>();
  for (const [rev, result] of results) {
    for (const [file, fileResult] of Object.entries(result.files)) {
      const data = fileResult.data;
      if (!isParamsMapping(data)) continue;
      for (const [key, value] of flattenForDiff(data)) {
        const id = `${file}\0${key}`;
        if (!values.has(id)) values.set(id, new Map());
        values.get(id)!.set(rev, value === null ? '-' : pythonStr(value));
      }
    }
  }
  const ids = [...values.keys()].sort(comparePythonStrings);
  const rows = ids.map((id) => {
    const [file, key] = id.split('\0') as [string, string];
    return [shownPath(file), key, ...[...results.keys()].map((rev) => values.get(id)!.get(rev) ?? '-')];
  });
  if (rows.length === 0 && !options.md) return 0;
  const table = renderTable(['Path', 'Param', ...results.keys()], rows, { markdown: options.md === true });
  writeLine(context.io.stdout, options.md ? `${table}\n` : table);
  return 0;
}
