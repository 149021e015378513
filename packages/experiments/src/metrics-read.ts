import { isParamsMapping, isPythonFloat, type ParamsFormat } from '@tvc/params';

/** Extensions DVC's `load_path` reads with their own loader; anything else (`.csv`, `.tsv`, `.txt`) is read as YAML. */
const OWN_LOADERS = new Set(['.json', '.toml', '.yaml', '.yml']);

/** The params format a metrics file is read with, by DVC's rule: JSON, TOML, YAML by extension, else YAML. */
export function metricsFormatFile(file: string): string {
  const dot = file.lastIndexOf('.');
  const extension = dot > file.lastIndexOf('/') ? file.slice(dot).toLowerCase() : '';
  return OWN_LOADERS.has(extension) ? file : `${file}.yaml`;
}

/**
 * DVC's `_extract_metrics`: numbers, booleans and strings are kept, mappings are walked, anything
 * else (lists, nulls, dates) is dropped, and so are mappings left empty. `undefined` for nothing.
 */
export function extractMetrics(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return value;
  if (typeof value === 'string' || isPythonFloat(value)) return value;
  if (!isParamsMapping(value)) return undefined;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const extracted = extractMetrics(item);
    if (extracted === undefined) continue;
    if (isParamsMapping(extracted) && Object.keys(extracted).length === 0) continue;
    result[key] = extracted;
  }
  return result;
}

/**
 * A metrics file's data as `dvc metrics show` reads it: parsed by its format (see
 * {@link metricsFormatFile}), then {@link extractMetrics}; an empty result is `{}`.
 */
export function readMetricsText(format: ParamsFormat, text: string, file: string): unknown {
  const extracted = extractMetrics(format.read(text, file));
  if (extracted === undefined || extracted === '' || extracted === 0 || extracted === false) return {};
  return extracted;
}

/** A flat view of metrics data: nested keys joined with dots (DVC's `flatten`); a scalar is keyed by `fallbackKey`. */
export function flattenMetrics(data: unknown, fallbackKey: string): Map<string, unknown> {
  const flat = new Map<string, unknown>();
  if (!isParamsMapping(data)) {
    flat.set(fallbackKey, data);
    return flat;
  }
  const visit = (node: Readonly<Record<string, unknown>>, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const full = prefix ? `${prefix}.${key}` : key;
      if (isParamsMapping(value) && Object.keys(value).length > 0) visit(value, full);
      else flat.set(full, value);
    }
  };
  visit(data, '');
  return flat;
}
