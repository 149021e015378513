import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isParamsMapping, isPythonFloat, type ParamsValue, PythonFloat } from '@tvc/params';

/** Where the cache lives, relative to the DVC root (`.dvc/tmp` is git-ignored by `dvc init`). */
export const PARSED_CACHE_DIRECTORY = path.join('.dvc', 'tmp', 'tvc-parsed');

// Bumped whenever what a reader returns for the same text could change.
// 2: hostile input (control characters, deep nesting, alias bombs) is no longer read as a value.
const FORMAT = 2;
// Entries kept by default: two per pipeline file of hundreds of pipelines (a dvc.yaml and its
// lock), and their recent versions; the oldest half is removed when a new entry would pass it.
const MAX_ENTRIES = 512;
// A string that starts with this character is a marker, see encode(): YAML cannot hold it raw.
const MARK = '\u0000';

/**
 * Values of parsed YAML files, stored by the digest of their text (and the reader that made
 * them), so that a file that has not changed is not parsed again: a no-op `status` on a 500-stage
 * pipeline spends more time parsing dvc.yaml and dvc.lock than doing anything else. Keyed by
 * content, an entry can never be stale: an edited file has another digest. Entries are JSON
 * files written atomically; a missing, unreadable or foreign entry is a miss. The cache is only
 * a cache: every failure to read or write it is ignored.
 */
export class ParsedValueCache {
  /** Where entries are kept; `undefined`: in memory only, for this process (nothing is written). */
  readonly directory: string | undefined;
  readonly maxEntries: number;
  readonly stats = { hits: 0, misses: 0 };
  readonly #memory = new Map<string, string>();

  constructor(directory: string | undefined, options: { maxEntries?: number } = {}) {
    this.directory = directory;
    this.maxEntries = options.maxEntries ?? MAX_ENTRIES;
  }

  /** The cached value that `reader` gave for `text`, or `undefined`. */
  get(reader: string, text: string): ParamsValue | undefined {
    let stored: string | undefined;
    try {
      stored = this.directory
        ? readFileSync(this.#file(this.directory, reader, text), 'utf8')
        : this.#memory.get(this.#key(reader, text));
      if (stored === undefined) throw new Error('not cached');
    } catch {
      this.stats.misses++;
      return undefined;
    }
    try {
      const value = decode(JSON.parse(stored) as unknown);
      this.stats.hits++;
      return value;
    } catch {
      this.stats.misses++;
      return undefined;
    }
  }

  /** Remembers what `reader` gave for `text`. */
  set(reader: string, text: string, value: ParamsValue): void {
    if (!this.directory) {
      let encoded: string;
      try {
        encoded = JSON.stringify(encode(value));
      } catch {
        // A value JSON cannot hold (a YAML alias that contains itself) is not kept: the reader
        // that parsed it reports it, located, on every read.
        return;
      }
      if (this.#memory.size >= this.maxEntries) this.#memory.clear();
      this.#memory.set(this.#key(reader, text), encoded);
      return;
    }
    const directory = this.directory;
    const file = this.#file(directory, reader, text);
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(directory, { recursive: true });
      this.#prune(directory);
      writeFileSync(temporary, JSON.stringify(encode(value)));
      renameSync(temporary, file);
    } catch {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // Nothing was written.
      }
    }
  }

  /** Reads through the cache: `parse` runs only on a miss (an `undefined` result is not kept). */
  read(reader: string, text: string, parse: () => ParamsValue | undefined): ParamsValue | undefined {
    const cached = this.get(reader, text);
    if (cached !== undefined) return cached;
    const value = parse();
    if (value !== undefined) this.set(reader, text, value);
    return value;
  }

  #key(reader: string, text: string): string {
    return createHash('md5').update(`${FORMAT}\0${reader}\0`).update(text).digest('hex');
  }

  #file(directory: string, reader: string, text: string): string {
    return path.join(directory, `${this.#key(reader, text)}.json`);
  }

  #prune(directory: string): void {
    const names = readdirSync(directory).filter((name) => name.endsWith('.json'));
    if (names.length < this.maxEntries) return;
    const byAge = names
      .map((name) => {
        const file = path.join(directory, name);
        return { file, mtime: statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0 };
      })
      .sort((a, b) => a.mtime - b.mtime);
    for (const { file } of byAge.slice(0, names.length - Math.floor(this.maxEntries / 2)))
      rmSync(file, { force: true });
  }
}

// JSON holds what YAML values are but for integral floats (PythonFloat), big ints, NaN, the
// infinities, -0 and timestamps: each becomes a two-element array `[MARK + kind, text]`. A real
// string that begins with MARK (only possible through an escape) is wrapped the same way.
function encode(value: ParamsValue): unknown {
  if (typeof value === 'string') return value.startsWith(MARK) ? [`${MARK}s`, value] : value;
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return [`${MARK}n`, '-0'];
    return Number.isFinite(value) ? value : [`${MARK}n`, String(value)];
  }
  if (typeof value === 'bigint') return [`${MARK}b`, value.toString()];
  if (isPythonFloat(value)) return [`${MARK}f`, encode(value.value)];
  if (value instanceof Date) return [`${MARK}d`, value.toISOString()];
  if (Array.isArray(value)) return value.map(encode);
  if (isParamsMapping(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) defineKey(result, key, encode(item));
    return result;
  }
  return value;
}

function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function marker(value: unknown): ParamsValue | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [kind, text] = value as [unknown, unknown];
  if (typeof kind !== 'string' || !kind.startsWith(MARK)) return undefined;
  switch (kind) {
    case `${MARK}s`:
      return text as string;
    case `${MARK}n`:
      return text === '-0' ? -0 : Number(text);
    case `${MARK}b`:
      return BigInt(text as string);
    case `${MARK}f`:
      return new PythonFloat((marker(text) ?? text) as number);
    case `${MARK}d`:
      return new Date(text as string);
    default:
      throw new Error(`unknown marker ${JSON.stringify(kind)}`);
  }
}

/** Turns markers back into values, in place: JSON.parse has already built everything else. */
function decode(value: unknown): ParamsValue {
  const found = marker(value);
  if (found !== undefined) return found;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (typeof item === 'object' && item !== null) value[index] = decode(item);
    }
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (typeof item === 'object' && item !== null) defineKey(record, key, decode(item));
    }
  }
  return value as ParamsValue;
}
