import { createHash } from 'node:crypto';
import { HashError } from './errors.js';
import type { DirEntry } from './types.js';

const MD5 = /^[0-9a-f]{32}$/;
const OBJECT_ID = /^[0-9a-f]{32}(\.dir)?$/;
/** a UTF-16 code unit at or above U+D800 */
const HIGH = /[\ud800-\uffff]/;
/** printable ASCII except `"` and `\\`: written as is */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** True for 32 lowercase hex digits, optionally followed by `.dir` when `allowDir`. */
export function isMd5(value: unknown, allowDir = true): value is string {
  return typeof value === 'string' && (allowDir ? OBJECT_ID : MD5).test(value);
}

/**
 * Orders relpaths as Python orders `str`: by code point. JavaScript's `<` compares UTF-16 code
 * units, which differs only when a surrogate pair (a character above U+FFFF) meets a character
 * in U+E000–U+FFFF; such strings take the slow path.
 */
export function compareRelpaths(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      const pointX = a.codePointAt(index) ?? x;
      const pointY = b.codePointAt(index) ?? y;
      return pointX < pointY ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Sorts in place by relpath in code-point order (as DVC does before serialising). */
export function sortEntries<T extends { relpath: string }>(entries: T[]): T[] {
  // Code units order like code points unless a string holds a character at or above U+D800.
  const simple = entries.every((entry) => !HIGH.test(entry.relpath));
  return simple
    ? entries.sort((a, b) => (a.relpath < b.relpath ? -1 : a.relpath > b.relpath ? 1 : 0))
    : entries.sort((a, b) => compareRelpaths(a.relpath, b.relpath));
}

const SHORT_ESCAPES: Record<number, string> = {
  34: '\\"',
  92: '\\\\',
  10: '\\n',
  13: '\\r',
  9: '\\t',
  8: '\\b',
  12: '\\f',
};

/** A JSON string literal exactly as Python's `json.dumps` (ensure_ascii=True) writes it. */
export function pythonJsonString(text: string): string {
  if (PLAIN.test(text)) return `"${text}"`;
  let out = '"';
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0x20 && unit <= 0x7e && unit !== 0x22 && unit !== 0x5c) continue;
    out += text.slice(start, index);
    out += SHORT_ESCAPES[unit] ?? `\\u${unit.toString(16).padStart(4, '0')}`;
    start = index + 1;
  }
  return `${out + text.slice(start)}"`;
}

/**
 * The bytes of a `.dir` manifest, as DVC writes them:
 * `json.dumps([{"md5": …, "relpath": …}, …], sort_keys=True)`, sorted by relpath. Only md5 and
 * relpath are recorded; size and isexec are not part of the manifest.
 */
export function serializeManifest(entries: readonly Pick<DirEntry, 'relpath' | 'md5'>[]): string {
  return serializeSorted(sortEntries([...entries]));
}

/** serializeManifest for entries already sorted. */
export function serializeSorted(entries: readonly Pick<DirEntry, 'relpath' | 'md5'>[]): string {
  let out = '[';
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!;
    if (index > 0) out += ', ';
    out += `{"md5": ${pythonJsonString(entry.md5)}, "relpath": ${pythonJsonString(entry.relpath)}}`;
  }
  return `${out}]`;
}

/** `<hex>.dir` of a manifest, exactly as DVC computes it. */
export function manifestMd5(entries: readonly Pick<DirEntry, 'relpath' | 'md5'>[]): string {
  return md5OfManifest(serializeManifest(entries));
}

/** `<hex>.dir` of manifest text. */
export function md5OfManifest(text: string): string {
  return `${createHash('md5').update(text, 'utf8').digest('hex')}.dir`;
}

/**
 * A relpath that stays inside its directory: relative, posix, no empty, `.` or `..` segments.
 * (A backslash is an ordinary character in a posix name, and DVC keeps it so.)
 */
export function isSafeRelpath(relpath: string): boolean {
  if (relpath.length === 0 || relpath.includes('\0')) return false;
  for (const segment of relpath.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return false;
  }
  return true;
}

/**
 * Reads manifest text into `{ relpath, md5 }` pairs, refusing anything that could not have come
 * from DVC: non-JSON, entries without a valid md5, relpaths that would escape the directory,
 * duplicates. Extra keys (DVC 2's `size`, `isexec` with meta) are ignored.
 */
export function parseManifest(text: string, source: string): { relpath: string; md5: string }[] {
  const corrupt = (why: string) =>
    new HashError('CACHE_CORRUPT', `directory manifest '${source}' is corrupt or hostile: ${why}`, {
      path: source,
    });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new HashError('CACHE_CORRUPT', `directory manifest '${source}' is corrupt: not JSON`, {
      path: source,
      cause: error,
    });
  }
  if (!Array.isArray(raw)) throw corrupt('not a list');
  const seen = new Set<string>();
  const entries: { relpath: string; md5: string }[] = [];
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null) throw corrupt('an entry is not an object');
    const { md5, relpath } = item as { md5?: unknown; relpath?: unknown };
    if (!isMd5(md5, false)) throw corrupt(`invalid md5 ${JSON.stringify(md5)}`);
    if (typeof relpath !== 'string' || !isSafeRelpath(relpath)) {
      throw corrupt(`relpath ${JSON.stringify(relpath)} would lead outside its directory`);
    }
    if (seen.has(relpath)) throw corrupt(`duplicate relpath ${JSON.stringify(relpath)}`);
    seen.add(relpath);
    entries.push({ relpath, md5 });
  }
  for (const relpath of seen) {
    for (let slash = relpath.indexOf('/'); slash >= 0; slash = relpath.indexOf('/', slash + 1)) {
      if (seen.has(relpath.slice(0, slash)))
        throw corrupt(`'${relpath.slice(0, slash)}' is both a file and a directory`);
    }
  }
  return entries;
}
