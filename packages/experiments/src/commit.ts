import { createHash, randomBytes } from 'node:crypto';
import { copyFile, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { LockFile, lockEntryData, type Pipeline, type Stage, type Tvc, TvcError, toPosix } from '@tvc/core';
import { pythonJsonDumps } from '@tvc/params';
import type { Git } from './git';
import { experimentExists } from './names';
import { expRefName } from './refs';

/**
 * DVC's `exp_hash`: SHA-256 of `json.dumps({stage name: lock entry, …}, sort_keys=True)` over the
 * pipeline stages given (those reproduced, for `exp run`), with the entries as dvc.lock holds them.
 */
export async function experimentHash(tvc: Tvc, stages: readonly Stage[]): Promise<string> {
  const data: Record<string, unknown> = {};
  const locks = new Map<string, Promise<LockFile>>();
  for (const stage of stages) {
    if (stage.kind !== 'pipeline') continue;
    const display = path.posix.join(path.posix.dirname(stage.file), 'dvc.lock');
    let lock = locks.get(display);
    if (!lock) {
      lock = LockFile.read(path.join(tvc.root, display), display);
      locks.set(display, lock);
    }
    const entry = (await lock).get(stage.name);
    if (entry) data[stage.name] = lockEntryData(entry);
  }
  return createHash('sha256')
    .update(pythonJsonDumps(data, { sortKeys: true }), 'utf8')
    .digest('hex');
}

/** What an experiment commit holds beyond HEAD, as DVC chooses it (paths relative to the DVC root). */
export interface ExperimentPaths {
  /** Added even when git ignores them (DVC's top-level metrics, params and plots, `-I` paths). */
  readonly forced: readonly string[];
  /** Added unless git ignores them (each stage's dvc.yaml, dvc.lock, deps and uncached outputs). */
  readonly plain: readonly string[];
}

/**
 * The files DVC puts in an experiment commit besides the tracked files that changed
 * (`git add -u`): for each stage of the run its pipeline file, its lock file, its dependencies and
 * params files, and its outputs that are not cached; and, forced past .gitignore, the top-level
 * `metrics`, `params` and `plots` of every dvc.yaml and the root params.yaml.
 */
export function experimentPaths(pipeline: Pipeline, stages: readonly Stage[]): ExperimentPaths {
  const plain = new Set<string>();
  for (const stage of stages) {
    if (stage.kind !== 'pipeline') continue;
    plain.add(stage.file);
    plain.add(path.posix.join(path.posix.dirname(stage.file), 'dvc.lock'));
    for (const dep of [...stage.deps, ...stage.params]) if (dep.repoPath) plain.add(dep.repoPath);
    for (const out of stage.outs) if (!out.cache && out.repoPath) plain.add(out.repoPath);
  }
  const forced = new Set<string>(['params.yaml']);
  for (const file of pipeline.files) {
    if (file.kind !== 'pipeline') continue;
    const directory = path.posix.dirname(file.file);
    for (const key of ['metrics', 'params', 'plots']) {
      const listed = file.topLevel[key];
      if (!Array.isArray(listed)) continue;
      for (const item of listed) {
        const names =
          typeof item === 'string'
            ? [item]
            : item && typeof item === 'object'
              ? Object.keys(item as Record<string, unknown>)
              : [];
        for (const name of names) forced.add(path.posix.normalize(path.posix.join(directory, name)));
      }
    }
  }
  return { forced: [...forced], plain: [...plain] };
}

export interface CommitExperimentOptions {
  readonly baseline: string;
  readonly name: string;
  readonly message: string;
  /** Replace an experiment of the same name. */
  readonly force?: boolean;
  /** The DVC root relative to the git root (`''` when they are the same). */
  readonly prefix: string;
  readonly paths: ExperimentPaths;
  /** `exp save`: the command named in the error when the name is taken. */
  readonly command?: string;
}

export interface CommittedExperiment {
  readonly ref: string;
  readonly sha: string;
  /** An experiment with the same name and the same files existed: it was kept. */
  readonly reused: boolean;
}

/**
 * Records the workspace as an experiment commit without touching the user's index or HEAD: a
 * temporary index (a copy of the real one) gets `add -u` and the experiment's paths, then
 * `write-tree`, `commit-tree -p <baseline>` and `update-ref` (guarded by the ref's old value).
 */
export async function commitExperiment(
  git: Git,
  options: CommitExperimentOptions,
): Promise<CommittedExperiment> {
  const realIndex = await git.gitPath('index');
  const index = `${realIndex}.tvc-exp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const env = { GIT_INDEX_FILE: index };
  try {
    try {
      await copyFile(realIndex, index);
      // Keep the index's time: git trusts an entry's stat data only when the index is newer than
      // the file's mtime by a whole second ("racy git"), so a fresh time on the copy would make a
      // file rewritten in the second of its last `git add` (same size) look unchanged.
      const { atime, mtime } = await stat(realIndex);
      await utimes(index, atime, mtime);
    } catch {
      await git.raw(['read-tree', options.baseline], env);
    }
    await git.raw(['add', '-u', '--', '.'], env);
    const inRepo = (file: string) => toPosix(path.posix.join(options.prefix, file));
    const existing = async (files: readonly string[]) => {
      const { existsSync } = await import('node:fs');
      return files.filter((file) => existsSync(path.join(git.root, file)));
    };
    const forced = await existing(options.paths.forced.map(inRepo));
    if (forced.length > 0) await git.raw(['add', '-f', '--', ...forced], env);
    const plain = await existing(options.paths.plain.map(inRepo));
    if (plain.length > 0) {
      // git adds the paths it may and refuses the ignored ones (DVC skips those too)
      const added = await git.withInput(['add', '--', ...plain], '', env);
      if (added.code !== 0 && !/ignored by one of your \.gitignore files/.test(added.stderr)) {
        throw new TvcError('GIT_FAILED', `git add failed: ${added.stderr.trim()}`);
      }
    }
    const tree = (await git.raw(['write-tree'], env)).trim();
    // the message on stdin, without the newline `-m` adds: DVC's commits have none
    const made = await git.withInput(['commit-tree', tree, '-p', options.baseline], options.message);
    if (made.code !== 0) throw new TvcError('GIT_FAILED', `git commit-tree failed: ${made.stderr.trim()}`);
    const sha = made.stdout.trim();
    const ref = expRefName(options.baseline, options.name);
    const previous = await git.resolveCommit(ref);
    if (previous && !options.force) {
      const previousTree = (await git.raw(['rev-parse', `${previous}^{tree}`])).trim();
      if (previousTree === tree) return { ref, sha: previous, reused: true };
      throw experimentExists(options.name, options.command);
    }
    await git.updateRef(ref, sha, `tvc: exp ${options.command ?? 'run'}`, previous ?? '');
    return { ref, sha, reused: false };
  } finally {
    await rm(index, { force: true });
  }
}
