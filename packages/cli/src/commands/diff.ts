import { type DataDiff, diffData, isEmptyDiff } from '@tvc/data';
import { pythonJsonDumps } from '@tvc/params';
import { openTvc } from '@tvc/preset-default';
import type { CommandContext } from '../context';
import { writeLine } from '../io';
import { renderTable } from '../render/table';

export interface DiffCommandOptions {
  readonly targets?: readonly string[];
  readonly json?: boolean;
  readonly md?: boolean;
  readonly hideMissing?: boolean;
  readonly showHash?: boolean;
}

type Entries = {
  path: string | { old: string; new: string };
  hash: string | { old: string; new: string };
}[];

/** DVC's short hash: 8 digits, `old..new` for a modification. */
function digest(hash: Entries[number]['hash']): string {
  return typeof hash === 'string' ? hash.slice(0, 8) : `${hash.old.slice(0, 8)}..${hash.new.slice(0, 8)}`;
}

/** DVC's states in its order, with their JSON names. */
function states(diff: DataDiff, hideMissing: boolean): [string, Entries][] {
  const result: [string, Entries][] = [
    ['added', diff.added],
    ['deleted', diff.deleted],
    ['modified', diff.modified],
    ['renamed', diff.renamed],
  ];
  if (!hideMissing && diff.notInCache) result.push(['not in cache', diff.notInCache]);
  return result;
}

function shownPath(entry: Entries[number]): string {
  return typeof entry.path === 'string' ? entry.path : `${entry.path.old} -> ${entry.path.new}`;
}

/**
 * `tvc diff [a_rev] [b_rev]`: data files added, deleted, renamed and modified between two
 * revisions (HEAD and the workspace by default), printed as `dvc diff` prints them: blocks per
 * state and a `files summary` line (directories, shown with a trailing `/`, not counted), `--json`
 * or a `--md` table.
 */
export default async function diff(
  context: CommandContext,
  aRev: string | undefined,
  bRev: string | undefined,
  options: DiffCommandOptions,
): Promise<number> {
  const tvc = await context.tvc();
  const result = await diffData(tvc, {
    ...(aRev !== undefined ? { aRev } : {}),
    ...(bRev !== undefined ? { bRev } : {}),
    ...(options.targets ? { targets: options.targets } : {}),
    openSnapshot: (location) => openTvc(location),
  });
  const hideMissing = bRev !== undefined || options.hideMissing === true;
  const shown = isEmptyDiff(result) ? [] : states(result, hideMissing);
  const out = context.io.stdout;
  if (options.json) {
    const json = Object.fromEntries(
      shown.map(([state, entries]) => [
        state,
        entries.map((entry) =>
          options.showHash ? { path: entry.path, hash: entry.hash } : { path: entry.path },
        ),
      ]),
    );
    writeLine(out, pythonJsonDumps(json));
    return 0;
  }
  // DVC's order for display: renamed before modified.
  const order = ['added', 'deleted', 'renamed', 'modified', 'not in cache'];
  const displayed = shown
    .filter(([state]) => state !== 'not in cache' || !hideMissing)
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  if (options.md) {
    const rows = displayed.flatMap(([state, entries]) =>
      entries.map((entry) =>
        options.showHash ? [state, digest(entry.hash), shownPath(entry)] : [state, shownPath(entry)],
      ),
    );
    const headers = options.showHash ? ['Status', 'Hash', 'Path'] : ['Status', 'Path'];
    writeLine(out, `${renderTable(headers, rows, { markdown: true })}\n`);
    return 0;
  }
  const summary: string[] = [];
  for (const [state, entries] of displayed) {
    if (entries.length === 0) continue;
    writeLine(out, `${state.charAt(0).toUpperCase()}${state.slice(1)}:`);
    for (const entry of entries)
      writeLine(out, `    ${options.showHash ? `${digest(entry.hash)}  ` : ''}${shownPath(entry)}`);
    writeLine(out, '');
    const files = entries.filter((entry) => !shownPath(entry).endsWith('/')).length;
    if (files > 0) summary.push(`${files} ${state}`);
  }
  if (summary.length > 0) writeLine(out, `files summary: ${summary.join(', ')}`);
  return 0;
}
