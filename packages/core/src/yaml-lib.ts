import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

// The `yaml` package (the positional, layout-keeping parser) takes ~25 ms to load: more than a
// no-op `status` spends on everything else it does with YAML, since values come from the fast
// reader and only errors, edits and writes need node positions. It is loaded on first use.
const load = createRequire(import.meta.url);
let loaded: typeof Yaml | undefined;

/** The `yaml` package, loaded on first use. */
export function yaml(): typeof Yaml {
  loaded ??= load('yaml') as typeof Yaml;
  return loaded;
}

// The type guards, with the package's signatures, loading it on first call.
export const isAlias = (node: unknown): node is Yaml.Alias => yaml().isAlias(node);
export const isMap = <K = unknown, V = unknown>(node: unknown): node is Yaml.YAMLMap<K, V> =>
  yaml().isMap(node);
export const isPair = <K = unknown, V = unknown>(node: unknown): node is Yaml.Pair<K, V> =>
  yaml().isPair(node);
export const isScalar = <T = unknown>(node: unknown): node is Yaml.Scalar<T> => yaml().isScalar(node);
export const isSeq = <T = unknown>(node: unknown): node is Yaml.YAMLSeq<T> => yaml().isSeq(node);

/**
 * The first alias at which a parsed document's aliases, expanded, would add more than `limit`
 * value nodes (each use of an anchor adds the anchored node's whole expanded size), or
 * `undefined`. Sizes are counted once per node, so an alias bomb is found without expanding it.
 */
export function aliasExpansionProblem(document: Yaml.Document.Parsed, limit: number): Yaml.Alias | undefined {
  const anchors = new Map<string, unknown>();
  const sizes = new Map<unknown, number>();
  let extra = 0;
  let found: Yaml.Alias | undefined;
  const size = (node: unknown, depth: number): number => {
    if (found || node === null || typeof node !== 'object') return 1;
    if (depth > 4 * 1000) throw new RangeError('Maximum call stack size exceeded');
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      const added = (target === undefined ? undefined : sizes.get(target)) ?? 1;
      extra += added;
      if (extra > limit) found = node;
      return added;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node);
    let total = 1;
    if (isMap(node)) {
      for (const pair of node.items) total += size(pair.key, depth + 1) + size(pair.value, depth + 1);
    } else if (isSeq(node)) {
      for (const item of node.items) total += size(item, depth + 1);
    }
    sizes.set(node, total);
    return total;
  };
  size(document.contents, 0);
  return found;
}
