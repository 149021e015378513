import { isParamsMapping, isPythonFloat, pythonStr } from '@tvc/params';
import { flattenMetrics } from './metrics-flatten';
import type { ExpFileResult, ExpState } from './show-collect';

/** DVC's default precision of metrics (`dvc.commands.metrics.DEFAULT_PRECISION`). */
export const DEFAULT_PRECISION = 5;

/** Python's `f"{value:.{precision}g}"`. */
export function formatGeneral(value: number, precision: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const digits = Math.max(precision, 1);
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exponentText] = value.toExponential(digits - 1).split('e') as [string, string];
  const exponent = Number(exponentText);
  const strip = (text: string): string => (text.includes('.') ? text.replace(/\.?0+$/, '') : text);
  if (exponent < -4 || exponent >= digits) {
    const sign = exponent < 0 ? '-' : '+';
    return `${strip(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return strip(value.toFixed(Math.max(0, digits - 1 - exponent)));
}

/** DVC's `_format_field`: floats as `.{precision}g` when a precision is given, everything else as `str()`. */
export function formatField(value: unknown, precision: number | undefined): string {
  const format = (item: unknown): unknown => {
    if (precision) {
      if (isPythonFloat(item)) return formatGeneral(item.value, precision);
      if (typeof item === 'number' && !Number.isInteger(item)) return formatGeneral(item, precision);
    }
    if (Array.isArray(item)) return item.map(format);
    if (isParamsMapping(item))
      return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, format(v)]));
    return item;
  };
  return pythonStr(format(value));
}

/** A sort value of a cell (`undefined` when missing). */
function sortValue(value: unknown): number | string | undefined {
  if (value === null || value === undefined) return undefined;
  if (isPythonFloat(value)) return value.value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'string') return value;
  return String(value);
}

export interface TabulateOptions {
  readonly precision?: number | undefined;
  /** `-` in tables, `` in CSV. */
  readonly fillValue: string;
  readonly errorValue?: string;
  /** Created as ISO (CSV) rather than `01:12 AM` / `Nov 25, 2026`. */
  readonly iso?: boolean;
  readonly sortBy?: string | undefined;
  readonly sortOrder?: 'asc' | 'desc' | undefined;
  /** Today, for the Created column (default: now). */
  readonly now?: Date;
}

export type RowType =
  | 'baseline'
  | 'branch_commit'
  | 'branch_base'
  | 'checkpoint_tip'
  | 'checkpoint_commit'
  | 'checkpoint_base';

/** One row of the table: the experiment's identity and its cells by column. */
export interface ExpRow {
  readonly name: string;
  readonly rev: string;
  readonly typ: RowType;
  readonly cells: Map<string, string>;
}

export interface ExpTable {
  /** Every column, in order: Experiment, rev, typ, Created, parent, State, Executor, metrics, params, deps. */
  readonly columns: string[];
  readonly metricsColumns: string[];
  readonly paramsColumns: string[];
  readonly depsColumns: string[];
  readonly rows: ExpRow[];
}

type Names = Map<string, Map<string, null>>;

function collectNames(states: readonly ExpState[], metrics: Names, params: Names, deps: Set<string>): void {
  const visit = (target: Names, files: Record<string, ExpFileResult>): void => {
    for (const [file, result] of Object.entries(files)) {
      if (!isParamsMapping(result.data)) continue;
      let known = target.get(file);
      if (!known) {
        known = new Map();
        target.set(file, known);
      }
      for (const key of flattenMetrics(result.data, file).keys()) known.set(key, null);
    }
  };
  for (const state of states) {
    if (state.data) {
      visit(metrics, state.data.metrics);
      visit(params, state.data.params);
      for (const dep of Object.keys(state.data.deps)) deps.add(dep);
    }
    for (const range of state.experiments ?? []) collectNames(range.revs, metrics, params, deps);
  }
}

const pad2 = (value: number): string => String(value).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** DVC's `format_time`: `%I:%M %p` today, `%b %d, %Y` otherwise, ISO in CSV. */
export function formatCreated(timestamp: string | null, fillValue: string, iso: boolean, now: Date): string {
  if (!timestamp) return fillValue;
  if (iso) return timestamp;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(timestamp);
  if (!match) return timestamp;
  const [, year, month, day, hour, minute] = match.map(Number) as number[];
  const today = now.getFullYear() === year && now.getMonth() + 1 === month && now.getDate() === day;
  if (today)
    return `${pad2(hour! % 12 === 0 ? 12 : hour! % 12)}:${pad2(minute!)} ${hour! < 12 ? 'AM' : 'PM'}`;
  return `${MONTHS[month! - 1]} ${pad2(day!)}, ${year}`;
}

/** Which metric or param `--sort-by` names: `[path, name, kind]`, or an error as DVC words it. */
export function sortColumn(
  sortBy: string,
  metrics: Names,
  params: Names,
): [string, string, 'metrics' | 'params'] {
  const parts = sortBy.split(':');
  const matches = new Map<string, [string, string, 'metrics' | 'params']>();
  let name = sortBy;
  for (let split = 0; split < parts.length; split++) {
    const file = parts.slice(0, split).join(':');
    const key = parts.slice(split).join(':');
    if (!file) name = key;
    if (metrics.get(file)?.has(key)) matches.set(`${file}:${key}:m`, [file, key, 'metrics']);
    if (params.get(file)?.has(key)) matches.set(`${file}:${key}:p`, [file, key, 'params']);
  }
  if (matches.size === 0) {
    for (const [file, keys] of metrics) if (keys.has(name)) matches.set(`${file}:m`, [file, name, 'metrics']);
    for (const [file, keys] of params) if (keys.has(name)) matches.set(`${file}:p`, [file, name, 'params']);
  }
  if (matches.size === 1) return [...matches.values()][0]!;
  if (matches.size > 1) {
    const listed = [...matches.values()].map(([file, key]) => `${file}:${key}`).join(', ');
    throw new Error(`Ambiguous sort column '${name}' matched '${listed}'`);
  }
  throw new Error(`Unknown sort column '${name}'`);
}

/** DVC's `tabulate` of `exp show`: the columns and a row per baseline and experiment. */
export function tabulateExperiments(states: readonly ExpState[], options: TabulateOptions): ExpTable {
  const metricsNames: Names = new Map();
  const paramsNames: Names = new Map();
  const depsSet = new Set<string>();
  collectNames(states, metricsNames, paramsNames, depsSet);
  const fixed = ['Experiment', 'rev', 'typ', 'Created', 'parent', 'State', 'Executor'];
  const counter = new Map<string, number>();
  for (const names of [metricsNames, paramsNames])
    for (const keys of names.values())
      for (const key of keys.keys()) counter.set(key, (counter.get(key) ?? 0) + 1);
  for (const header of fixed) counter.set(header, (counter.get(header) ?? 0) + 1);
  const normalise = (names: Names): string[] =>
    [...names].flatMap(([file, keys]) =>
      [...keys.keys()].map((key) => (counter.get(key) === 1 ? key : `${file}:${key}`)),
    );
  const metricsColumns = normalise(metricsNames);
  const paramsColumns = normalise(paramsNames);
  const depsColumns = [...depsSet].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const columns = [...fixed, ...metricsColumns, ...paramsColumns, ...depsColumns];
  const fill = options.fillValue;
  const errorValue = options.errorValue ?? '!';
  const now = options.now ?? new Date();

  const dataCells = (state: ExpState, cells: Map<string, string>): void => {
    const data = state.data;
    if (!data) return;
    cells.set('Created', formatCreated(data.timestamp, fill, options.iso === true, now));
    const fileCells = (files: Record<string, ExpFileResult>, names: Names, headers: Set<string>): void => {
      for (const [file, result] of Object.entries(files)) {
        const flat = isParamsMapping(result.data)
          ? flattenMetrics(result.data, file)
          : new Map([[file, result.data]]);
        for (const key of names.get(file)?.keys() ?? []) {
          const value = flat.get(key);
          const cell =
            value === undefined || value === null
              ? result.error
                ? errorValue
                : fill
              : formatField(value, options.precision);
          cells.set(headers.has(key) ? key : `${file}:${key}`, cell);
        }
      }
    };
    fileCells(data.metrics, metricsNames, new Set(metricsColumns));
    fileCells(data.params, paramsNames, new Set(paramsColumns));
    for (const dep of depsColumns) {
      const found = data.deps[dep];
      if (found) cells.set(dep, found.hash ?? fill);
    }
  };

  const rows: ExpRow[] = [];
  for (const baseline of states) {
    const cells = new Map<string, string>();
    const rev =
      baseline.name ?? (/^[0-9a-f]{40}$/.test(baseline.rev) ? baseline.rev.slice(0, 7) : baseline.rev);
    dataCells(baseline, cells);
    rows.push({ name: '', rev, typ: 'baseline', cells });
    let experiments = baseline.experiments ?? [];
    if (experiments.length > 0 && options.sortBy) {
      const [file, key, kind] = sortColumn(options.sortBy, metricsNames, paramsNames);
      const keyOf = (range: (typeof experiments)[number]): number | string | undefined => {
        const data = range.revs[0]?.data?.[kind][file]?.data;
        return isParamsMapping(data) ? sortValue(flattenMetrics(data, file).get(key)) : undefined;
      };
      const decorated = experiments.map((range, index) => ({ range, index, value: keyOf(range) }));
      const reverse = options.sortOrder === 'desc';
      // Python's sorted(key=(val is None, val), reverse=...): stable, missing values last in ascending order.
      decorated.sort((a, b) => {
        const am = a.value === undefined;
        const bm = b.value === undefined;
        let order = 0;
        if (am !== bm) order = am ? 1 : -1;
        else if (!am && a.value !== b.value) order = (a.value as number) < (b.value as number) ? -1 : 1;
        if (order === 0) return a.index - b.index;
        return reverse ? -order : order;
      });
      experiments = decorated.map((entry) => entry.range);
    }
    experiments.forEach((range, index) => {
      // DVC 2's `_exp_range_rows`: a checkpoint experiment is a row per commit of its chain
      range.revs.forEach((exp, position) => {
        const expCells = new Map<string, string>();
        dataCells(exp, expCells);
        if (range.executor && position === 0) {
          // Python's str.capitalize(), as DVC prints them: `Queued`, `Dvc-task`
          const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();
          expCells.set('State', capitalize(range.executor.state));
          expCells.set('Executor', capitalize(range.executor.name));
        }
        rows.push({
          name: exp.name ?? '',
          rev: /^[0-9a-f]{40}$/.test(exp.rev) ? exp.rev.slice(0, 7) : exp.rev,
          typ:
            range.revs.length > 1
              ? position === 0
                ? 'checkpoint_tip'
                : position === range.revs.length - 1
                  ? 'checkpoint_base'
                  : 'checkpoint_commit'
              : index === experiments.length - 1
                ? 'branch_base'
                : 'branch_commit',
          cells: expCells,
        });
      });
    });
  }
  return { columns, metricsColumns, paramsColumns, depsColumns, rows };
}

export interface ShowTableOptions {
  readonly keep?: readonly string[];
  readonly drop?: readonly string[];
  readonly onlyChanged?: boolean;
  readonly csv?: boolean;
  readonly fillValue: string;
}

/** The column a header belongs to, for alignment: metrics are right-aligned. */
export type ColumnKind = 'fixed' | 'metrics' | 'params' | 'deps';

export interface ShownTable {
  readonly headers: string[];
  readonly kinds: ColumnKind[];
  readonly rows: string[][];
  /** Which rows are baselines (bold on a terminal). */
  readonly baselines: boolean[];
  /**
   * DVC's `collapse`: every metrics, params and deps column but the first of its kind (as
   * tabulated, before --drop) may be squeezed away when the table is wider than the terminal.
   */
  readonly collapsible: boolean[];
  /** Where the experiment's name is in each row's Experiment cell (DVC shows it bold), if anywhere. */
  readonly nameSpans: ({ readonly start: number; readonly end: number } | undefined)[];
}

const TREE: Record<RowType, string> = {
  baseline: '',
  branch_commit: '├──',
  branch_base: '└──',
  checkpoint_tip: '│ ╓',
  checkpoint_commit: '│ ╟',
  checkpoint_base: '├─╨',
};

/** DVC's `show_experiments` before rendering: --keep, State/Executor, Experiment ids, --only-changed, --drop. */
export function shapeTable(table: ExpTable, options: ShowTableOptions): ShownTable {
  const fill = options.fillValue;
  let columns = [...table.columns];
  const values = (column: string): string[] =>
    table.rows.map((row) => {
      if (column === 'Experiment') return row.name;
      if (column === 'rev') return row.rev;
      if (column === 'typ') return row.typ;
      if (column === 'parent') return '';
      return row.cells.get(column) ?? fill;
    });
  const matrix = new Map(columns.map((column) => [column, values(column)]));
  const keepRe = options.keep && options.keep.length > 0 ? new RegExp(options.keep.join('|')) : undefined;
  const protectedColumns = new Set(keepRe ? columns.filter((column) => matchAtStart(keepRe, column)) : []);
  const drop = (names: Iterable<string>): void => {
    const gone = new Set([...names].filter((name) => !protectedColumns.has(name)));
    columns = columns.filter((column) => !gone.has(column));
  };
  drop(['State', 'Executor'].filter((column) => matrix.get(column)!.every((value) => value === fill)));
  if (!options.csv) {
    matrix.set(
      'Experiment',
      table.rows.map((row) => {
        const text = row.typ === 'baseline' || !row.name ? row.name || row.rev : `${row.rev} [${row.name}]`;
        const tree = TREE[row.typ];
        return tree ? `${tree} ${text}` : text;
      }),
    );
    drop(['rev', 'typ', 'parent']);
  }
  if (options.onlyChanged) {
    drop(columns.filter((column) => new Set(matrix.get(column)).size === 1));
  }
  if (options.drop && options.drop.length > 0) {
    const dropRe = new RegExp(options.drop.join('|'));
    drop(columns.filter((column) => matchAtStart(dropRe, column)));
  }
  const kindOf = (column: string): ColumnKind =>
    table.metricsColumns.includes(column)
      ? 'metrics'
      : table.paramsColumns.includes(column)
        ? 'params'
        : table.depsColumns.includes(column)
          ? 'deps'
          : 'fixed';
  const firsts = new Set([table.metricsColumns[0], table.paramsColumns[0], table.depsColumns[0]]);
  const experiment = matrix.get('Experiment')!;
  return {
    headers: columns,
    kinds: columns.map(kindOf),
    rows: table.rows.map((_, index) => columns.map((column) => matrix.get(column)![index]!)),
    baselines: table.rows.map((row) => row.typ === 'baseline'),
    collapsible: columns.map((column) => kindOf(column) !== 'fixed' && !firsts.has(column)),
    nameSpans: table.rows.map((row, index) => {
      if (options.csv || row.typ === 'baseline' || !row.name) return undefined;
      const text = experiment[index]!;
      const end = text.length - 1;
      return { start: end - row.name.length, end };
    }),
  };
}

/** Python's `re.match`: the pattern must match at the start. */
function matchAtStart(pattern: RegExp, text: string): boolean {
  const match = pattern.exec(text);
  if (!match) return false;
  if (match.index === 0) return true;
  const anchored = new RegExp(`^(?:${pattern.source})`, pattern.flags);
  return anchored.test(text);
}
