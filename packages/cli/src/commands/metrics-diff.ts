import path from 'node:path';
import { diffParams, formatMetricValue, type ParamsDiff, paramsDiffJson, pythonJsonDumps } from '@tvc/params';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { renderTable } from '../render/table';
import {
  gatherMetricsRevisions,
  hasMetricsErrors,
  parsePrecision,
  repoTargets,
  revisionGroups,
  warnRevisionErrors,
} from './metrics-show';
import { openForRevisions, WORKSPACE } from './params-diff';

export interface MetricsDiffOptions {
  readonly targets?: readonly string[];
  readonly recursive?: boolean;
  readonly all?: boolean;
  readonly json?: boolean;
  readonly md?: boolean;
  readonly path?: boolean;
  readonly precision?: string;
}

async function hasCommits(gitRoot: string): Promise<boolean> {
  const { simpleGit } = await import('simple-git');
  const head = await simpleGit(gitRoot)
    .raw(['rev-parse', '--verify', '--quiet', 'HEAD'])
    .catch(() => '');
  return head.trim() !== '';
}

/**
 * `tvc metrics diff [a_rev] [b_rev]`: the metrics that differ between two revisions (HEAD and the
 * workspace by default), with the `Change` (`new - old` for numbers), as DVC computes it with the
 * same code as `params diff`.
 */
export default async function metricsDiff(
  context: CommandContext,
  aRev: string | undefined,
  bRev: string | undefined,
  options: MetricsDiffOptions,
): Promise<number> {
  const precision = parsePrecision(options.precision);
  const older = aRev ?? 'HEAD';
  const newer = bRev ?? WORKSPACE;
  const { tvc, gitRoot } = await openForRevisions(context);
  let diff: ParamsDiff = new Map();
  if (await hasCommits(gitRoot)) {
    // As DVC's brancher: the workspace always, then the revisions grouped by commit.
    const groups = await revisionGroups(gitRoot, [older, newer], {});
    const results = await gatherMetricsRevisions(
      context,
      tvc,
      gitRoot,
      groups,
      repoTargets(context, tvc, options.targets),
      WORKSPACE,
    );
    const empty = { files: {} };
    const oldResult = results.get(older) ?? empty;
    const newResult = results.get(newer) ?? empty;
    warnRevisionErrors(context, results);
    const errored = [
      ...new Set([older, newer].filter((rev) => results.has(rev) && hasMetricsErrors(results.get(rev)!))),
    ];
    if (errored.length > 0) {
      context.io.stderr.write(
        `tvc failed to load some metrics for following revisions: '${errored.join(', ')}'.\n`,
      );
    }
    diff = diffParams(oldResult, newResult, { all: options.all === true });
  }
  const shown = new Map(
    [...diff].map(([file, changes]) => [
      path.relative(context.io.cwd, path.join(tvc.root, file)).split(path.sep).join('/'),
      changes,
    ]),
  );
  if (options.json) {
    writeLine(context.io.stdout, pythonJsonDumps(paramsDiffJson(shown)));
    return 0;
  }
  const withPath = options.path !== false;
  const cell = (value: unknown): string =>
    value === null || value === undefined ? '-' : formatMetricValue(value, precision);
  const rows: string[][] = [];
  for (const [file, changes] of shown) {
    for (const [key, change] of changes) {
      rows.push([...(withPath ? [file] : []), key, cell(change.old), cell(change.new), cell(change.diff)]);
    }
  }
  if (rows.length === 0 && !options.md) return 0;
  const headers = [...(withPath ? ['Path'] : []), 'Metric', older, newer, 'Change'];
  const table = renderTable(headers, rows, { markdown: options.md === true });
  writeLine(context.io.stdout, options.md ? `${table}\n` : table);
  return 0;
}
