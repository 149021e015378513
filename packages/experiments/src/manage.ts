import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { commitStages, LockFile, RepoLock, resolveTargets, type Tvc, TvcError, Workspace } from '@tvc/core';
import { resolveExperimentOrCheckpoint } from './checkpoint';
import { commitExperiment, experimentHash, experimentPaths } from './commit';
import type { Git } from './git';
import { chooseName } from './names';
import { APPLY_HEAD, EXEC_APPLY, type ExpRef, listExperiments, resolveExperiment } from './refs';
import { baselineOf, gitOf } from './run';

// ─── list ────────────────────────────────────────────────────────────────────────────────────────

export interface ListOptions {
  /** `--rev`: baselines (default HEAD). */
  readonly revs?: readonly string[];
  /** `-n`: this many first-parent commits from each rev (negative: all). */
  readonly num?: number;
  /** `-A`: every baseline. */
  readonly all?: boolean;
}

export interface ListedBaseline {
  readonly baseline: string;
  /** As DVC describes it: HEAD's branch, else a tag, else a branch, else undefined. */
  readonly label: string | undefined;
  readonly experiments: readonly ExpRef[];
}

/** `exp list`: experiments grouped by baseline (refs read with one `for-each-ref`). */
export async function listByBaseline(git: Git, options: ListOptions = {}): Promise<ListedBaseline[]> {
  const experiments = await listExperiments(git);
  let wanted: Set<string> | undefined;
  if (!options.all) {
    wanted = new Set();
    const num = options.num ?? 1;
    for (const rev of options.revs && options.revs.length > 0 ? options.revs : ['HEAD']) {
      const args = ['rev-list', '--first-parent', ...(num >= 0 ? ['-n', String(num)] : []), rev, '--'];
      const resolved = await git.resolveCommit(rev);
      if (!resolved) throw new TvcError('UNKNOWN_REVISION', `unknown Git revision '${rev}'`);
      for (const sha of (await git.raw(args)).split('\n')) if (sha) wanted.add(sha);
    }
  }
  const groups = new Map<string, ExpRef[]>();
  for (const exp of experiments) {
    if (wanted && !wanted.has(exp.baseline)) continue;
    const group = groups.get(exp.baseline) ?? [];
    group.push(exp);
    groups.set(exp.baseline, group);
  }
  const labels = await describe(git, [...groups.keys()]);
  return [...groups].map(([baseline, list]) => ({
    baseline,
    label: labels.get(baseline),
    experiments: list,
  }));
}

/** Names commits as DVC's `describe`: HEAD's branch, then tags, then branches (one for-each-ref). */
export async function describe(git: Git, shas: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (shas.length === 0) return names;
  const head = await git.resolveCommit('HEAD');
  const branch = await git.currentBranch();
  const tags = new Map<string, string>();
  const branches = new Map<string, string>();
  const out = await git.raw([
    'for-each-ref',
    '--format=%(objectname) %(*objectname) %(refname)',
    'refs/heads/',
    'refs/tags/',
  ]);
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [sha, peeled, ref] = line.split(' ') as [string, string, string];
    const target = peeled || sha;
    if (ref.startsWith('refs/tags/') && !tags.has(target)) tags.set(target, ref.slice('refs/tags/'.length));
    if (ref.startsWith('refs/heads/') && !branches.has(target))
      branches.set(target, ref.slice('refs/heads/'.length));
  }
  for (const sha of shas) {
    const name = sha === head && branch ? branch : (tags.get(sha) ?? branches.get(sha));
    if (name) names.set(sha, name);
  }
  return names;
}

// ─── remove ──────────────────────────────────────────────────────────────────────────────────────

export interface RemoveOptions {
  readonly names?: readonly string[];
  readonly revs?: readonly string[];
  readonly num?: number;
  readonly all?: boolean;
  /** Remove every other experiment instead of the selected ones (DVC's `--keep`). */
  readonly keep?: boolean;
}

/** `exp remove`: deletes the refs (in one `update-ref --stdin`); returns the names removed. */
export async function removeExperiments(git: Git, options: RemoveOptions): Promise<string[]> {
  const experiments = await listExperiments(git);
  let chosen: ExpRef[];
  if (options.all) chosen = experiments;
  else if (options.revs && options.revs.length > 0) {
    chosen = (await listByBaseline(git, { revs: options.revs, num: options.num })).flatMap((group) => [
      ...group.experiments,
    ]);
  } else {
    chosen = [];
    const unresolved: string[] = [];
    for (const name of options.names ?? []) {
      const found = await resolveExperiment(git, name, experiments).catch((error: unknown) => {
        if (error instanceof TvcError && error.code === 'EXP_NOT_FOUND') return undefined;
        throw error;
      });
      if (found) chosen.push(found);
      else unresolved.push(name);
    }
    if (unresolved.length > 0) {
      throw new TvcError(
        'EXP_NOT_FOUND',
        unresolved.length > 1
          ? `'${unresolved.join('; ')}' are not valid experiment names`
          : `'${unresolved[0]}' is not a valid experiment name`,
      );
    }
  }
  if (options.keep) {
    const kept = new Set(chosen.map((exp) => exp.ref));
    chosen = experiments.filter((exp) => !kept.has(exp.ref));
  }
  const refs = [...new Set(chosen.map((exp) => exp.ref))];
  const applied = await git.resolveCommit(EXEC_APPLY);
  const extra = applied && chosen.some((exp) => exp.sha === applied) ? [EXEC_APPLY] : [];
  await git.deleteRefs([...refs, ...extra]);
  return chosen.map((exp) => exp.name);
}

// ─── branch ──────────────────────────────────────────────────────────────────────────────────────

/** `exp branch`: a git branch at the experiment's commit (default name `<exp>-branch`). */
export async function branchExperiment(
  git: Git,
  query: string,
  branch?: string,
): Promise<{ branch: string; experiment: ExpRef }> {
  const experiment = await resolveExperiment(git, query);
  const name = branch || `${experiment.name}-branch`;
  const ref = `refs/heads/${name}`;
  if (await git.resolveCommit(ref))
    throw new TvcError('BRANCH_EXISTS', `Git branch '${name}' already exists.`);
  const { code } = await git.withInput(['check-ref-format', ref], '');
  if (code !== 0) throw new TvcError('INVALID_ARGUMENT', `'${name}' is not a valid branch name`);
  await git.updateRef(ref, experiment.sha, `dvc: Created from experiment '${experiment.name}'`, '');
  return { branch: name, experiment };
}

// ─── apply ───────────────────────────────────────────────────────────────────────────────────────

/** Where `exp apply --force` saves the uncommitted work it overwrites. */
export const APPLY_SAVED = 'refs/exps/apply/tvc-workspace';

export interface ApplyResult {
  readonly experiment: ExpRef;
  /** Files written or removed. */
  readonly changed: readonly string[];
  /** With `force`: the uncommitted files overwritten, saved in {@link APPLY_SAVED}. */
  readonly saved: readonly string[];
}

/**
 * `exp apply`: makes the workspace the experiment's files (HEAD, the branch and the index do not
 * move), then checks out its cached outputs. Uncommitted work the experiment would overwrite — a
 * file that differs from HEAD and whose content git does not hold anywhere — stops it with the
 * list of files, unless `force`, which first saves those files in a commit at
 * `refs/exps/apply/tvc-workspace`. (DVC overwrites such files and keeps them in its apply stash.)
 */
export async function applyExperiment(
  tvc: Tvc,
  query: string,
  options: { force?: boolean } = {},
): Promise<ApplyResult> {
  const { git } = gitOf(tvc);
  const baseline = await baselineOf(git);
  const experiment = await resolveExperimentOrCheckpoint(git, query);
  const [expTree, headTree] = await Promise.all([git.tree(experiment.sha), git.tree(baseline)]);
  const status = await git.raw(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']);
  const dirty = new Set<string>();
  for (const record of status.split('\0')) if (record.length > 3) dirty.add(record.slice(3));

  // What the workspace holds now, for every path the experiment or the dirty state touches
  const candidates = new Set<string>();
  for (const [file, entry] of expTree)
    if (headTree.get(file)?.sha !== entry.sha || dirty.has(file)) candidates.add(file);
  for (const file of headTree.keys()) if (!expTree.has(file)) candidates.add(file);
  const present = [...candidates].filter((file) => existsSync(path.join(git.root, file)));
  const hashes =
    present.length > 0
      ? (await git.withInput(['hash-object', '--stdin-paths'], `${present.join('\n')}\n`)).stdout.split('\n')
      : [];
  const current = new Map(present.map((file, index) => [file, hashes[index]!]));

  const writes: string[] = [];
  const removals: string[] = [];
  for (const file of candidates) {
    const want = expTree.get(file)?.sha;
    const have = current.get(file);
    if (want === have) continue;
    if (want === undefined) {
      if (have !== undefined && headTree.has(file)) removals.push(file);
    } else writes.push(file);
  }
  // Uncommitted work at risk: a dirty file we would change whose content git holds nowhere
  const touched = [...writes, ...removals].filter((file) => dirty.has(file) && current.has(file));
  const known = await git.existing(touched.map((file) => current.get(file)!));
  const atRisk = touched.filter((file) => !known.has(current.get(file)!));
  if (atRisk.length > 0 && !options.force) {
    throw new TvcError(
      'EXP_APPLY_CONFLICT',
      `applying '${query}' would overwrite uncommitted changes to: ${atRisk.join(', ')}`,
      {
        hint: 'commit or stash them (git stash -u), or pass --force to save them in refs/exps/apply/tvc-workspace and apply',
      },
    );
  }
  if (atRisk.length > 0) await saveWorkspace(git, baseline, atRisk, query);

  // All or nothing: the files are written with their old contents kept, every output the
  // experiment records is verified in the cache before any output is touched, and outputs are
  // moved aside before being replaced. A missing or corrupt object puts everything back.
  const before = await snapshotFiles(git.root, [...writes, ...removals]);
  try {
    for (const file of writes) {
      const target = path.join(git.root, file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeBytesAtomic(
        target,
        await blobBytes(git, expTree.get(file)!.sha),
        expTree.get(file)!.mode === '100755' ? 0o755 : 0o644,
      );
    }
    for (const file of removals) await rm(path.join(git.root, file), { force: true });
    await checkoutOutputs(tvc);
  } catch (error) {
    await restoreFiles(git.root, before);
    throw error;
  }
  await git.updateRef(APPLY_HEAD, baseline, 'tvc: exp apply');
  await git.updateRef(EXEC_APPLY, experiment.sha, 'tvc: exp apply');
  return { experiment, changed: [...writes, ...removals].sort(), saved: atRisk };
}

/** A file's bytes and mode before `exp apply`, or undefined when it did not exist. */
type FileSnapshot =
  | { readonly file: string; readonly bytes: Buffer; readonly mode: number }
  | { readonly file: string; readonly bytes?: undefined };

async function snapshotFiles(root: string, files: readonly string[]): Promise<FileSnapshot[]> {
  return Promise.all(
    files.map(async (file): Promise<FileSnapshot> => {
      const absolute = path.join(root, file);
      try {
        const [bytes, stats] = await Promise.all([readFile(absolute), stat(absolute)]);
        return { file, bytes, mode: stats.mode & 0o777 };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file };
        throw error;
      }
    }),
  );
}

/** Puts files back as {@link snapshotFiles} found them (each written atomically). */
async function restoreFiles(root: string, snapshots: readonly FileSnapshot[]): Promise<void> {
  for (const snapshot of snapshots) {
    const absolute = path.join(root, snapshot.file);
    if (snapshot.bytes === undefined) {
      await rm(absolute, { force: true });
      continue;
    }
    await mkdir(path.dirname(absolute), { recursive: true });
    await writeBytesAtomic(absolute, snapshot.bytes, snapshot.mode);
  }
}

/** Writes `bytes` with `mode` through a temporary file beside `file` and a rename. */
async function writeBytesAtomic(file: string, bytes: Buffer, mode: number): Promise<void> {
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await writeFile(temporary, bytes, { mode });
    await chmod(temporary, mode);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** A blob's exact bytes (binary files must not go through a string). */
async function blobBytes(git: Git, sha: string): Promise<Buffer> {
  const { spawnSync } = await import('node:child_process');
  const result = spawnSync('git', ['cat-file', 'blob', sha], { cwd: git.root, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new TvcError('GIT_FAILED', `git cat-file blob ${sha} failed`);
  return result.stdout;
}

/** Commits HEAD's tree plus these workspace files (temporary index) at {@link APPLY_SAVED}. */
async function saveWorkspace(
  git: Git,
  baseline: string,
  files: readonly string[],
  query: string,
): Promise<void> {
  const index = `${await git.gitPath('index')}.tvc-apply-${process.pid}`;
  const env = { GIT_INDEX_FILE: index };
  try {
    await git.raw(['read-tree', baseline], env);
    await git.raw(['add', '-f', '--', ...files], env);
    const tree = (await git.raw(['write-tree'], env)).trim();
    const sha = (
      await git.raw(['commit-tree', tree, '-p', baseline, '-m', `tvc: workspace before applying '${query}'`])
    ).trim();
    await git.updateRef(APPLY_SAVED, sha, `tvc: exp apply ${query}`);
  } finally {
    await rm(index, { force: true });
  }
}

/** A cached output dvc.lock or a `.dvc` file records, with its hash. */
interface RecordedOutput {
  /** As the user knows it (relative to the DVC root). */
  readonly display: string;
  readonly absolute: string;
  readonly md5: string;
}

/** Every cached output with a recorded hash: pipeline stages' (dvc.lock) and `.dvc` files'. */
async function recordedOutputs(tvc: Tvc): Promise<RecordedOutput[]> {
  const pipeline = await tvc.loadPipeline();
  const locks = new Map<string, LockFile | undefined>();
  const found: RecordedOutput[] = [];
  for (const stage of pipeline.stages) {
    let recorded: ReadonlyMap<string, string | undefined>;
    if (stage.kind === 'data') {
      recorded = new Map(stage.outs.map((out) => [out.path, out.properties.md5 as string | undefined]));
    } else {
      const display = path.posix.join(path.posix.dirname(stage.file), 'dvc.lock');
      if (!locks.has(display)) {
        const absolute = path.join(tvc.root, display);
        locks.set(display, existsSync(absolute) ? await LockFile.read(absolute, display) : undefined);
      }
      const entry = locks.get(display)?.get(stage.name);
      recorded = new Map((entry?.outs ?? []).map((item) => [item.path, item.md5]));
    }
    for (const out of stage.outs) {
      const md5 = recorded.get(out.path);
      if (!out.cache || typeof md5 !== 'string') continue;
      found.push({ display: out.repoPath ?? out.path, absolute: out.absolute, md5 });
    }
  }
  return found;
}

/**
 * Checks out the cached outputs the (applied) dvc.lock and `.dvc` files record, but for those the
 * workspace already holds. Every object needed is verified first: a missing or corrupt one stops it before any output is touched, naming them all.
 * Each output is moved aside before being replaced and put back if a checkout fails.
 */
async function checkoutOutputs(tvc: Tvc): Promise<void> {
  const workspace = new Workspace(tvc.root);
  const outputs: RecordedOutput[] = [];
  const problems: string[] = [];
  for (const out of await recordedOutputs(tvc)) {
    // already what is recorded: nothing to check out, and its object is not needed (as DVC)
    const current = await workspace.hash(out.absolute).catch(() => undefined);
    if (current?.md5 === out.md5) continue;
    outputs.push(out);
    const { status, problem } = await workspace.diagnose(out.md5);
    if (status === 'missing') problems.push(out.display);
    if (status === 'corrupt')
      problems.push(`${out.display} (its cache object is corrupt: ${problem ?? out.md5})`);
  }
  if (problems.length > 0) throw checkoutFailed(problems);
  const aside = path.join(tvc.root, '.dvc', 'tmp', `exp-apply-${process.pid}`);
  const moved: { from: string; to: string }[] = [];
  const written: string[] = [];
  try {
    for (const [index, out] of outputs.entries()) {
      const stats = await lstat(out.absolute).catch(() => undefined);
      if (stats) {
        const to = path.join(aside, String(index));
        await mkdir(aside, { recursive: true });
        try {
          await rename(out.absolute, to);
          moved.push({ from: out.absolute, to });
        } catch {
          await rm(out.absolute, { recursive: true, force: true }); // another filesystem: not kept
        }
      }
      written.push(out.absolute);
      try {
        await workspace.checkout(out.md5, out.absolute);
      } catch (error) {
        // the hash package's HashError (found missing or corrupt as it links)
        const code = (error as { code?: unknown }).code;
        if (code === 'CACHE_MISSING' || code === 'CACHE_CORRUPT') {
          throw checkoutFailed([
            code === 'CACHE_MISSING' ? out.display : `${out.display} (its cache object is corrupt)`,
          ]);
        }
        throw error;
      }
    }
  } catch (error) {
    for (const file of written) await rm(file, { recursive: true, force: true });
    for (const { from, to } of moved.reverse()) {
      await mkdir(path.dirname(from), { recursive: true });
      await rename(to, from);
    }
    throw error;
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
}

/** DVC's words for outputs it cannot check out, and what to do. */
function checkoutFailed(targets: readonly string[]): TvcError {
  return new TvcError(
    'CHECKOUT_FAILED',
    `Checkout failed for following targets:\n${targets.join('\n')}\nIs your cache up to date?`,
    {
      hint: 'nothing was changed. Fetch the objects with `tvc exp pull <git remote> <name>` or `tvc pull`, or make them again: run the experiment again (`tvc exp run` with its params), or `tvc repro` after checking out its files',
    },
  );
}

// ─── save ────────────────────────────────────────────────────────────────────────────────────────

export interface SaveOptions {
  readonly name?: string;
  readonly message?: string;
  readonly force?: boolean;
  /** `-I`: untracked paths to include. */
  readonly include?: readonly string[];
  /** `.dvc` files and stages named (checked to exist; every stage is committed anyway, as by DVC 3.67.1). */
  readonly targets?: readonly string[];
  /** A directory target means every `.dvc` file and stage below it (`-R`). */
  readonly recursive?: boolean;
}

/**
 * `exp save`: records the workspace as an experiment of HEAD without reproducing. As DVC's
 * (dvc/repo/experiments/executor/base.py `save`), every stage is committed first (`dvc commit
 * --force`: changed outputs hashed into the cache, dvc.lock and `.dvc` files updated from the
 * workspace), then the same files as `exp run` commits, plus the `-I` paths; `exp_hash` over
 * every stage's lock entry. Holds the repository lock throughout.
 */
export async function saveExperiment(
  tvc: Tvc,
  options: SaveOptions = {},
): Promise<{ name: string; ref: string; sha: string }> {
  const lock = RepoLock.acquire(tvc.root, 'exp save');
  try {
    const { git, prefix } = gitOf(tvc);
    const baseline = await baselineOf(git);
    const taken = new Set(
      (await listExperiments(git)).filter((exp) => exp.baseline === baseline).map((exp) => exp.name),
    );
    const name = await chooseName(git, baseline, taken, options.name, {
      force: options.force,
      command: 'save',
    });
    // DVC 3.67.1 commits every stage before it commits the targets (its workspace queue does), so
    // the targets change nothing recorded: they are only resolved, and a wrong one is refused.
    if ((options.targets ?? []).length > 0) {
      resolveTargets(await tvc.loadPipeline(), options.targets ?? [], {
        cwd: tvc.cwd,
        recursive: options.recursive,
        outputs: true,
      });
    }
    await commitStages(tvc, { lockHeld: true });
    const pipeline = await tvc.loadPipeline();
    const stages = pipeline.stages.filter((stage) => stage.kind === 'pipeline');
    const expHash = await experimentHash(tvc, stages);
    const paths = experimentPaths(pipeline, stages);
    const include = (options.include ?? []).map((file) =>
      path.relative(tvc.root, path.resolve(tvc.cwd, file)).split(path.sep).join('/'),
    );
    const committed = await commitExperiment(git, {
      baseline,
      name,
      message: options.message || `dvc: commit experiment ${expHash}`,
      force: options.force,
      prefix,
      command: 'save',
      paths: { forced: [...paths.forced, ...include], plain: paths.plain },
    });
    return { name, ref: committed.ref, sha: committed.sha };
  } finally {
    lock.release();
  }
}
