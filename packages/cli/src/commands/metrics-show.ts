import path from 'node:path';
import { findUp, GitRevisionReader, gatherMetrics, MetricsReadError, type Tvc } from '@tvc/core';
import {
  comparePythonStrings,
  formatMetricValue,
  isParamsMapping,
  type ParamsRevisionResult,
  pythonJsonDumps,
  pythonStringRepr,
  sameParams,
} from '@tvc/params';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { renderTable } from '../render/table';
import { gatherRevisions, openForRevisions, WORKSPACE } from './params-diff';

export interface MetricsShowOptions {
  readonly allBranches?: boolean;
  readonly allTags?: boolean;
  readonly allCommits?: boolean;
  readonly json?: boolean;
  readonly md?: boolean;
  readonly recursive?: boolean;
  readonly precision?: string;
}

/** DVC's default `--precision`: floats rounded to 5 decimal places. */
export const DEFAULT_PRECISION = 5;

/** `--precision n` as DVC takes it (`args.precision or 5`: 0 means the default). */
export function parsePrecision(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PRECISION;
  const value = Number.parseInt(text, 10);
  if (!/^\s*[-+]?\d+\s*$/.test(text) || Number.isNaN(value)) {
    throw new Error(`argument --precision: invalid int value: '${text}'`);
  }
  return value || DEFAULT_PRECISION;
}

async function gitLines(gitRoot: string, args: string[]): Promise<string[]> {
  const { simpleGit } = await import('simple-git');
  const output = await simpleGit(gitRoot)
    .raw(args)
    .catch(() => '');
  return output.split('\n').filter(Boolean);
}

/**
 * DVC's brancher: `workspace`, then the revisions named (branches, tags or every commit), grouped
 * by commit with their names joined by `,` (`main,v1`); every commit is named by its sha.
 */
export async function revisionGroups(
  gitRoot: string,
  revs: readonly string[],
  flags: { allBranches?: boolean; allTags?: boolean; allCommits?: boolean },
): Promise<{ name: string; commit: string }[]> {
  // As DVC: a revision named twice is read once, under its name.
  const names = [...new Set(revs.filter((rev) => rev !== WORKSPACE))];
  if (flags.allCommits) {
    // dulwich's date-ordered walk from HEAD, branches, remotes and tags: newest first, and
    // commits of the same second by sha.
    const commits = (
      await gitLines(gitRoot, ['log', '--format=%H %ct', 'HEAD', '--branches', '--remotes', '--tags'])
    )
      .map((line) => line.split(' ') as [string, string])
      .sort(
        ([shaA, timeA], [shaB, timeB]) =>
          Number(timeB) - Number(timeA) || (shaA < shaB ? -1 : shaA > shaB ? 1 : 0),
      );
    names.push(...commits.map(([sha]) => sha));
  } else {
    if (flags.allBranches) {
      names.push(...(await gitLines(gitRoot, ['for-each-ref', '--format=%(refname:short)', 'refs/heads'])));
    }
    if (flags.allTags) {
      names.push(...(await gitLines(gitRoot, ['for-each-ref', '--format=%(refname:short)', 'refs/tags'])));
    }
  }
  const reader = new GitRevisionReader(gitRoot);
  try {
    const groups = new Map<string, string[]>();
    for (const name of names) {
      const commit = await reader.resolve(name);
      const group = groups.get(commit) ?? [];
      group.push(name);
      groups.set(commit, group);
    }
    return [...groups].map(([commit, group]) => ({ name: group.join(','), commit }));
  } finally {
    await reader.close();
  }
}

/**
 * The metrics of the workspace and of git revisions (keyed by DVC's revision names; `''` when
 * only the workspace is read), each revision read through a snapshot whose cached outputs come
 * from the live repository's cache.
 */
export async function gatherMetricsRevisions(
  context: CommandContext,
  tvc: Tvc,
  gitRoot: string | undefined,
  groups: readonly { name: string; commit: string }[],
  targets: readonly string[] | undefined,
  workspaceName: string,
): Promise<Map<string, ParamsRevisionResult>> {
  const cwd = context.io.cwd;
  const shas = groups.map((group) => group.commit);
  const gather = (revisionTvc: Tvc, beforeRead?: (files: readonly string[]) => Promise<unknown>) =>
    gatherMetrics(revisionTvc, {
      ...(targets && targets.length > 0 ? { targets } : {}),
      ...(beforeRead ? { beforeRead } : {}),
      cacheRoot: tvc.root,
      cwd,
    });
  const results = gitRoot
    ? await gatherRevisions(tvc, gitRoot, [WORKSPACE, ...shas], gather)
    : new Map([[WORKSPACE, await gather(tvc)]]);
  const named = new Map<string, ParamsRevisionResult>();
  named.set(workspaceName, results.get(WORKSPACE)!);
  for (const group of groups) named.set(group.name, results.get(group.commit)!);
  return named;
}

/** Targets as DVC takes them: relative to the cwd, made relative to the DVC root (posix). */
export function repoTargets(
  context: CommandContext,
  tvc: Tvc,
  targets: readonly string[] | undefined,
): string[] {
  return (targets ?? []).map((target) =>
    path.relative(tvc.root, path.resolve(context.io.cwd, target)).split(path.sep).join('/'),
  );
}

/** DVC's `encode_exception`: `{"type": <Python exception name>, "msg": <message>}`. */
export function encodeError(error: Error): { type: string; msg: string } {
  return { type: error instanceof MetricsReadError ? error.type : error.name || 'Error', msg: error.message };
}

export function hasMetricsErrors(result: ParamsRevisionResult): boolean {
  return result.error !== undefined || Object.values(result.files).some((file) => file.error !== undefined);
}

/** `failed to load metrics in revision 'x', …` for revisions whose pipeline did not load. */
export function warnRevisionErrors(
  context: CommandContext,
  results: ReadonlyMap<string, ParamsRevisionResult>,
): void {
  for (const [rev, result] of results) {
    if (result.error) {
      context.io.stderr.write(
        `WARNING: failed to load metrics in revision ${pythonStringRepr(rev)}, ${result.error.message}\n`,
      );
    }
  }
}

/** DVC's `_hide_workspace`: equal results (and no errors, which never compare equal). */
function sameResult(a: ParamsRevisionResult, b: ParamsRevisionResult): boolean {
  if (hasMetricsErrors(a) || hasMetricsErrors(b)) return false;
  const files = Object.keys(a.files);
  if (files.length !== Object.keys(b.files).length) return false;
  return files.every((file) => {
    const right = b.files[file];
    return right !== undefined && sameParams(a.files[file]?.data as never, right.data as never);
  });
}

/** DVC's `flatten(format_dict(metric))`: nested keys joined by `.`; a bare value under `''`. */
function flattenMetrics(data: unknown): Map<string, unknown> {
  const flat = new Map<string, unknown>();
  if (!isParamsMapping(data)) {
    flat.set('', data);
    return flat;
  }
  const visit = (node: Readonly<Record<string, unknown>>, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const full = prefix ? `${prefix}.${key}` : key;
      if (isParamsMapping(value)) visit(value, full);
      else flat.set(full, value);
    }
  };
  visit(data, '');
  return flat;
}

/**
 * `tvc metrics show [targets...]`: the metrics of the workspace (and, with `-a`/`-T`/`-A`, of
 * branches, tags or every commit) as DVC prints them: a row per metrics file, a column per
 * metric, floats rounded to `--precision` places, `-` where a file has no such metric.
 */
export default async function metricsShow(
  context: CommandContext,
  targets: string[],
  options: MetricsShowOptions,
): Promise<number> {
  const precision = parsePrecision(options.precision);
  // Unlike the diffs, DVC shows the workspace's metrics without git too (`core.no_scm`).
  const { tvc, gitRoot } = await openForRevisions(context).catch(async (error: unknown) => {
    if ((error as { code?: unknown }).code !== 'NOT_A_GIT_REPO' || !findUp(context.io.cwd, '.dvc'))
      throw error;
    return { tvc: await context.tvc(), gitRoot: undefined };
  });
  const withRevisions = options.allBranches || options.allTags || options.allCommits;
  const groups = withRevisions && gitRoot ? await revisionGroups(gitRoot, [], options) : [];
  const results = await gatherMetricsRevisions(
    context,
    tvc,
    gitRoot,
    groups,
    repoTargets(context, tvc, targets),
    withRevisions ? WORKSPACE : '',
  );
  if (withRevisions && gitRoot) {
    const { simpleGit } = await import('simple-git');
    const active = (
      await simpleGit(gitRoot)
        .raw(['symbolic-ref', '--quiet', '--short', 'HEAD'])
        .catch(() => '')
    ).trim();
    const activeResult = active ? results.get(active) : undefined;
    if (activeResult && sameResult(results.get(WORKSPACE)!, activeResult)) results.delete(WORKSPACE);
  }
  warnRevisionErrors(context, results);
  const errored = [...results].filter(([, result]) => hasMetricsErrors(result)).map(([rev]) => rev);
  if (errored.length > 0) {
    context.io.stderr.write(
      `tvc failed to load some metrics for following revisions: '${errored.join(', ')}'.\n`,
    );
  }
  const shownPath = (file: string): string =>
    path.relative(context.io.cwd, path.join(tvc.root, file)).split(path.sep).join('/');
  if (options.json) {
    const json: Record<string, unknown> = {};
    for (const [rev, result] of results) {
      if (result.error) {
        json[rev] = { error: encodeError(result.error) };
        continue;
      }
      const data: Record<string, unknown> = {};
      for (const [file, fileResult] of Object.entries(result.files)) {
        data[shownPath(file)] = fileResult.error
          ? { error: encodeError(fileResult.error) }
          : { data: fileResult.data };
      }
      json[rev] = { data };
    }
    writeLine(context.io.stdout, pythonJsonDumps(json));
    return 0;
  }
  const columns: string[] = [];
  const known = new Set<string>();
  const rows: { rev: string; file: string; values: Map<string, string> }[] = [];
  for (const [rev, result] of results) {
    for (const [file, fileResult] of Object.entries(result.files)) {
      const values = new Map<string, string>();
      for (const [key, value] of flattenMetrics(fileResult.error ? {} : fileResult.data)) {
        if (!known.has(key)) {
          known.add(key);
          columns.push(key);
        }
        values.set(key, value === null || value === undefined ? '-' : formatMetricValue(value, precision));
      }
      rows.push({ rev, file: shownPath(file), values });
    }
  }
  const metricColumns = [...columns].sort(comparePythonStrings);
  const headers = [...(withRevisions ? ['Revision'] : []), 'Path', ...metricColumns];
  const cells = rows.map((row) => [
    ...(withRevisions ? [row.rev] : []),
    row.file,
    ...metricColumns.map((key) => row.values.get(key) ?? '-'),
  ]);
  if (cells.length === 0 && !options.md) return 0;
  const table = renderTable(headers, cells, { markdown: options.md === true });
  writeLine(context.io.stdout, options.md ? `${table}\n` : table);
  return 0;
}
