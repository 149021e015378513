import { loadConfig, notAGitRepository, TvcError } from '@tvc/core';
import {
  collectExperiments,
  DEFAULT_PRECISION,
  diffExperiments,
  diffRows,
  type ExpData,
  resolveExperimentRev,
} from '@tvc/experiments';
import { pythonJsonDumps } from '@tvc/params';
import { openTvc } from '@tvc/preset-default';
import type { CommandContext } from '../context';
import { write } from '../io';
import { renderTable } from '../render/table';
import { failedTo } from './exp-show';

export interface ExpDiffOptions {
  readonly all?: boolean;
  readonly paramDeps?: boolean;
  readonly json?: boolean;
  readonly md?: boolean;
  readonly path?: boolean;
  readonly precision?: string;
}

/**
 * `tvc exp diff [a_rev] [b_rev]`: the metrics and params that differ between two experiments or
 * revisions (HEAD and the workspace by default), in DVC's two tables, `--md` or `--json`.
 */
export default async function expDiff(
  context: CommandContext,
  aRev: string | undefined,
  bRev: string | undefined,
  options: ExpDiffOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const gitRoot = tvc.scmRoot;
  if (!gitRoot) throw notAGitRepository();
  const resolve = async (rev: string): Promise<string> => {
    const sha = await resolveExperimentRev(gitRoot, rev);
    if (!sha) throw new TvcError('UNKNOWN_REVISION', `unknown Git revision '${rev}'`);
    return sha;
  };
  const config = await loadConfig(tvc.root);
  const states = await failedTo(context, 'show experiments diff', async () => {
    const oldSha = await resolve(aRev ?? 'HEAD');
    const newSha = bRev ? await resolve(bRev) : undefined;
    const collected = await collectExperiments(tvc, {
      revs: newSha ? [oldSha, newSha] : [oldSha],
      hideWorkspace: newSha !== undefined,
      withExperiments: false,
      shaOnly: true,
      paramDeps: options.paramDeps === true,
      paramDepsInBaselines: true,
      openSnapshot: (location) => openTvc({ ...location, config }),
    });
    return { collected, oldSha, newSha };
  });
  if (states === undefined) return 1;
  const { collected, oldSha, newSha } = states;
  const find = (rev: string): ExpData | null => collected.find((state) => state.rev === rev)?.data ?? null;
  const diff = diffExperiments(find(oldSha), find(newSha ?? 'workspace'), options.all === true);
  const stdout = context.io.stdout;
  if (options.json) {
    write(stdout, `${pythonJsonDumps(diff)}\n`);
    return 0;
  }
  const precision =
    options.precision !== undefined && Number(options.precision)
      ? Number(options.precision)
      : DEFAULT_PRECISION;
  const sections: [keyof typeof diff, string][] = [
    ['metrics', 'Metric'],
    ['params', 'Param'],
  ];
  sections.forEach(([key, title], index) => {
    if (index > 0) write(stdout, '\n');
    const rows = diffRows(diff[key], key === 'metrics' ? precision : undefined);
    if (rows.length === 0 && !options.md) return;
    const withPath = options.path !== false;
    const headers = [...(withPath ? ['Path'] : []), title, aRev ?? 'HEAD', bRev ?? 'workspace', 'Change'];
    const cells = rows.map((row) => (withPath ? row : row.slice(1)));
    const table = renderTable(headers, cells, { markdown: options.md === true });
    write(stdout, options.md ? `${table}\n\n` : `${table}\n`);
  });
  return 0;
}
