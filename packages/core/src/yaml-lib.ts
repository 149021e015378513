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
