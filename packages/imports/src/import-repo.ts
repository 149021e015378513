import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configValue, type RepoSource, readDvcConfig, type Tvc, yaml } from '@tvc/core';
import { HashError, hashPath, ObjectCache } from '@tvc/hash';
import { outputEntry } from './dvc-file';
import { ImportError } from './errors';
import { git, gitBlob, localRepository } from './git';
import { type ImportResult, type ImportTarget, importTarget, placeImport } from './place';

export interface ImportRepoOptions {
  /** Where to put the data (default: the path's base name in the cwd). */
  readonly out?: string | undefined;
  /** A git revision of the source (branch, tag, commit); its HEAD when absent. */
  readonly rev?: string | undefined;
  readonly force?: boolean | undefined;
}

/** An output of the source repository, as its `.dvc` files and `dvc.lock` files record it. */
interface TrackedOutput {
  /** Relative to the source's root, posix. */
  readonly path: string;
  readonly md5: string;
}

/** Every output the source's `.dvc` and `dvc.lock` files record at `revision`. */
async function trackedOutputs(repository: string, revision: string): Promise<TrackedOutput[]> {
  const files = (await git(repository, ['ls-tree', '-r', '--name-only', '-z', revision]))
    .split('\0')
    .filter((file) => file.endsWith('.dvc') || path.posix.basename(file) === 'dvc.lock');
  const found: TrackedOutput[] = [];
  for (const file of files) {
    let value: unknown;
    try {
      value = yaml().parse((await gitBlob(repository, revision, file)).toString('utf8'));
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const directory = path.posix.dirname(file);
    const record = (outs: unknown, wdir: string) => {
      if (!Array.isArray(outs)) return;
      for (const out of outs as Record<string, unknown>[]) {
        if (typeof out?.path !== 'string' || typeof out.md5 !== 'string') continue;
        found.push({ path: path.posix.normalize(path.posix.join(wdir, out.path)), md5: out.md5 });
      }
    };
    const body = value as Record<string, unknown>;
    if (file.endsWith('.dvc')) {
      record(body.outs, path.posix.join(directory, typeof body.wdir === 'string' ? body.wdir : '.'));
    } else if (typeof body.stages === 'object' && body.stages !== null) {
      for (const stage of Object.values(body.stages as Record<string, Record<string, unknown>>)) {
        record(stage?.outs, directory);
      }
    }
  }
  return found;
}

function sourceCache(repository: string): ObjectCache {
  const directory = configValue(readDvcConfig(repository), 'cache', 'dir');
  return new ObjectCache(
    directory ? path.resolve(repository, '.dvc', directory) : path.join(repository, '.dvc', 'cache'),
  );
}

/**
 * Puts the source's `file` (a path in it, posix) at `revision` into `destination`: from the
 * source's cache when DVC tracks it (or a directory output holding it), else from git.
 */
async function materialise(
  repository: string,
  url: string,
  revision: string,
  file: string,
  destination: string,
): Promise<void> {
  const outputs = await trackedOutputs(repository, revision);
  const holder = outputs.find((out) => out.path === file || file.startsWith(`${out.path}/`));
  if (holder) {
    const cache = sourceCache(repository);
    const whole = holder.path === file ? destination : path.join(path.dirname(destination), '.whole');
    try {
      await cache.checkout(holder.md5, whole, { linkTypes: ['copy'] });
    } catch (error) {
      if (error instanceof HashError && error.code === 'CACHE_MISSING') {
        throw new ImportError(
          'DATA_NOT_IN_SOURCE_CACHE',
          `the data of '${file}' is not in the cache of '${url}'`,
          {
            cause: error,
            hint: "tvc reads a source repository's cache only; fetching from its DVC remote arrives with `tvc pull` and the remotes",
          },
        );
      }
      throw error;
    }
    if (whole !== destination) {
      const inner = path.join(whole, ...file.slice(holder.path.length + 1).split('/'));
      await mkdir(path.dirname(destination), { recursive: true });
      await rename(inner, destination).catch(() => {
        throw new ImportError('SOURCE_NOT_FOUND', `'${file}' is not in '${holder.path}' of '${url}'`);
      });
    }
    return;
  }
  const type = await git(repository, ['cat-file', '-t', `${revision}:${file}`]).catch(() => '');
  if (type.trim() === 'blob') {
    await writeFile(destination, await gitBlob(repository, revision, file));
    return;
  }
  if (type.trim() === 'tree') {
    await mkdir(destination, { recursive: true });
    const listing = (await git(repository, ['ls-tree', '-r', '-z', '--name-only', revision, '--', file]))
      .split('\0')
      .filter(Boolean);
    for (const entry of listing) {
      const target = path.join(destination, ...entry.slice(file.length + 1).split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, await gitBlob(repository, revision, entry));
    }
    return;
  }
  throw new ImportError('SOURCE_NOT_FOUND', `'${file}' is tracked neither by DVC nor by git in '${url}'`, {
    hint: `check the path (relative to the root of '${url}') and the revision`,
  });
}

/** The source repository on this machine (a clone in `scratch` for a URL), and the commit of `rev`. */
async function openSource(
  url: string,
  rev: string | undefined,
  bases: readonly string[],
  scratch: string,
): Promise<{ repository: string; revision: string }> {
  let repository = localRepository(url, bases);
  if (repository && !existsSync(repository)) {
    throw new ImportError('SOURCE_REPO_UNAVAILABLE', `no repository at '${url}' (${repository})`);
  }
  try {
    if (!repository) {
      repository = path.join(scratch, 'repo');
      await git(undefined, ['clone', '--quiet', '--no-checkout', url, repository]);
    }
    const revision = (await git(repository, ['rev-parse', '--verify', `${rev ?? 'HEAD'}^{commit}`])).trim();
    return { repository, revision };
  } catch (error) {
    if (error instanceof ImportError) throw error;
    const reason = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new ImportError(
      'SOURCE_REPO_UNAVAILABLE',
      `cannot read '${url}'${rev ? ` at '${rev}'` : ''}: ${reason}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Imports `file` of the repository at `repo.url` at `revision` into `target`; writes the `.dvc`
 * file with `repo: {url, rev, rev_lock}`. Shared by `importFromRepo` and `update`.
 */
export async function importRepoPath(
  tvc: Tvc,
  file: string,
  repo: RepoSource,
  bases: readonly string[],
  target: ImportTarget,
): Promise<ImportResult & { readonly revision: string }> {
  const tmp = path.join(tvc.root, '.dvc', 'tmp');
  await mkdir(tmp, { recursive: true });
  const scratch = await mkdtemp(path.join(tmp, 'import-'));
  try {
    const { repository, revision } = await openSource(repo.url, repo.rev, bases, scratch);
    const data = path.join(scratch, 'data', 'out');
    await mkdir(path.dirname(data), { recursive: true });
    await materialise(repository, repo.url, revision, path.posix.normalize(file.replace(/\\/g, '/')), data);
    const hash = await hashPath(data);
    if (!hash) throw new ImportError('SOURCE_NOT_FOUND', `'${file}' of '${repo.url}' is empty`);
    const source: Record<string, unknown> = { url: repo.url };
    if (repo.rev) source.rev = repo.rev;
    source.rev_lock = revision;
    if (repo.config) source.config = repo.config;
    if (repo.remote) source.remote = repo.remote;
    const result = await placeImport(
      tvc,
      target,
      data,
      hash,
      { path: file, repo: source },
      outputEntry(hash, path.basename(target.output)),
    );
    return { ...result, revision };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * `tvc import REPO PATH`: the data at PATH of another git repository (a local path or a URL) —
 * from its DVC cache when DVC tracks it there, else from git — into the cache and the workspace,
 * with `<out>.dvc` recording `repo: {url, rev_lock}` as DVC writes it.
 */
export async function importFromRepo(
  tvc: Tvc,
  url: string,
  file: string,
  options: ImportRepoOptions = {},
): Promise<ImportResult> {
  const target = await importTarget(tvc, path.posix.basename(file), options.out, options.force === true);
  return importRepoPath(tvc, file, { url, rev: options.rev }, [tvc.cwd], target);
}
