import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  isParamsMapping,
  type ParamsFileResult,
  type ParamsRevisionResult,
  type ParamsTree,
  selectParams,
} from '@tvc/params';
import { TvcError } from './errors';
import { DEFAULT_PARAMS_FILE, PIPELINE_FILE } from './loaders';
import { toPosix } from './paths';
import type { Pipeline } from './pipeline';
import type { Tvc } from './tvc';

export interface GatherParamsOptions {
  /** Only params that are stage dependencies (`--deps`): no top-level `params:`, no default `params.yaml`. */
  readonly depsOnly?: boolean;
  /**
   * Read these files whole instead of the pipeline's params (`--targets`; paths relative to the
   * DVC root, posix). Tracked vars are not added then.
   */
  readonly targets?: readonly string[];
  /**
   * Called with the params files (relative to the DVC root) before they are read: a revision
   * snapshot writes the ones it left out ({@link RevisionSnapshot.materialise}).
   */
  readonly beforeRead?: (files: readonly string[]) => Promise<unknown>;
}

/** Which params files to read, and which keys of each (`[]`: the whole file), in first-seen order. */
export type ParamsFileKeys = Map<string, string[]>;

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The params files `dvc params diff` reads for a pipeline, as DVC's `_collect_params` gathers
 * them: every stage's params dependencies (listed keys, or the whole file), then — unless
 * `depsOnly` — each dvc.yaml's top-level `params:` and the root's `params.yaml` when it exists.
 * A file tracked whole anywhere is read whole. Paths relative to the DVC root, posix.
 */
export function collectParamsFiles(
  tvc: Pick<Tvc, 'root'>,
  pipeline: Pick<Pipeline, 'stages' | 'files'>,
  options: Pick<GatherParamsOptions, 'depsOnly'> = {},
): ParamsFileKeys {
  const entries: [string, readonly string[]][] = [];
  for (const stage of pipeline.stages) {
    for (const params of stage.params) {
      entries.push([toPosix(path.relative(tvc.root, params.absolute)), params.keys ?? []]);
    }
  }
  if (!options.depsOnly) {
    for (const file of pipeline.files) {
      const listed = file.topLevel.params;
      if (file.kind !== 'pipeline' || !Array.isArray(listed)) continue;
      const directory = path.posix.dirname(file.file);
      for (const item of listed) {
        if (typeof item === 'string')
          entries.push([path.posix.normalize(path.posix.join(directory, item)), []]);
      }
    }
    if (existsSync(path.join(tvc.root, DEFAULT_PARAMS_FILE))) entries.push([DEFAULT_PARAMS_FILE, []]);
  }
  return mergeParamsFileKeys(entries);
}

/** DVC's `_merge_params`: keys of a file are concatenated, but a file tracked whole anywhere stays whole. */
export function mergeParamsFileKeys(entries: Iterable<readonly [string, readonly string[]]>): ParamsFileKeys {
  const list = [...entries];
  const whole = new Set(list.filter(([, keys]) => keys.length === 0).map(([file]) => file));
  const merged: ParamsFileKeys = new Map();
  for (const [file, keys] of list) {
    const known = merged.get(file) ?? [];
    merged.set(file, whole.has(file) ? [] : [...known, ...keys]);
  }
  return merged;
}

/**
 * DVC's `try_expand_paths`, shared by params and metrics: a directory stands for every file below
 * it (relative to the DVC root, sorted), a file for itself.
 */
export async function expandRepoPath(root: string, repoPath: string): Promise<string[]> {
  const absolute = path.join(root, repoPath);
  try {
    if (!(await stat(absolute)).isDirectory()) return [repoPath];
    const entries = await readdir(absolute, { recursive: true, withFileTypes: true });
    // DVC's file system does not list pipeline files, nor what `.git` and `.dvc` hold.
    return entries
      .filter((entry) => entry.isFile() && entry.name !== 'dvc.yaml' && entry.name !== '.dvcignore')
      .map((entry) => toPosix(path.relative(root, path.join(entry.parentPath, entry.name))))
      .filter((file) => !file.split('/').some((part) => part === '.git' || part === '.dvc'))
      .sort();
  } catch {
    return [repoPath];
  }
}

/**
 * Reads the params of a repository as `dvc params diff` shows one revision: each params file's
 * data (only the listed keys when it is not tracked whole) or the error reading it, plus the
 * values of "tracked vars" (keys used by `${}` templating) from files not already read. When the
 * pipeline does not load — or a dvc.yaml's `params.yaml`, which templating reads, does not
 * parse — the whole revision is an error, as in DVC. Paths relative to the DVC root, posix.
 */
export async function gatherParams(
  tvc: Tvc,
  options: GatherParamsOptions = {},
): Promise<ParamsRevisionResult> {
  let pipeline: Pipeline | undefined;
  let wanted: ParamsFileKeys;
  if (options.targets && options.targets.length > 0) {
    wanted = mergeParamsFileKeys(options.targets.map((target) => [target, []] as const));
  } else {
    try {
      pipeline = await tvc.loadPipeline({ tolerateOverlaps: true });
    } catch (error) {
      return { files: {}, error: asError(error) };
    }
    wanted = collectParamsFiles(tvc, pipeline, options);
  }
  const reads = new Map<string, Promise<ParamsTree>>();
  const read = (repoPath: string): Promise<ParamsTree> => {
    let pending = reads.get(repoPath);
    if (!pending) {
      pending = tvc.readParams(path.join(tvc.root, repoPath));
      reads.set(repoPath, pending);
    }
    return pending;
  };
  if (pipeline) {
    // DVC parses each dvc.yaml with its directory's params.yaml as the templating context.
    for (const file of pipeline.files) {
      if (file.kind !== 'pipeline' || path.posix.basename(file.file) !== PIPELINE_FILE) continue;
      const defaults = path.posix.join(path.posix.dirname(file.file), DEFAULT_PARAMS_FILE);
      if (!existsSync(path.join(tvc.root, defaults))) continue;
      try {
        await read(defaults);
      } catch (error) {
        return { files: {}, error: asError(error) };
      }
    }
  }
  await options.beforeRead?.([...wanted.keys()]);
  const files: Record<string, ParamsFileResult> = {};
  const expanded = await Promise.all(
    [...wanted].map(async ([file, keys]) => ({ files: await expandRepoPath(tvc.root, file), keys })),
  );
  const results = await Promise.all(
    expanded.flatMap(({ files: paths, keys }) =>
      paths.map(async (repoPath): Promise<[string, ParamsFileResult]> => {
        try {
          const tree = await read(repoPath);
          return [repoPath, { data: keys.length > 0 ? selectParams(tree, keys) : tree }];
        } catch (error) {
          return [repoPath, { error: asError(error) }];
        }
      }),
    ),
  );
  for (const [repoPath, result] of results) files[repoPath] = result;
  if (pipeline) {
    for (const [file, values] of trackedVars(tvc, pipeline)) {
      if (!Object.hasOwn(files, file)) files[file] = { data: values };
    }
  }
  return { files };
}

/**
 * The "tracked vars" of every stage (keys used by `${}` templating, with their values), merged by
 * file: `Stage.trackedVars`, files relative to the DVC root.
 */
export function trackedVars(
  tvc: Pick<Tvc, 'root'>,
  pipeline: Pick<Pipeline, 'stages'>,
): Map<string, Record<string, unknown>> {
  const merged = new Map<string, Record<string, unknown>>();
  for (const stage of pipeline.stages) {
    // Read defensively: the field is optional and only set by the templating plugin.
    const tracked: unknown = (stage as { trackedVars?: unknown }).trackedVars;
    if (!isParamsMapping(tracked)) continue;
    for (const [file, values] of Object.entries(tracked)) {
      if (!isParamsMapping(values)) continue;
      const repoPath = path.isAbsolute(file)
        ? toPosix(path.relative(tvc.root, file))
        : path.posix.normalize(toPosix(file));
      merged.set(repoPath, { ...(merged.get(repoPath) ?? {}), ...values });
    }
  }
  return merged;
}

/** DVC's refusal outside git (`params diff` compares git revisions). */
export function notAGitRepository(): TvcError {
  return new TvcError(
    'NOT_A_GIT_REPO',
    "Only supported for Git repositories. If you're seeing this error in a Git repo, try updating the DVC configuration with `tvc config core.no_scm false`.",
    { hint: 'run `git init` first, or compare inside a git work tree' },
  );
}
