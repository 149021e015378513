import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { HashError } from '@tvc/hash';
import { getParam, type ParamsTree, type ParamsValue, paramsEqual } from '@tvc/params';
import { TvcError } from './errors';
import { type LockEntry, LockFile, type LockItem } from './lockfile';
import { toPosix } from './paths';
import {
  type ExternalDependency,
  externalLabel,
  isRepoImport,
  type Stage,
  type StageOutput,
  type StageParams,
  type StagePath,
} from './stage';
import type { Tvc } from './tvc';
import type { Workspace } from './workspace';

export const LOCK_FILE = 'dvc.lock';

/** One stage's status, as `dvc status` computes it. Empty maps and false flags mean unchanged. */
export interface StageStatus {
  readonly stage: Stage;
  /** Dependencies by their path from the cwd: a status word, or for a params file, one per key. */
  readonly deps: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
  readonly outs: Readonly<Record<string, string>>;
  readonly alwaysChanged: boolean;
  readonly commandChanged: boolean;
  /** A `.dvc` file whose stage md5 does not match its content (DVC's `changed checksum`). */
  readonly checksumChanged?: boolean | undefined;
}

export function isChanged(status: StageStatus): boolean {
  return (
    Object.keys(status.deps).length > 0 ||
    Object.keys(status.outs).length > 0 ||
    status.alwaysChanged ||
    status.commandChanged ||
    status.checksumChanged === true
  );
}

/** DVC's JSON form: `[{"changed deps": …}, {"changed outs": …}, "always changed", "changed command"]`. */
export function dvcStatusEntry(status: StageStatus): (string | Record<string, unknown>)[] {
  const entry: (string | Record<string, unknown>)[] = [];
  if (Object.keys(status.deps).length > 0) entry.push({ 'changed deps': status.deps });
  if (Object.keys(status.outs).length > 0) entry.push({ 'changed outs': status.outs });
  if (status.alwaysChanged) entry.push('always changed');
  if (status.checksumChanged) entry.push('changed checksum');
  if (status.commandChanged) entry.push('changed command');
  return entry;
}

/**
 * A stage with `checkpoint: true` outputs (DVC 2): always changed, since a checkpoint output is
 * both what the command starts from and what it writes.
 */
export function isCheckpointStage(stage: Stage): boolean {
  return stage.outs.some((output) => output.checkpoint);
}

/** A stage with a command and neither dependencies nor outputs: DVC always runs it. */
export function isCallbackStage(stage: Stage): boolean {
  return (
    stage.cmd !== undefined &&
    stage.deps.length === 0 &&
    stage.externalDeps.length === 0 &&
    stage.params.length === 0 &&
    stage.outs.length === 0
  );
}

function sameCommand(locked: LockEntry['cmd'] | undefined, current: Stage['cmd']): boolean {
  if (Array.isArray(locked) !== Array.isArray(current)) return false;
  if (Array.isArray(locked) && Array.isArray(current)) {
    return locked.length === current.length && locked.every((command, index) => command === current[index]);
  }
  return locked === current;
}

/** The lock item recorded for a path as written, if any. */
export function lockItem(items: readonly LockItem[] | undefined, written: string): LockItem | undefined {
  return items?.find((item) => item.path === written);
}

/** The hash an output of a `.dvc` file records (they keep md5/size/nfiles beside the path). */
function dataFileItem(output: StageOutput): LockItem | undefined {
  const md5 = output.properties.md5;
  if (typeof md5 !== 'string') return undefined;
  return {
    path: output.path,
    md5,
    ...(typeof output.properties.hash === 'string' ? { hash: 'md5' as const } : {}),
  };
}

/** A `.dvc` file's recorded dependency (an import's source), read as dvc.lock's items are. */
function dataDepItem(stage: Stage, depPath: string): LockItem | undefined {
  const recorded = stage.recordedDeps?.find((item) => item.path === depPath);
  const md5 = recorded?.md5;
  if (typeof md5 !== 'string') return undefined;
  return {
    path: depPath,
    md5: md5.toLowerCase(),
    ...(typeof recorded?.hash === 'string' ? { hash: 'md5' as const } : {}),
  };
}

/** How many times a path that changes while it is hashed is hashed again before it counts as modified. */
const HASH_ATTEMPTS = 3;

function lstatOrUndefined(file: string) {
  try {
    return lstatSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined; // ENOTDIR: a directory above it is a file now
  }
}

/**
 * Whether a hashing failure comes from the path changing while it was hashed (a command writing
 * it right now): a file listed then removed, a file replaced by a directory or the reverse. A
 * failure about something that is still there as it was (a FIFO, a broken symlink) is not one.
 */
export function isHashRace(error: unknown): boolean {
  const { code, path: file } = error as { code?: unknown; path?: unknown };
  if (typeof code !== 'string' || typeof file !== 'string') return false;
  const now = lstatOrUndefined(file);
  switch (code) {
    case 'NOT_FOUND':
    case 'ENOENT':
      return now === undefined;
    case 'ENOTDIR':
      return now === undefined || !now.isDirectory();
    case 'NOT_A_FILE':
    case 'EISDIR':
      return now === undefined || now.isDirectory();
    case 'NOT_A_DIRECTORY':
      // hashPath found a directory there a moment before
      return true;
    default:
      return false;
  }
}

/** A hashing failure as the error the CLI reports (a HashError or an fs error is not a TvcError). */
function hashFailure(error: unknown, label: string): unknown {
  if (error instanceof TvcError) return error;
  if (error instanceof HashError) {
    return new TvcError('HASH_FAILED', `cannot hash '${label}': ${error.message}`, {
      hint: error.hint,
      cause: error,
    });
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('E')) {
    return new TvcError('HASH_FAILED', `cannot hash '${label}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  return error;
}

/**
 * Computes stage status against the lock files, reading each lock and params file once and
 * hashing each path once (through the workspace's memo, so unchanged files are not read).
 */
export class StatusChecker {
  readonly tvc: Tvc;
  readonly workspace: Workspace;
  readonly #locks = new Map<string, Promise<LockFile>>();
  readonly #params = new Map<string, Promise<ParamsTree>>();

  /** Whether a frozen import from another repository is checked for updates (`status --no-updates` turns it off). */
  readonly checkUpdates: boolean;

  constructor(tvc: Tvc, workspace: Workspace, options: { checkUpdates?: boolean } = {}) {
    this.tvc = tvc;
    this.workspace = workspace;
    this.checkUpdates = options.checkUpdates !== false;
  }

  /** The lock file beside a stage's dvc.yaml. */
  lockFile(stage: Stage): Promise<LockFile> {
    const file = path.join(path.dirname(path.join(this.tvc.root, stage.file)), LOCK_FILE);
    let pending = this.#locks.get(file);
    if (!pending) {
      pending = LockFile.read(file, toPosix(path.relative(this.tvc.root, file)), this.tvc.parsedValues);
      this.#locks.set(file, pending);
    }
    return pending;
  }

  async lockEntry(stage: Stage): Promise<LockEntry | undefined> {
    if (stage.kind !== 'pipeline') return undefined;
    return (await this.lockFile(stage)).get(stage.name);
  }

  /** A params file's tree, read once per checker (forget() after a stage may have changed it). */
  readParams(absolute: string): Promise<ParamsTree> {
    let pending = this.#params.get(absolute);
    if (!pending) {
      pending = this.tvc.readParams(absolute);
      this.#params.set(absolute, pending);
    }
    return pending;
  }

  /** Forgets what was read of `absolute` (a params file or a data path a stage just wrote). */
  forget(absolute: string): void {
    this.#params.delete(absolute);
    this.workspace.forget(absolute);
  }

  /**
   * How DVC names a path in status (`Output.__str__`): as written when absolute, the absolute path
   * when it lies outside the repository (`../raw.csv` → `/home/me/raw.csv`), else relative to the cwd.
   */
  label(target: StagePath): string {
    if (path.isAbsolute(target.path)) return target.path;
    if (target.repoPath === undefined) return target.absolute;
    return toPosix(path.relative(this.tvc.cwd, target.absolute)) || '.';
  }

  /**
   * `work` on a path that a running command may be rewriting: a failure that comes from the path
   * changing under it (see isHashRace) is retried, and after HASH_ATTEMPTS gives 'changing'; any
   * other failure is reported as a TvcError naming the path.
   */
  async #settled<T>(absolute: string, work: () => Promise<T>): Promise<T | 'changing'> {
    const label = toPosix(path.relative(this.tvc.cwd, absolute)) || '.';
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!isHashRace(error)) throw hashFailure(error, label);
        this.workspace.forget(absolute);
        if (attempt >= HASH_ATTEMPTS) return 'changing';
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }

  /** Whether the hash of what is at `absolute` matches `item` ('' when it does, else a status word). */
  async #compare(absolute: string, item: LockItem | undefined): Promise<'' | 'deleted' | 'modified'> {
    const current = await this.#settled(absolute, () => this.workspace.currentHash(absolute));
    // Still changing after a few attempts: something is writing it; it is not what was recorded.
    if (current === 'changing') return existsSync(absolute) ? 'modified' : 'deleted';
    if (!current) return 'deleted';
    if (!item?.md5) return 'modified';
    if (item.hash === undefined && current.kind === 'file') {
      // A DVC 2 entry: its md5 is md5-dos2unix (CRLF normalised in text files).
      const legacy = await this.#settled(absolute, () => this.workspace.legacyHash(absolute));
      if (legacy === 'changing') return existsSync(absolute) ? 'modified' : 'deleted';
      return legacy === item.md5 ? '' : 'modified';
    }
    return current.md5 === item.md5 ? '' : 'modified';
  }

  async #outStatus(output: StageOutput, item: LockItem | undefined): Promise<string> {
    if (item?.md5 && output.cache) {
      const state = await this.workspace.verify(item.md5);
      if (state !== 'ok') return 'not in cache';
    }
    return this.#compare(output.absolute, item);
  }

  async #paramsStatus(params: StageParams, locked: Readonly<Record<string, ParamsValue>> | undefined) {
    if (!existsSync(params.absolute)) return 'deleted';
    if (locked === undefined) return 'new';
    let actual: ParamsTree;
    try {
      actual = await this.readParams(params.absolute);
    } catch (error) {
      // removed since existsSync, or being replaced right now
      this.#params.delete(params.absolute);
      if (!existsSync(params.absolute)) return 'deleted';
      throw error;
    }
    const keys = params.keys ?? [...new Set([...Object.keys(actual), ...Object.keys(locked)])];
    const changes: Record<string, string> = {};
    for (const key of keys) {
      const value = params.keys ? getParam(actual, key) : actual[key];
      if (value === undefined) changes[key] = 'deleted';
      else if (!Object.hasOwn(locked, key)) changes[key] = 'new';
      else if (!paramsEqual(value, locked[key] as ParamsValue)) changes[key] = 'modified';
    }
    return changes;
  }

  /**
   * An external dependency's status through the resolver a plugin gives for it; none (a scheme
   * no plugin reads) leaves it unchanged, with a debug message, since loading must never fail.
   */
  async externalStatus(dep: ExternalDependency, entry: LockEntry | undefined, stage: Stage): Promise<string> {
    const resolver = this.tvc.hooks.externalDependency.call(dep);
    if (!resolver) {
      this.tvc.hooks.log.call({
        level: 'debug',
        message: `no plugin checks '${externalLabel(dep)}' of ${stage.addressing}; it is taken as unchanged`,
      });
      return '';
    }
    let recorded: Readonly<Record<string, unknown>> | undefined;
    if (stage.kind === 'data') recorded = dep.type === 'url' ? dep.recorded : {};
    else {
      const item = lockItem(entry?.deps, dep.path);
      if (item) {
        const { path: _path, ...rest } = item;
        recorded = rest;
      }
    }
    return resolver.status(dep, recorded);
  }

  /**
   * The status of one stage (frozen stages: dependencies are not checked, except the source of
   * an import from another repository, as `dvc status` checks it for updates).
   */
  async status(stage: Stage): Promise<StageStatus> {
    const entry = await this.lockEntry(stage);
    const deps: Record<string, string | Record<string, string>> = {};
    if (!stage.frozen || (this.checkUpdates && isRepoImport(stage))) {
      const externalStates = await Promise.all(
        stage.externalDeps.map((dep) => this.externalStatus(dep, entry, stage)),
      );
      stage.externalDeps.forEach((dep, index) => {
        const state = externalStates[index];
        if (state) deps[externalLabel(dep)] = state;
      });
    }
    if (!stage.frozen) {
      const depStates = await Promise.all(
        stage.deps.map((dep) =>
          this.#compare(
            dep.absolute,
            stage.kind === 'data' ? dataDepItem(stage, dep.path) : lockItem(entry?.deps, dep.path),
          ),
        ),
      );
      stage.deps.forEach((dep, index) => {
        const state = depStates[index];
        if (state) deps[this.label(dep)] = state;
      });
      for (const params of stage.params) {
        const state = await this.#paramsStatus(params, entry?.params?.[params.path]);
        if (typeof state === 'string' || Object.keys(state).length > 0) deps[this.label(params)] = state;
      }
    }
    const outs: Record<string, string> = {};
    const outStates = await Promise.all(
      stage.outs.map((output) =>
        this.#outStatus(
          output,
          stage.kind === 'data' ? dataFileItem(output) : lockItem(entry?.outs, output.path),
        ),
      ),
    );
    stage.outs.forEach((output, index) => {
      const state = outStates[index];
      if (state) outs[this.label(output)] = state;
    });
    return {
      stage,
      deps,
      outs,
      alwaysChanged:
        stage.kind === 'pipeline' &&
        (stage.alwaysChanged || isCallbackStage(stage) || isCheckpointStage(stage)),
      commandChanged: stage.kind === 'pipeline' && entry !== undefined && !sameCommand(entry.cmd, stage.cmd),
      checksumChanged: stage.kind === 'data' && stage.checksumChanged === true,
    };
  }
}

/** Whether `repro` must act on the stage (DVC's `changed()`: frozen stages ignore their dependencies). */
export function needsRun(status: StageStatus, options: { readonly allowMissing?: boolean } = {}): boolean {
  if (status.commandChanged) return true;
  // `repro --allow-missing` (DVC's rule): data that is only missing — a dependency deleted, an
  // output deleted or not in the cache, as in a fresh clone before pulling — is no change.
  const counted = (entries: StageStatus['deps'], missing: readonly string[]) =>
    Object.values(entries).filter(
      (value) => !(options.allowMissing && typeof value === 'string' && missing.includes(value)),
    ).length;
  if (!status.stage.frozen && (status.alwaysChanged || counted(status.deps, ['deleted']) > 0)) return true;
  return counted(status.outs, ['deleted', 'not in cache']) > 0;
}
