import { isParamsMapping } from '@tvc/params';

// Metrics files are read by @tvc/core's `readMetricsText`, the reader `metrics show` uses.

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
