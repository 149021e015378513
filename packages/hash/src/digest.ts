// Stat digests: what lets a no-op status say "nothing changed" without a memo lookup per file.
//
// A directory's digest is an MD5 over the stat keys (`<inode>:<mtime ns>:<ctime ns>:<size>`,
// the memo's keys) of every file below it, nested per directory in manifest order. It changes
// whenever a file is added, removed, renamed, or written (its ctime), exactly when one of the
// memo's per-file keys would. A TreeMemo maps a digest to the `.dir` hash computed while it held
// (the digest taken before and after hashing, and equal), so that an unchanged directory is
// answered by stat calls in the workers alone: no file read, no per-file work on this thread.
// The same for a `.dir` object in the cache: a digest of its manifest's and its objects' keys,
// recorded after a full verification, vouches that none changed since.
//
// A digest vouches for nothing when it is not `trusted` (a racy file, a special file, a
// `.dvcignore`, ...): callers then hash or verify as usual.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { hashPool } from './pool.js';
import type { DigestResult } from './protocol.js';

/** Items per digest job for the files directly in the root. */
const FILE_BATCH = 512;

export interface Digest {
  /** hex; undefined when the digest vouches for nothing (see DigestResult.trusted) */
  digest: string | undefined;
  files: number;
  size: number;
}

function combine(results: DigestResult[], names: string[] | undefined): Digest {
  const md5 = createHash('md5');
  let files = 0;
  let size = 0;
  let trusted = true;
  let index = 0;
  for (const result of results) {
    files += result.files;
    size += result.size;
    if (!result.trusted) trusted = false;
    for (const part of result.parts) {
      if (part === '') trusted = false;
      md5.update(names ? `${names[index]}\0${part}\n` : `${part}\n`);
      index++;
    }
  }
  return { digest: trusted ? md5.digest('hex') : undefined, files, size };
}

/**
 * The stat digest of the directory `root` (absolute): its top level listed, then each
 * subdirectory digested by a worker (in parallel), the files at the top in batches.
 */
export async function digestDirectory(root: string): Promise<Digest> {
  const pool = hashPool();
  pool.warm(true);
  const [listing] = await pool.run('list', [''], { root, workersOnly: true });
  const names = listing!.names === '' ? [] : listing!.names.split('\0');
  const jobs: Promise<DigestResult>[] = [];
  const items: string[] = [];
  let untrusted = false;
  for (let index = 0; index < names.length; index++) {
    const kind = listing!.kinds[index];
    if (kind === 'x') untrusted = true;
    if (kind === 'd') {
      if (items.length > 0) jobs.push(pool.run('digest', items.splice(0), { root, workersOnly: true }));
      jobs.push(pool.run('digest', [names[index]!], { root, workersOnly: true }));
    } else {
      items.push(names[index]!);
      if (items.length === FILE_BATCH)
        jobs.push(pool.run('digest', items.splice(0), { root, workersOnly: true }));
    }
  }
  if (items.length > 0) jobs.push(pool.run('digest', items.splice(0), { root, workersOnly: true }));
  const results = await Promise.all(jobs);
  const digest = combine(
    results,
    names.filter((_, index) => listing!.kinds[index] !== 'x'),
  );
  if (
    untrusted ||
    names.some((name) => name === '.dvcignore' || name === '.git' || name === '.hg' || name === '.dvc')
  )
    digest.digest = undefined;
  return digest;
}

const statKey = (file: string): string | undefined => {
  const stats = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (!stats?.isFile() || BigInt(Date.now()) * 1_000_000n - stats.mtimeNs <= 2_000_000_000n) return undefined;
  return `${stats.ino}:${stats.mtimeNs}:${stats.ctimeNs}:${stats.size}`;
};

/**
 * The stat digest of a `.dir` object in the cache rooted at `cacheRoot`: its manifest's key and
 * those of the objects it lists, in its order (split between the workers).
 */
export async function digestObjects(cacheRoot: string, md5dir: string): Promise<Digest> {
  const id = md5dir.toLowerCase();
  const objects = `${path.join(cacheRoot, 'files', 'md5')}/`;
  const manifest = `${objects}${id.slice(0, 2)}/${id.slice(2)}`;
  const manifestKey = statKey(manifest);
  if (manifestKey === undefined) return { digest: undefined, files: 0, size: 0 };
  const pool = hashPool();
  pool.warm(true);
  // the number of entries is not known before parsing: each worker takes a share of a guess
  // from the manifest's size (~100 bytes an entry), the last one everything after
  const entries = Math.ceil((statSync(manifest).size || 1) / 100);
  const parts = Math.max(1, Math.min(pool.size, Math.ceil(entries / 2000)));
  const jobs: Promise<DigestResult>[] = [];
  for (let part = 0; part < parts; part++) {
    const from = Math.floor((part * entries) / parts);
    const to = part === parts - 1 ? -1 : Math.floor(((part + 1) * entries) / parts);
    jobs.push(pool.run('objdigest', [{ manifest, objects, from, to }], { workersOnly: true }));
  }
  const digest = combine(await Promise.all(jobs), undefined);
  if (digest.digest !== undefined) {
    digest.digest = createHash('md5').update(`${manifestKey}\n${digest.digest}`).digest('hex');
  }
  return digest;
}

const FORMAT = 'tvc-tree-memo';
const VERSION = 1;
/** Past this many records, the oldest are dropped on save. */
const MAX_RECORDS = 10_000;

/**
 * Digest → value records (a `.dir` hash, or 'ok' for verified objects), by a name (the absolute
 * directory, or the cache object): `{"format": "tvc-tree-memo", "version": 1, "records": [name,
 * digest, value, …]}`, a small file beside the hash memo, read on its own so that a no-op status
 * never loads the per-file memo. A missing or unreadable file is an empty memo.
 */
export class TreeMemo {
  readonly file: string;
  private readonly records = new Map<string, { digest: string; value: string }>();
  private changed = false;

  private constructor(file: string) {
    this.file = file;
  }

  static async open(file: string): Promise<TreeMemo> {
    const memo = new TreeMemo(path.resolve(file));
    try {
      const raw = JSON.parse(await readFile(memo.file, 'utf8')) as {
        format?: unknown;
        version?: unknown;
        records?: unknown;
      };
      if (raw?.format === FORMAT && raw.version === VERSION && Array.isArray(raw.records)) {
        const flat = raw.records as unknown[];
        for (let index = 0; index + 2 < flat.length; index += 3) {
          const [name, digest, value] = [flat[index], flat[index + 1], flat[index + 2]];
          if (typeof name === 'string' && typeof digest === 'string' && typeof value === 'string') {
            memo.records.set(name, { digest, value });
          }
        }
      }
    } catch {
      // missing or unreadable: empty
    }
    return memo;
  }

  /** The value recorded for `name` under `digest`, if that is the digest recorded. */
  get(name: string, digest: string | undefined): string | undefined {
    if (digest === undefined) return undefined;
    const record = this.records.get(name);
    return record?.digest === digest ? record.value : undefined;
  }

  set(name: string, digest: string, value: string): void {
    const record = this.records.get(name);
    if (record?.digest === digest && record.value === value) return;
    this.records.delete(name); // re-inserted last: the newest
    this.records.set(name, { digest, value });
    this.changed = true;
  }

  delete(name: string): void {
    if (this.records.delete(name)) this.changed = true;
  }

  /** Writes the file atomically (temporary file, then rename), and only if it changed. */
  async save(): Promise<void> {
    if (!this.changed) return;
    const flat: string[] = [];
    let skip = Math.max(0, this.records.size - MAX_RECORDS);
    for (const [name, { digest, value }] of this.records) {
      if (skip > 0) {
        skip--;
        continue;
      }
      flat.push(name, digest, value);
    }
    const text = `{"format":"${FORMAT}","version":${VERSION},"records":${JSON.stringify(flat)}}\n`;
    await writeFileAtomic(this.file, text);
    this.changed = false;
  }
}
