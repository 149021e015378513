import path from 'node:path';
import { fastDvcYamlValue, parseDvcYaml } from '@tvc/core';
import { jsonValue, parseJson } from '@tvc/params-json';
import { parse as parseCsv } from 'csv-parse/sync';

/** One row of plot data: field → value (CSV and TSV values are strings, as in DVC). */
export type Datapoint = Record<string, unknown>;

/** Image extensions DVC shows as images rather than Vega-Lite plots. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.gif', '.png', '.svg']);

/** Data extensions tvc reads (anything else is DVC's `PlotMetricTypeError`; DVC also takes `.toml` and `.py`). */
export const DATA_EXTENSIONS: ReadonlySet<string> = new Set(['.json', '.yaml', '.yml', '.csv', '.tsv']);

/** Why a plot's data file could not be read: DVC's exception type and a message naming the file. */
export class PlotDataError extends Error {
  /** DVC's exception name (`PlotMetricTypeError`, `JSONFileCorruptedError`, …) or tvc's (`CsvParseError`). */
  readonly type: string;

  constructor(type: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'PlotDataError';
    this.type = type;
  }
}

/** Whether a path is an image plot (by extension, as DVC's `ImageRenderer.matches`). */
export function isImagePath(file: string): boolean {
  return IMAGE_EXTENSIONS.has(path.posix.extname(file).toLowerCase());
}

/**
 * Throws DVC's `PlotMetricTypeError` for a path that is neither an image nor a data file. DVC's
 * `parse` checks the extension before opening the file, so a missing path without a data extension
 * (a directory that is not there) gets this error rather than `FileNotFoundError`.
 */
export function assertPlotDataType(file: string): void {
  if (isImagePath(file) || DATA_EXTENSIONS.has(path.posix.extname(file).toLowerCase())) return;
  throw new PlotDataError(
    'PlotMetricTypeError',
    `'${file}' - file type error\nOnly JSON, YAML, CSV and TSV formats are supported.`,
  );
}

/**
 * A data file's content as DVC's `parse` gives it: JSON and YAML documents as they are, CSV and TSV
 * as a list of rows keyed by the header (values are strings; `header: false` names the columns
 * `0`, `1`, …). Throws {@link PlotDataError} naming the file.
 */
export function parsePlotData(
  file: string,
  text: string,
  options: { readonly header?: boolean } = {},
): unknown {
  const extension = path.posix.extname(file).toLowerCase();
  if (!DATA_EXTENSIONS.has(extension)) {
    throw new PlotDataError(
      'PlotMetricTypeError',
      `'${file}' - file type error\nOnly JSON, YAML, CSV and TSV formats are supported.`,
    );
  }
  if (extension === '.csv' || extension === '.tsv') return parseDelimited(file, text, extension, options);
  if (extension === '.json') {
    try {
      return jsonValue(parseJson(text, file));
    } catch (error) {
      throw new PlotDataError(
        'JSONFileCorruptedError',
        `unable to read: '${file}', JSON file structure is corrupted`,
        {
          cause: error,
        },
      );
    }
  }
  try {
    return fastDvcYamlValue(text) ?? parseDvcYaml(text, file).value;
  } catch (error) {
    throw new PlotDataError(
      'YAMLFileCorruptedError',
      `unable to read: '${file}', YAML file structure is corrupted`,
      {
        cause: error,
      },
    );
  }
}

function parseDelimited(
  file: string,
  text: string,
  extension: string,
  options: { readonly header?: boolean },
): Datapoint[] {
  let records: string[][];
  try {
    records = parseCsv(text, {
      delimiter: extension === '.tsv' ? '\t' : ',',
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }) as string[][];
  } catch (error) {
    const reason = (error as Error).message.replace(/^Invalid Record Length: /, '');
    throw new PlotDataError('CsvParseError', `unable to read: '${file}', ${reason}`, { cause: error });
  }
  const header = options.header !== false;
  const first = records[0];
  if (!first) return [];
  const names = header ? first : first.map((_, index) => String(index));
  const rows = header ? records.slice(1) : records;
  // As Python's csv.DictReader: a short row gets null for the missing fields; extra cells are dropped.
  return rows.map((row) => {
    const point: Datapoint = {};
    names.forEach((name, index) => {
      point[name] = index < row.length ? row[index] : null;
    });
    return point;
  });
}

function isMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The lists in a document: itself when it is a list, else every list among its values, depth first. */
function* lists(blob: unknown): Generator<unknown[]> {
  if (Array.isArray(blob)) {
    yield blob;
    return;
  }
  if (!isMapping(blob)) return;
  for (const value of Object.values(blob)) {
    if (isMapping(value)) yield* lists(value);
    else if (Array.isArray(value)) yield value;
  }
}

/** A list of mappings that all have the same keys as the first. */
function isDatapoints(list: readonly unknown[]): list is Datapoint[] {
  if (!list.every(isMapping)) return false;
  const first = list[0];
  if (!first) return true;
  const keys = new Set(Object.keys(first));
  const all = new Set(list.flatMap((item) => Object.keys(item as Datapoint)));
  return all.size === keys.size && [...all].every((key) => keys.has(key));
}

/**
 * The rows of a data document as DVC's `get_datapoints`: every list of uniform mappings in it
 * (`{"train": [...], "test": [...]}` or a bare list), merged row by row.
 */
export function datapointsOf(content: unknown): Datapoint[] {
  const result: Datapoint[] = [];
  for (const list of lists(content)) {
    if (!isDatapoints(list)) continue;
    list.forEach((point, index) => {
      result[index] = { ...(result[index] ?? {}), ...point };
    });
  }
  return result;
}

/** The last field of the first list of mappings (DVC's default `y`). */
export function inferY(content: unknown): string | undefined {
  for (const list of lists(content)) {
    if (list.every(isMapping)) {
      const keys = Object.keys((list[0] ?? {}) as Datapoint);
      return keys[keys.length - 1];
    }
  }
  return undefined;
}
