import type { ScalarTag } from './resolver';

/**
 * The keys of mappings read from YAML that were not strings (`0: cat`), by mapping: DVC keeps
 * their Python type and writes them unquoted, so tvc remembers the tag to do the same. The reader
 * records them, the emitter looks them up, and code that copies a mapping carries them over.
 */
const nonStringKeys = new WeakMap<object, ReadonlyMap<string, ScalarTag>>();

/** The remembered tags of `map`'s non-string keys, if it has any. */
export function keyTagsOf(map: object): ReadonlyMap<string, ScalarTag> | undefined {
  return nonStringKeys.get(map);
}

/** Remembers the tags of `map`'s non-string keys (nothing is recorded for an empty set). */
export function setKeyTags(map: object, tags: ReadonlyMap<string, ScalarTag>): void {
  if (tags.size > 0) nonStringKeys.set(map, tags);
}

/** Carries the remembered key tags of `from` (if any) over to `to`, a copy with some of its keys. */
export function copyKeyTags(from: object, to: object): void {
  const tags = nonStringKeys.get(from);
  if (!tags) return;
  const merged = new Map(nonStringKeys.get(to) ?? []);
  for (const [key, tag] of tags) if (Object.hasOwn(to, key)) merged.set(key, tag);
  setKeyTags(to, merged);
}
