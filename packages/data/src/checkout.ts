import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  type ProducedOutput,
  RepoLock,
  resolveTargets,
  type Tvc,
  TvcError,
  toPosix,
  Workspace,
} from '@tvc/core';
import type { PathHash } from '@tvc/hash';
import { loadCheckedPipeline, type RecordedOutput, recordedOutputs, withUpstream } from './recorded';

export interface CheckoutOptions {
  /** Overwrite or remove workspace files whose content the cache lacks. */
  readonly force?: boolean;
  /** Link anew the files of unchanged outputs that are not linked as `cache.type` asks (DVC's relink). */
  readonly relink?: boolean;
  /** A directory target means every `.dvc` file and stage below it. */
  readonly recursive?: boolean;
  /** The targets' upstream stages too (DVC's `--with-deps`). */
  readonly withDeps?: boolean;
}

export interface CheckoutStats {
  /** Files, counted one by one inside directories, as DVC counts them. */
  readonly added: number;
  readonly modified: number;
  readonly deleted: number;
}

export interface CheckoutSummary {
  /** Outputs put back where nothing was, relative to the cwd (a directory ends with '/'). */
  readonly added: readonly string[];
  /** Outputs whose content was replaced by the recorded one. */
  readonly modified: readonly string[];
  readonly deleted: readonly string[];
  /** Outputs whose object the cache lacks or holds corrupt: skipped, never linked. */
  readonly failed: readonly string[];
  readonly stats: CheckoutStats;
}

interface Plan {
  /** The object to place and where (a whole output, or a file inside a directory output). */
  readonly md5: string;
  readonly absolute: string;
  readonly isexec: boolean;
  readonly display: string;
  readonly state: 'added' | 'modified' | 'relink';
  readonly stats: CheckoutStats;
}

/**
 * The temporary file a placement cut short leaves (`.<name>.<pid>-<12 hex>.tmp`, @tvc/hash's
 * naming): never the user's, so the next checkout removes it without asking.
 */
const PLACEMENT_LEFTOVER = /^\..+\.\d+-[0-9a-f]{12}\.tmp$/;

/** Adds `file` to the unsaved files unless it is a leftover of an interrupted checkout. */
function keepSafe(unsaved: string[], file: string): void {
  if (!PLACEMENT_LEFTOVER.test(path.basename(file))) unsaved.push(file);
}

function placement(item: RecordedOutput): Pick<Plan, 'md5' | 'absolute' | 'isexec'> {
  return { md5: item.md5, absolute: item.output.absolute, isexec: item.isexec };
}

/** The files of `current` that a checkout of `md5` would overwrite or remove, and what changes. */
async function compare(
  workspace: Workspace,
  md5: string,
  current: PathHash,
): Promise<{ touched: { relpath: string; md5: string }[]; stats: CheckoutStats }> {
  if (!md5.endsWith('.dir')) {
    const touched =
      current.kind === 'file'
        ? [{ relpath: '', md5: current.md5 }]
        : current.entries.map((entry) => ({ relpath: entry.relpath, md5: entry.md5 }));
    return { touched, stats: { added: 0, modified: 1, deleted: 0 } };
  }
  const manifest = await workspace.cache.manifestEntries(md5);
  if (current.kind === 'file') {
    return {
      touched: [{ relpath: '', md5: current.md5 }],
      stats: { added: manifest.length, modified: 0, deleted: 1 },
    };
  }
  const wanted = new Map(manifest.map((entry) => [entry.relpath, entry.md5]));
  const have = new Map(current.entries.map((entry) => [entry.relpath, entry.md5]));
  const touched: { relpath: string; md5: string }[] = [];
  let added = 0;
  let modified = 0;
  let deleted = 0;
  for (const [relpath, hash] of have) {
    const want = wanted.get(relpath);
    if (want === undefined) deleted++;
    else if (want !== hash) modified++;
    else continue;
    touched.push({ relpath, md5: hash });
  }
  for (const relpath of wanted.keys()) if (!have.has(relpath)) added++;
  return { touched, stats: { added, modified, deleted } };
}

/**
 * `tvc checkout`: makes the workspace's data match the `.dvc` files and dvc.lock — outputs that
 * are missing are put back, changed ones replaced (by the configured link type). Everything is
 * planned before anything is written: a file whose content is not in the cache is never
 * overwritten or removed without `force` (the error names them all). An output whose object the
 * cache lacks or holds corrupt is skipped and reported in `failed`.
 */
export async function checkoutData(
  tvc: Tvc,
  targets: readonly string[] = [],
  options: CheckoutOptions = {},
): Promise<CheckoutSummary> {
  const pipeline = await loadCheckedPipeline(tvc);
  // A target inside a tracked directory checks out only what is under it, as DVC does.
  const whole: string[] = [];
  const inside: { absolute: string; owner: ProducedOutput }[] = [];
  for (const target of targets) {
    const absolute = path.resolve(tvc.cwd, target);
    const owner = pipeline.outputs
      .producing(absolute)
      .find((entry) => entry.output.cache && entry.output.absolute !== absolute);
    if (owner) inside.push({ absolute, owner });
    else whole.push(target);
  }
  let stages =
    whole.length > 0 || inside.length === 0
      ? resolveTargets(pipeline, whole, { cwd: tvc.cwd, recursive: options.recursive, outputs: true })
      : [];
  if (options.withDeps && whole.length > 0) stages = withUpstream(pipeline, stages);
  const recorded = await recordedOutputs(tvc, stages);
  const owners = await recordedOutputs(tvc, [...new Set(inside.map((entry) => entry.owner.stage))]);
  const lock = RepoLock.acquire(tvc.root, 'checkout');
  const workspace = new Workspace(tvc.root);
  const failed: string[] = [];
  const plans: Plan[] = [];
  const unsaved: string[] = [];
  try {
    for (const { absolute, owner } of inside) {
      const item = owners.find((candidate) => candidate.output === owner.output);
      if (!item?.md5.endsWith('.dir')) continue;
      const shown = toPosix(path.relative(tvc.cwd, absolute));
      if ((await workspace.verify(item.md5)) !== 'ok') {
        failed.push(shown);
        continue;
      }
      const sub = toPosix(path.relative(owner.output.absolute, absolute));
      const entries = (await workspace.cache.manifestEntries(item.md5)).filter(
        (entry) => entry.relpath === sub || entry.relpath.startsWith(`${sub}/`),
      );
      if (entries.length === 0) {
        throw new TvcError('TARGET_NOT_FOUND', `'${shown}' is not in the recorded '${owner.output.path}'`, {
          hint: 'name a file or directory the .dvc file or dvc.lock records',
        });
      }
      const display = `${toPosix(path.relative(tvc.cwd, owner.output.absolute))}/`;
      const state = existsSync(owner.output.absolute) ? 'modified' : 'added';
      for (const entry of entries) {
        const file = path.join(owner.output.absolute, ...entry.relpath.split('/'));
        const current = await workspace.hash(file);
        if (current?.md5 === entry.md5) continue;
        if (current?.kind === 'file' && !(await workspace.cache.has(current.md5))) keepSafe(unsaved, file);
        if (current?.kind === 'directory') {
          for (const held of current.entries) {
            if (!(await workspace.cache.has(held.md5)))
              keepSafe(unsaved, path.join(file, ...held.relpath.split('/')));
          }
        }
        plans.push({
          md5: entry.md5,
          absolute: file,
          isexec: false,
          display,
          state,
          stats: { added: current ? 0 : 1, modified: current ? 1 : 0, deleted: 0 },
        });
      }
    }
    for (const item of recorded) {
      const { output, md5 } = item;
      const isDirectory = md5.endsWith('.dir');
      const display = `${toPosix(path.relative(tvc.cwd, output.absolute))}${isDirectory ? '/' : ''}`;
      const current = await workspace.hash(output.absolute);
      if (current?.md5 === md5) {
        if (options.relink) {
          plans.push({
            ...placement(item),
            display,
            state: 'relink',
            stats: { added: 0, modified: 0, deleted: 0 },
          });
        }
        continue;
      }
      // as strictly as the checkout below checks (small objects read), which then reads none again
      if ((await workspace.verify(md5, { beforeCheckout: true })) !== 'ok') {
        failed.push(toPosix(path.relative(tvc.cwd, output.absolute)));
        continue;
      }
      if (!current) {
        const files = isDirectory ? (await workspace.cache.manifestEntries(md5)).length : 1;
        plans.push({
          ...placement(item),
          display,
          state: 'added',
          stats: { added: files, modified: 0, deleted: 0 },
        });
        continue;
      }
      const { touched, stats } = await compare(workspace, md5, current);
      for (const file of touched) {
        if (!(await workspace.cache.has(file.md5))) {
          keepSafe(
            unsaved,
            file.relpath ? path.join(output.absolute, ...file.relpath.split('/')) : output.absolute,
          );
        }
      }
      plans.push({ ...placement(item), display, state: 'modified', stats });
    }
    if (unsaved.length > 0 && !options.force) {
      throw new TvcError(
        'UNSAVED_CHANGES',
        `Can't remove the following unsaved files without confirmation:\n${unsaved
          .map((file) => toPosix(path.relative(tvc.cwd, file)))
          .join('\n')}`,
        { hint: 'commit them first (`tvc commit`), or overwrite them with `tvc checkout -f`' },
      );
    }
    const added: string[] = [];
    const modified: string[] = [];
    const stats = { added: 0, modified: 0, deleted: 0 };
    for (const plan of plans) {
      const { absolute, md5, isexec } = plan;
      await workspace.cache.checkout(md5, absolute, {
        linkTypes: workspace.linkTypes(),
        memo: await workspace.memo(),
        isexec,
        relink: options.relink ? 'needed' : undefined,
      });
      workspace.forget(absolute);
      if (plan.state === 'added' && !added.includes(plan.display)) added.push(plan.display);
      if (plan.state === 'modified' && !modified.includes(plan.display)) modified.push(plan.display);
      stats.added += plan.stats.added;
      stats.modified += plan.stats.modified;
      stats.deleted += plan.stats.deleted;
    }
    return { added, modified, deleted: [], failed, stats };
  } finally {
    await workspace.close().catch(() => {});
    lock.release();
  }
}
