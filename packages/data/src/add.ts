import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  addToGitignore,
  DATA_FILE_SUFFIX,
  isWithin,
  type Pipeline,
  RepoLock,
  type Tvc,
  TvcError,
  toPosix,
  Workspace,
} from '@tvc/core';
import type { PathHash } from '@tvc/hash';
import picomatch from 'picomatch';
import { writeDataFile } from './data-file';
import { loadCheckedPipeline } from './recorded';
import { relinkSaved, removePlacementLeftovers } from './relink';

const execFileAsync = promisify(execFile);

export interface AddOptions {
  /** Targets are shell-style patterns (`data/*.csv`). */
  readonly glob?: boolean;
  /** Track the (single) target's content at this path instead (`-o/--out`): copied, then tracked there. */
  readonly out?: string;
  /** Write the `.dvc` file without putting the data into the cache. */
  readonly noCommit?: boolean;
  /** With `out`: overwrite what is already at that path (DVC's `-f/--force`). */
  readonly force?: boolean;
  /** Leave the workspace as it is instead of linking it from the cache (DVC's `--no-relink`). */
  readonly noRelink?: boolean;
}

export interface AddResult {
  /** The `.dvc` files written, relative to the cwd. */
  readonly dataFiles: readonly string[];
  /** The `.gitignore` files that hold the new entries, relative to the cwd. */
  readonly gitignores: readonly string[];
  /** Files whose md5 came from the memo (unchanged since they were last hashed), and files read. */
  readonly hashed: { readonly fromMemo: number; readonly read: number };
}

const GLOB_CHARACTERS = /[*?[]/;

/** Expands a shell-style pattern one path segment at a time, as Python's glob does (sorted). */
export async function expandGlob(cwd: string, pattern: string): Promise<string[]> {
  const absolute = path.isAbsolute(pattern);
  const segments = pattern.split('/').filter((segment) => segment !== '' && segment !== '.');
  let current = [absolute ? '/' : cwd];
  for (const segment of segments) {
    const next: string[] = [];
    for (const base of current) {
      if (!GLOB_CHARACTERS.test(segment)) {
        const candidate = path.join(base, segment);
        if (existsSync(candidate)) next.push(candidate);
        continue;
      }
      const isMatch = picomatch(segment);
      const names = await readdir(base).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (!name.startsWith('.') && isMatch(name)) next.push(path.join(base, name));
      }
    }
    current = next;
  }
  return current;
}

/** Refuses a path that a pipeline stage outputs (or that overlaps one), as DVC does. */
function refuseStageOutput(pipeline: Pipeline, absolute: string, shown: string): void {
  const overlapping = pipeline.outputs
    .overlapping(absolute)
    .filter((entry) => entry.stage.kind === 'pipeline');
  const first = overlapping[0];
  if (!first) return;
  throw new TvcError(
    'OVERLAPPING_OUTPUT',
    `cannot update '${shown}': overlaps with an output of stage: '${first.stage.name}' in '${first.stage.file}'.`,
    { hint: 'run the pipeline (`tvc repro`), or use `tvc commit` to force update it' },
  );
}

/** Refuses a path git tracks (DVC's OutputAlreadyTrackedError). */
async function refuseGitTracked(tvc: Tvc, absolute: string, shown: string): Promise<void> {
  const gitRoot = tvc.scmRoot;
  if (!gitRoot || !isWithin(gitRoot, absolute)) return;
  const relative = toPosix(path.relative(gitRoot, absolute)) || '.';
  const { stdout } = await execFileAsync('git', ['ls-files', '-z', '--', relative], { cwd: gitRoot });
  if (stdout.length === 0) return;
  throw new TvcError('TRACKED_BY_GIT', `output '${shown}' is already tracked by SCM (e.g. Git)`, {
    hint: `remove it from git, then add it: git rm -r --cached '${shown}' && git commit -m "stop tracking ${shown}"`,
  });
}

interface Planned {
  readonly source: string;
  readonly dest: string;
  readonly shown: string;
  /** The `.dvc` file that tracks `dest` (an existing one when it is already tracked). */
  readonly dataFile: string;
  /** `dest` as that file writes it. */
  readonly outPath: string;
}

/**
 * Where a target is tracked, as DVC decides: a path already tracked by a `.dvc` file (or inside
 * a directory one tracks) updates that file's output; a directory holding outputs of other `.dvc`
 * files is refused; anything else gets `<path>.dvc` beside it.
 */
function dataTarget(
  tvc: Tvc,
  pipeline: Pipeline,
  dest: string,
): { dest: string; dataFile: string; outPath: string } {
  const tracked = pipeline.outputs.overlapping(dest).filter((entry) => entry.stage.kind === 'data');
  const enclosing = tracked.find((entry) => isWithin(entry.output.absolute, dest));
  if (enclosing) {
    return {
      dest: enclosing.output.absolute,
      dataFile: path.join(tvc.root, enclosing.stage.file),
      outPath: enclosing.output.path,
    };
  }
  const inside = tracked[0];
  if (inside) {
    const shown = toPosix(path.relative(tvc.cwd, dest));
    const other = toPosix(path.relative(tvc.cwd, inside.output.absolute));
    throw new TvcError(
      'OVERLAPPING_OUTPUT',
      `Cannot add '${shown}', because it is overlapping with other DVC tracked output: '${other}'.`,
      {
        hint: `to include '${other}' in '${shown}', run 'tvc remove ${toPosix(path.relative(tvc.cwd, path.join(tvc.root, inside.stage.file)))}' and then 'tvc add ${shown}'`,
      },
    );
  }
  return { dest, dataFile: `${dest}${DATA_FILE_SUFFIX}`, outPath: path.basename(dest) };
}

/**
 * `tvc add`: tracks files and directories as `dvc add` does — each one's objects (a directory's
 * `.dir` manifest too) saved into the cache, then its `<name>.dvc` file written atomically beside
 * it (so a `.dvc` file never names an object the cache lacks), then its `.gitignore` line. Every
 * target is checked before anything is written. Hashes go through the memo: re-adding a
 * directory reads only the files that changed.
 */
export async function addData(
  tvc: Tvc,
  targets: readonly string[],
  options: AddOptions = {},
): Promise<AddResult> {
  if (targets.length === 0)
    throw new TvcError('USAGE', 'nothing to add', { hint: 'name files or directories' });
  if (options.out !== undefined && targets.length > 1) {
    throw new TvcError('USAGE', '-o/--out takes a single target', { hint: 'add the targets one at a time' });
  }
  const sources: string[] = [];
  for (const target of targets) {
    if (!options.glob) {
      sources.push(path.resolve(tvc.cwd, target));
      continue;
    }
    const matched = await expandGlob(tvc.cwd, target);
    if (matched.length === 0) {
      throw new TvcError('TARGET_NOT_FOUND', `Cannot find any files or directories matching '${target}'`, {
        hint: 'check the pattern (it is matched from the current directory)',
      });
    }
    sources.push(...matched);
  }
  const pipeline = await loadCheckedPipeline(tvc);
  const planned: Planned[] = [];
  for (const source of sources) {
    const dest = options.out === undefined ? source : path.resolve(tvc.cwd, options.out);
    const shown = toPosix(path.relative(tvc.cwd, dest));
    if (!existsSync(source)) {
      throw new TvcError(
        'OUTPUT_NOT_FOUND',
        `output '${toPosix(path.relative(tvc.cwd, source))}' does not exist`,
        {
          hint: 'check the path',
        },
      );
    }
    if (!isWithin(tvc.root, dest) || dest === tvc.root || isWithin(path.join(tvc.root, '.dvc'), dest)) {
      throw new TvcError(
        'PATH_OUTSIDE_REPO',
        `cannot add '${shown}': it is not a path inside the repository`,
        {
          hint: 'tvc tracks paths inside the repository (not the repository itself or .dvc/)',
        },
      );
    }
    if (path.basename(dest).endsWith(DATA_FILE_SUFFIX) || path.basename(dest) === '.git') {
      throw new TvcError('INVALID_TARGET', `cannot add '${shown}': it is a DVC or git metadata file`);
    }
    if (options.out !== undefined && !existsSync(path.dirname(dest))) {
      throw new TvcError('OUTPUT_NOT_FOUND', `stage working dir '${path.dirname(dest)}' does not exist`, {
        hint: 'create the directory -o names first',
      });
    }
    if (options.out !== undefined && !options.force && existsSync(dest)) {
      throw new TvcError('OUTPUT_EXISTS', `The file '${shown}' already exists locally.`, {
        hint: "To override it, re-run with '--force'.",
      });
    }
    refuseStageOutput(pipeline, dest, path.basename(dest));
    await refuseGitTracked(tvc, dest, shown);
    const target = dataTarget(tvc, pipeline, dest);
    planned.push({ source: source === dest ? target.dest : source, shown, ...target });
  }

  const lock = RepoLock.acquire(tvc.root, 'add');
  const workspace = new Workspace(tvc.root);
  const dataFiles: string[] = [];
  const gitignores = new Set<string>();
  try {
    for (const { source, dest, dataFile, outPath } of planned) {
      await removePlacementLeftovers(source);
      const saving = !options.noCommit || source !== dest;
      const hash: PathHash | undefined = await workspace.hash(source, { forSave: saving });
      if (!hash)
        throw new TvcError(
          'OUTPUT_NOT_FOUND',
          `output '${toPosix(path.relative(tvc.cwd, source))}' does not exist`,
        );
      if (saving) await workspace.save(source, hash);
      if (source !== dest) await workspace.checkout(hash.md5, dest);
      else if (!options.noCommit && !options.noRelink) await relinkSaved(workspace, dest, hash);
      await writeDataFile(dataFile, [{ path: outPath, hash }]);
      dataFiles.push(toPosix(path.relative(tvc.cwd, dataFile)));
      if (tvc.scmRoot) {
        for (const changed of await addToGitignore(tvc.root, [dest], { gitRoot: tvc.scmRoot })) {
          gitignores.add(toPosix(path.relative(tvc.cwd, path.join(tvc.root, changed))));
        }
      }
    }
  } finally {
    await workspace.close().catch(() => {});
    lock.release();
  }
  const { hits, misses } = (await workspace.memo()).stats;
  return { dataFiles, gitignores: [...gitignores], hashed: { fromMemo: hits, read: misses } };
}
