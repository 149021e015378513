import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file';

const FORMAT = 'tvc-hash-memo';
/** 2: keys hold the ctime (version 1's `inode:mtime:size` keys are dropped, so files are read once more) */
const VERSION = 2;
/** Past this many entries, those not used since the memo was opened are dropped on save. */
const MAX_ENTRIES = 1_000_000;

/** @internal */
export interface MemoRecord {
  /** `<inode>:<mtime ns>:<ctime ns>:<size>` when the file was hashed */
  key: string;
  md5: string;
  used: boolean;
}

export interface MemoStats {
  /** files whose md5 came from the memo without reading them */
  hits: number;
  /** files that had to be read */
  misses: number;
  /** bytes read to hash files */
  bytesRead: number;
}

/**
 * What tvc knows about files it has hashed: absolute path + (inode, mtime in ns, ctime in ns,
 * size) → md5, so an unchanged file is never read again. The ctime is there because it changes
 * on every write and cannot be set: a file rewritten in place with its mtime put back (`cp -p`,
 * `rsync --inplace`) is read again. The file format is tvc's own (DVC's state database is not
 * shared): `{"format": "tvc-hash-memo", "version": 2, "entries": [path, key, md5, …]}`, one
 * flat array of strings: JSON.parse reads it as fast as a hand-parsed text format did, and opening
 * 100k entries takes ~0.1 s (bench/hash.mjs measures it).
 * A missing or unreadable memo file is an empty memo: it is only a cache.
 */
export class HashMemo {
  readonly file: string | undefined;
  readonly stats: MemoStats = { hits: 0, misses: 0, bytesRead: 0 };
  private readonly records = new Map<string, MemoRecord>();
  private changed = false;

  private constructor(file: string | undefined) {
    this.file = file;
  }

  /** A persistent memo file, e.g. `<repo>/.dvc/tmp/tvc-hash-memo.json`. */
  static async open(file: string): Promise<HashMemo> {
    const memo = new HashMemo(path.resolve(file));
    let text: string;
    try {
      text = await readFile(memo.file!, 'utf8');
    } catch {
      return memo;
    }
    memo.load(text);
    return memo;
  }

  /** A memo that lives only as long as this object (save() does nothing). */
  static inMemory(): HashMemo {
    return new HashMemo(undefined);
  }

  /** Entries held. */
  get size(): number {
    return this.records.size;
  }

  /** Writes the memo atomically (temporary file, then rename), and only if it changed. */
  async save(): Promise<void> {
    if (!this.file || !this.changed) return;
    let records: Iterable<[string, MemoRecord]> = this.records;
    if (this.records.size > MAX_ENTRIES) {
      records = [...this.records].filter(([, record]) => record.used);
    }
    const flat: string[] = [];
    for (const [file, record] of records) flat.push(file, record.key, record.md5);
    const text = `{"format":"${FORMAT}","version":${VERSION},"entries":${JSON.stringify(flat)}}\n`;
    await writeFileAtomic(this.file, text);
    this.changed = false;
  }

  /** Forgets everything (the next hashing reads every file). */
  clear(): void {
    if (this.records.size > 0) this.changed = true;
    this.records.clear();
  }

  /** @internal The file size a key records. */
  static keySize(key: string): number {
    return Number(key.slice(key.lastIndexOf(':') + 1));
  }

  /** @internal What the memo holds for `file`, if anything. */
  lookup(file: string): MemoRecord | undefined {
    return this.records.get(file);
  }

  /** @internal A record whose stat key still matched: counts a hit. */
  hit(record: MemoRecord): string {
    record.used = true;
    this.stats.hits++;
    return record.md5;
  }

  /** @internal Records a file that was read; counts a miss (bytes are counted by the caller). */
  remember(file: string, key: string, md5: string, cacheable: boolean): void {
    this.stats.misses++;
    const record = this.records.get(file);
    if (!cacheable) {
      if (record) {
        this.records.delete(file);
        this.changed = true;
      }
      return;
    }
    if (record && record.key === key && record.md5 === md5) {
      record.used = true;
      return;
    }
    this.records.set(file, { key, md5, used: true });
    this.changed = true;
  }

  /** @internal Records a file whose content is known without reading it (a cache object just written). */
  learn(file: string, key: string, md5: string): void {
    const record = this.records.get(file);
    if (record && record.key === key && record.md5 === md5) {
      record.used = true;
      return;
    }
    this.records.set(file, { key, md5, used: true });
    this.changed = true;
  }

  private load(text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return;
    }
    const { format, version, entries } = (raw ?? {}) as {
      format?: unknown;
      version?: unknown;
      entries?: unknown;
    };
    if (format !== FORMAT || version !== VERSION || !Array.isArray(entries)) return;
    for (let index = 0; index + 2 < entries.length; index += 3) {
      const file = entries[index];
      const key = entries[index + 1];
      const md5 = entries[index + 2];
      // Our own file: a cheap shape check (a full hex test per entry costs ~10% of the load).
      if (
        typeof file === 'string' &&
        typeof key === 'string' &&
        typeof md5 === 'string' &&
        md5.length === 32
      ) {
        this.records.set(file, { key, md5, used: false });
      }
    }
  }
}
