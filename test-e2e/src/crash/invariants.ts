import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { LockFile } from '@tvc/core';
import { parse } from 'yaml';

const run = promisify(execFile);

/** One broken invariant: its name (stable, counted in the summary) and what shows it. */
export interface Violation {
  readonly invariant: string;
  readonly evidence: string;
}

/** The outputs of the crash fixture that are not cached (`cache: false`): their objects are not expected. */
export const UNCACHED_OUTPUTS = new Set(['metrics.json']);

const OBJECT_NAME = /^[0-9a-f]{30}(\.dir)?$/;
const MD5 = /^[0-9a-f]{32}(\.dir)?$/;

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * Every complete content each file had during a trial: `path → md5s`. Filled from the journal the
 * fixture's stages write (`file <path> <md5>` once a file's last byte is written) and from the files
 * the test itself wrote.
 */
export class History {
  readonly #contents = new Map<string, Set<string>>();

  add(file: string, hash: string): void {
    const key = path.posix.normalize(file);
    const set = this.#contents.get(key) ?? new Set<string>();
    this.#contents.set(key, set);
    set.add(hash);
  }

  has(file: string, hash: string): boolean {
    return this.#contents.get(path.posix.normalize(file))?.has(hash) ?? false;
  }

  known(file: string): string[] {
    return [...(this.#contents.get(path.posix.normalize(file)) ?? [])];
  }

  /** Adds the `file` lines of a journal's text. */
  addJournal(text: string): void {
    for (const line of text.split('\n')) {
      const match = /^file (\S+) ([0-9a-f]{32})$/.exec(line);
      if (match) this.add(match[1]!, match[2]!);
    }
  }
}

function objectPath(root: string, hash: string): string {
  return path.join(root, '.dvc/cache/files/md5', hash.slice(0, 2), hash.slice(2));
}

interface ManifestEntry {
  readonly md5: string;
  readonly relpath: string;
}

async function readManifest(file: string): Promise<ManifestEntry[] | string> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (
      !Array.isArray(value) ||
      !value.every(
        (entry) =>
          typeof entry === 'object' &&
          entry !== null &&
          typeof (entry as ManifestEntry).md5 === 'string' &&
          typeof (entry as ManifestEntry).relpath === 'string',
      )
    ) {
      return 'not a JSON list of {md5, relpath}';
    }
    return value as ManifestEntry[];
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Cache integrity: every object under `.dvc/cache/files/md5` hashes to its name (a `.dir` manifest
 * too: its name is the md5 of its bytes), and every `.dir` manifest lists only objects the cache
 * holds (a directory's files are saved before its manifest). Other files there — a killed write's
 * temporaries — are returned as `strays`, not failed.
 */
export async function checkCache(root: string): Promise<{ violations: Violation[]; strays: string[] }> {
  const violations: Violation[] = [];
  const strays: string[] = [];
  const base = path.join(root, '.dvc/cache/files/md5');
  if (!existsSync(base)) return { violations, strays };
  for (const prefix of await readdir(base)) {
    const dir = path.join(base, prefix);
    for (const name of await readdir(dir)) {
      const relative = `${prefix}/${name}`;
      if (!/^[0-9a-f]{2}$/.test(prefix) || !OBJECT_NAME.test(name)) {
        strays.push(relative);
        continue;
      }
      const bytes = await readFile(path.join(dir, name));
      const expected = prefix + name.replace(/\.dir$/, '');
      const actual = md5(bytes);
      if (actual !== expected) {
        violations.push({
          invariant: 'cache-object-hash',
          evidence: `.dvc/cache/files/md5/${relative} holds ${bytes.length} bytes whose md5 is ${actual}`,
        });
        continue;
      }
      if (name.endsWith('.dir')) {
        const manifest = await readManifest(path.join(dir, name));
        if (typeof manifest === 'string') {
          violations.push({ invariant: 'cache-dir-manifest', evidence: `${relative}: ${manifest}` });
          continue;
        }
        for (const entry of manifest) {
          if (!existsSync(objectPath(root, entry.md5))) {
            violations.push({
              invariant: 'cache-dir-incomplete',
              evidence: `manifest ${relative} lists ${entry.relpath} (${entry.md5}), not in the cache`,
            });
          }
        }
      }
    }
  }
  return { violations, strays };
}

interface LockItem {
  readonly path?: unknown;
  readonly md5?: unknown;
}

/**
 * Lock truth, for one lock text (the workspace's dvc.lock, an experiment commit's, a run-cache
 * entry): it parses; each dep and out recorded with an md5 names a content its file really had
 * (`history`), and each cached out's object is in the cache — for a directory its manifest and
 * every object it lists, each of them a content the listed file had. See crash.test.ts.
 */
export async function checkLock(
  root: string,
  text: string,
  where: string,
  history: History,
  runCacheEntry = false,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  let data: unknown;
  try {
    data = parse(text, { uniqueKeys: true });
  } catch (error) {
    return [{ invariant: 'lock-parse', evidence: `${where}: ${(error as Error).message}` }];
  }
  const stages: [string, unknown][] = runCacheEntry
    ? [['(run-cache entry)', data]]
    : Object.entries(((data ?? {}) as { stages?: Record<string, unknown> }).stages ?? {});
  for (const [stage, entry] of stages) {
    if (typeof entry !== 'object' || entry === null) {
      violations.push({ invariant: 'lock-parse', evidence: `${where}: stage ${stage} is not a mapping` });
      continue;
    }
    const record = entry as { deps?: LockItem[]; outs?: LockItem[] };
    for (const [kind, items] of [
      ['dep', record.deps ?? []],
      ['out', record.outs ?? []],
    ] as const) {
      for (const item of items) {
        const file = item.path;
        const hash = item.md5;
        if (typeof file !== 'string' || typeof hash !== 'string') continue;
        const at = `${where}: stage ${stage}, ${kind} ${file}`;
        if (!MD5.test(hash)) {
          violations.push({ invariant: 'lock-parse', evidence: `${at}: md5 '${hash}' is not an md5` });
          continue;
        }
        const cached = kind === 'out' && !UNCACHED_OUTPUTS.has(file);
        if (!hash.endsWith('.dir')) {
          if (!history.has(file, hash)) {
            violations.push({
              invariant: 'lock-hash-never-content',
              evidence: `${at} records md5 ${hash}, a content the file never had complete (its contents: ${history.known(file).join(', ') || 'none journaled'})`,
            });
          }
          if (cached && !existsSync(objectPath(root, hash))) {
            violations.push({
              invariant: 'lock-object-missing',
              evidence: `${at} records md5 ${hash}, not in the cache`,
            });
          }
          continue;
        }
        const manifestFile = objectPath(root, hash);
        if (!existsSync(manifestFile)) {
          // A dependency's manifest need not be saved; a cached output's must.
          if (cached) {
            violations.push({
              invariant: 'lock-object-missing',
              evidence: `${at} records directory ${hash}, whose manifest is not in the cache`,
            });
          }
          continue;
        }
        const manifest = await readManifest(manifestFile);
        if (typeof manifest === 'string') continue; // reported by checkCache
        for (const listed of manifest) {
          const member = `${file}/${listed.relpath}`;
          if (!history.has(member, listed.md5)) {
            violations.push({
              invariant: 'lock-hash-never-content',
              evidence: `${at} records directory ${hash}, listing ${listed.relpath} as ${listed.md5}, a content ${member} never had complete (its contents: ${history.known(member).join(', ') || 'none journaled'})`,
            });
          }
          if (cached && !existsSync(objectPath(root, listed.md5))) {
            violations.push({
              invariant: 'lock-object-missing',
              evidence: `${at} records directory ${hash}, listing ${listed.relpath} (${listed.md5}), not in the cache`,
            });
          }
        }
      }
    }
  }
  return violations;
}

/** Every lock a trial can have left: the workspace's, each experiment commit's, each run-cache entry. */
export async function checkAllLocks(root: string, history: History): Promise<Violation[]> {
  const violations: Violation[] = [];
  const lockPath = path.join(root, 'dvc.lock');
  if (existsSync(lockPath)) {
    const text = await readFile(lockPath, 'utf8');
    violations.push(...(await checkLock(root, text, 'dvc.lock', history)));
    try {
      await LockFile.read(lockPath, 'dvc.lock');
    } catch (error) {
      violations.push({ invariant: 'lock-parse', evidence: `tvc's reader: ${(error as Error).message}` });
    }
  }
  const refs = (await git(root, 'for-each-ref', '--format=%(refname)', 'refs/exps')).stdout
    .split('\n')
    .filter(Boolean);
  for (const ref of refs) {
    const shown = await git(root, 'show', `${ref}:dvc.lock`);
    if (shown.code !== 0) continue;
    violations.push(...(await checkLock(root, shown.stdout, `${ref}:dvc.lock`, history)));
  }
  const runs = path.join(root, '.dvc/cache/runs');
  for (const file of await walk(runs)) {
    const text = await readFile(file, 'utf8');
    violations.push(
      ...(await checkLock(root, text, path.relative(root, file), history, true)).map((violation) => ({
        invariant: violation.invariant.replace(/^lock-/, 'run-cache-'),
        evidence: violation.evidence,
      })),
    );
  }
  return violations;
}

async function walk(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(full)));
    else found.push(full);
  }
  return found;
}

export async function git(root: string, ...args: string[]): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await run('git', args, { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    return { stdout, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}`, code: failed.code ?? 1 };
  }
}

/** `git fsck` finds no broken or missing object and no bad ref (dangling objects are fine). */
export async function checkGit(root: string): Promise<Violation[]> {
  const result = await git(root, 'fsck', '--no-dangling', '--no-progress');
  return result.code === 0 ? [] : [{ invariant: 'git-fsck', evidence: result.stdout.trim().slice(0, 2000) }];
}

/** JSON with sorted keys, for comparing two `status --json` outputs. */
export function canonical(value: unknown): string {
  const sort = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(sort);
    if (typeof item === 'object' && item !== null) {
      return Object.fromEntries(
        Object.keys(item)
          .sort()
          .map((key) => [key, sort((item as Record<string, unknown>)[key])]),
      );
    }
    return item;
  };
  return JSON.stringify(sort(value));
}
