import { loadConfig, notAGitRepository, TvcError } from '@tvc/core';
import {
  type ColorSystem,
  collectExperiments,
  DEFAULT_PRECISION,
  renderCsv,
  renderRichTable,
  shapeTable,
  tabulateExperiments,
} from '@tvc/experiments';
import { pythonJsonDumps } from '@tvc/params';
import { openTvc } from '@tvc/preset-default';
import type { CommandContext } from '../context';
import { write } from '../io';
import { findPager, page } from '../pager';
import { displayWidth, renderTable } from '../render/table';

export interface ExpShowOptions {
  readonly allBranches?: boolean;
  readonly allTags?: boolean;
  readonly allCommits?: boolean;
  readonly rev?: readonly string[];
  readonly num?: string;
  readonly onlyChanged?: boolean;
  readonly drop?: readonly string[];
  readonly keep?: readonly string[];
  readonly paramDeps?: boolean;
  readonly sortBy?: string;
  readonly sortOrder?: 'asc' | 'desc';
  readonly sha?: boolean;
  readonly hideWorkspace?: boolean;
  readonly hideQueued?: boolean;
  readonly hideFailed?: boolean;
  readonly json?: boolean;
  readonly csv?: boolean;
  readonly md?: boolean;
  readonly precision?: string;
  /** `--no-pager` gives `false`. */
  readonly pager?: boolean;
}

/**
 * How DVC's rich console would print on this output when the table is not paged: fitted to the
 * terminal's width on a terminal (with `--no-pager`, or when there is no pager to run) or with
 * `--no-pager` (`COLUMNS`, else 80, as rich's console width when piped); styles only on a
 * terminal whose TERM is not `dumb`, colours not under `NO_COLOR`.
 */
export function terminalLayout(
  io: CommandContext['io'],
  noPager: boolean,
): { maxWidth?: number; color?: ColorSystem } {
  const env = io.env;
  const columns = env.COLUMNS && /^\d+$/.test(env.COLUMNS) ? Number(env.COLUMNS) : undefined;
  const fit = io.isTTY || noPager;
  const maxWidth = fit ? (columns ?? (io.isTTY ? io.columns : undefined) ?? 80) : undefined;
  const term = (env.TERM ?? '').trim().toLowerCase();
  let color: ColorSystem | undefined;
  if (io.isTTY && term !== 'dumb' && term !== 'unknown') {
    const colorTerm = (env.COLORTERM ?? '').trim().toLowerCase();
    const depth = term.slice(term.lastIndexOf('-') + 1);
    color =
      (env.NO_COLOR ?? '') !== ''
        ? 'none'
        : colorTerm === 'truecolor' || colorTerm === '24bit' || depth === '256color' || depth === 'kitty'
          ? '256'
          : 'standard';
  }
  return { ...(maxWidth === undefined ? {} : { maxWidth }), ...(color ? { color } : {}) };
}

function integer(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) {
    throw new TvcError('USAGE', `argument ${option}: invalid int value: '${value}'`);
  }
  return Number(value);
}

/**
 * Runs `collect`; a user error (an unknown revision) is reported as DVC's commands do, `ERROR:
 * failed to <what> - <message>`, and gives `undefined` (the command then exits with 1, as DVC).
 */
export async function failedTo<T>(
  context: CommandContext,
  what: string,
  collect: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await collect();
  } catch (error) {
    if (!(error instanceof TvcError)) throw error;
    context.io.stderr.write(`ERROR: failed to ${what} - ${error.message}\n`);
    return undefined;
  }
}

/**
 * `tvc exp show`: the workspace, the baseline(s) and their experiments with metrics, params and
 * deps hashes, in DVC's table (or `--json`, `--csv`, `--md`).
 */
export default async function expShow(context: CommandContext, options: ExpShowOptions): Promise<number> {
  const tvc = await context.tvc();
  if (!tvc.scmRoot) throw notAGitRepository();
  const num = integer(options.num, '-n/--num') ?? 1;
  const precision = integer(options.precision, '--precision');
  const config = await loadConfig(tvc.root);
  const states = await failedTo(context, 'show experiments', () =>
    collectExperiments(tvc, {
      ...(options.rev && options.rev.length > 0 ? { revs: options.rev } : {}),
      num,
      allBranches: options.allBranches === true,
      allTags: options.allTags === true,
      allCommits: options.allCommits === true,
      hideWorkspace: options.hideWorkspace === true,
      hideQueued: options.hideQueued === true,
      hideFailed: options.hideFailed === true,
      shaOnly: options.sha === true,
      paramDeps: options.paramDeps === true,
      openSnapshot: (location) => openTvc({ ...location, config }),
    }),
  );
  if (states === undefined) return 1;
  const stdout = context.io.stdout;
  if (options.json) {
    write(stdout, `${pythonJsonDumps(states)}\n`);
    return 0;
  }
  const csv = options.csv === true;
  const fillValue = csv ? '' : '-';
  let table: ReturnType<typeof tabulateExperiments>;
  try {
    table = tabulateExperiments(states, {
      // As DVC: --precision counts in CSV only; the table always rounds to 5 digits.
      precision: csv ? precision || undefined : DEFAULT_PRECISION,
      fillValue,
      iso: csv,
      sortBy: options.sortBy,
      sortOrder: options.sortOrder,
    });
  } catch (error) {
    throw new TvcError('EXP_SHOW', (error as Error).message, { cause: error });
  }
  const shown = shapeTable(table, {
    keep: options.keep ?? [],
    drop: options.drop ?? [],
    onlyChanged: options.onlyChanged === true,
    csv,
    fillValue,
  });
  if (csv) {
    write(stdout, renderCsv(shown.headers, shown.rows));
  } else if (options.md) {
    write(stdout, `${renderTable(shown.headers, shown.rows, { markdown: true })}\n\n`);
  } else if (shown.rows.length > 0) {
    const io = context.io;
    const pager = options.pager === false ? undefined : findPager(io);
    const { maxWidth, color } = terminalLayout(io, options.pager === false);
    if (pager !== undefined) {
      // As DVC: the full-width table, styled, scrolled sideways in the pager (`less -S`).
      const text = renderRichTable(shown, { width: displayWidth, ...(color ? { color } : {}) });
      if (await page(text, pager, io)) return 0;
    }
    write(
      stdout,
      renderRichTable(shown, {
        width: displayWidth,
        ...(maxWidth === undefined ? {} : { maxWidth }),
        ...(color ? { color } : {}),
        // Fitted to a terminal, the width goes to the columns that vary (not DVC's order);
        // piped with --no-pager, DVC's layout byte for byte.
        squeezeConstantFirst: io.isTTY,
      }),
    );
  }
  return 0;
}
