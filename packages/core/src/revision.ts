import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TvcError } from './errors';
import { toPosix } from './paths';
import type { Tvc } from './tvc';

/** One file of a commit's tree, as `git ls-tree -r -l` lists it. */
export interface GitTreeEntry {
  /** `100644`, `100755`, `120000` (a symlink), `160000` (a submodule). */
  readonly mode: string;
  readonly type: 'blob' | 'commit';
  readonly oid: string;
  /** Bytes; `undefined` for a submodule. */
  readonly size: number | undefined;
  /** From the top of the git work tree, with forward slashes. */
  readonly path: string;
}

/** Which files of a revision a snapshot materialises. */
export interface SnapshotOptions {
  /** The DVC root relative to the git work tree (`''`, or `sub` for `sub/.dvc`). Default `''`. */
  readonly dvcRoot?: string;
  /** Where to create the snapshot's directory (a fresh one inside it). Default: the OS temp dir. */
  readonly tmpDir?: string;
  /**
   * Whether to write a file. Default: {@link isRevisionFile} with {@link DEFAULT_PARAMS_SIZE_LIMIT}.
   * Paths are relative to the git work tree.
   */
  readonly include?: (entry: GitTreeEntry) => boolean;
}

/** Params-like files above this size are left out of a snapshot unless asked for by name. */
export const DEFAULT_PARAMS_SIZE_LIMIT = 4 * 1024 * 1024;

const ALWAYS_WRITTEN = new Set(['dvc.yaml', 'dvc.lock', 'params.yaml', '.dvcignore', '.gitignore']);
const PARAMS_LIKE = /\.(?:ya?ml|json|toml)$/i;

/**
 * The files the pipeline loader needs from a revision: every `dvc.yaml`, `dvc.lock`, `params.yaml`, `*.dvc`,
 * `.dvcignore`, `.gitignore` and `.dvc/config`, and params-like files (`*.yaml`, `*.yml`, `*.json`,
 * `*.toml`) up to `sizeLimit` bytes. Symlinks and submodules are left out. Python files are not
 * written up front (a repository has many, and few are params): params files are written when
 * asked for ({@link RevisionSnapshot.materialise}).
 */
export function isRevisionFile(entry: GitTreeEntry, sizeLimit = DEFAULT_PARAMS_SIZE_LIMIT): boolean {
  if (entry.type !== 'blob' || entry.mode === '120000') return false;
  const basename = entry.path.slice(entry.path.lastIndexOf('/') + 1);
  if (ALWAYS_WRITTEN.has(basename) || basename.endsWith('.dvc')) return true;
  if (entry.path === '.dvc/config' || entry.path.endsWith('/.dvc/config')) return true;
  return PARAMS_LIKE.test(basename) && (entry.size ?? 0) <= sizeLimit;
}

interface BatchObject {
  readonly oid: string;
  readonly type: string;
  readonly content: Buffer;
}

interface PendingBlob {
  readonly oid: string;
  readonly resolve: (object: BatchObject | undefined) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Reads blobs through one long-lived `git cat-file --batch` process: requests are written as
 * they come and answered in order, so any number of revisions share one process.
 */
class CatFileBatch {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #queue: PendingBlob[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #failure: Error | undefined;

  constructor(gitRoot: string) {
    this.#child = spawn('git', ['cat-file', '--batch'], { cwd: gitRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    let stderr = '';
    this.#child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const fail = (error: Error): void => {
      this.#failure ??= error;
      for (const pending of this.#queue.splice(0)) pending.reject(this.#failure);
    };
    this.#child.on('error', fail);
    this.#child.on('close', (code) => {
      fail(new Error(`git cat-file --batch exited with ${code}${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    this.#child.stdin.on('error', fail);
  }

  /** An object by id or by any name git understands (`HEAD~1^{commit}`). */
  read(oid: string): Promise<BatchObject | undefined> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#queue.push({ oid, resolve, reject });
      this.#child.stdin.write(`${oid}\n`);
    });
  }

  #drain(): void {
    for (;;) {
      const pending = this.#queue[0];
      if (!pending) return;
      const newline = this.#buffer.indexOf(0x0a);
      if (newline === -1) return;
      const header = this.#buffer.subarray(0, newline).toString();
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.#buffer = this.#buffer.subarray(newline + 1);
        this.#queue.shift();
        pending.resolve(undefined);
        continue;
      }
      const [oid, type, sizeText] = header.split(' ') as [string, string, string];
      const end = newline + 1 + Number(sizeText);
      if (this.#buffer.length < end + 1) return;
      const content = Buffer.from(this.#buffer.subarray(newline + 1, end));
      this.#buffer = this.#buffer.subarray(end + 1);
      this.#queue.shift();
      pending.resolve({ oid, type, content });
    }
  }

  close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#failure) return Promise.resolve();
    return new Promise((resolve) => {
      this.#child.once('close', () => resolve());
      this.#child.stdin.end();
    });
  }
}

/** Parses `git ls-tree -r -z -l` output. */
export function parseLsTree(output: string): GitTreeEntry[] {
  const entries: GitTreeEntry[] = [];
  for (const record of output.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode, type, oid, size] = record.slice(0, tab).split(/ +/) as [string, string, string, string];
    if (type !== 'blob' && type !== 'commit') continue;
    entries.push({
      mode,
      type,
      oid,
      size: size === '-' ? undefined : Number(size),
      path: record.slice(tab + 1),
    });
  }
  return entries;
}

/**
 * A revision's files written into a temporary directory laid out like the git work tree (with an
 * empty `.git/` so nothing above it is taken for its repository). Open a `Tvc` at {@link root}.
 */
export class RevisionSnapshot {
  /** The revision as asked for (`HEAD`, `main`, a sha). */
  readonly rev: string;
  /** Its commit's full sha. */
  readonly commit: string;
  /** The snapshot's top: where the git work tree's top would be. */
  readonly dir: string;
  /** The DVC root inside the snapshot. */
  readonly root: string;
  /** Every file of the revision's tree by path (relative to the git work tree). */
  readonly tree: ReadonlyMap<string, GitTreeEntry>;
  readonly #reader: GitRevisionReader;
  readonly #written = new Set<string>();
  readonly #dvcRoot: string;

  constructor(
    reader: GitRevisionReader,
    rev: string,
    commit: string,
    dir: string,
    dvcRoot: string,
    tree: ReadonlyMap<string, GitTreeEntry>,
  ) {
    this.#reader = reader;
    this.rev = rev;
    this.commit = commit;
    this.dir = dir;
    this.#dvcRoot = dvcRoot;
    this.root = dvcRoot ? path.join(dir, dvcRoot) : dir;
    this.tree = tree;
  }

  /** Whether the revision has this file (a path relative to the DVC root, posix). */
  has(repoPath: string): boolean {
    return this.tree.has(this.#gitPath(repoPath));
  }

  #gitPath(repoPath: string): string {
    return path.posix.normalize(this.#dvcRoot ? `${this.#dvcRoot}/${repoPath}` : repoPath);
  }

  /**
   * Writes files of the revision that are not written yet (paths relative to the DVC root, posix;
   * directories bring every file below them). Returns the paths found in the revision.
   */
  async materialise(repoPaths: Iterable<string>): Promise<string[]> {
    const wanted: GitTreeEntry[] = [];
    const found: string[] = [];
    for (const repoPath of repoPaths) {
      const gitPath = this.#gitPath(repoPath);
      const exact = this.tree.get(gitPath);
      const entries = exact
        ? [exact]
        : [...this.tree.values()].filter((entry) => entry.path.startsWith(`${gitPath}/`));
      if (entries.length > 0) found.push(repoPath);
      for (const entry of entries) {
        if (entry.type === 'blob' && entry.mode !== '120000' && !this.#written.has(entry.path)) {
          wanted.push(entry);
        }
      }
    }
    await this.write(wanted);
    return found;
  }

  /** Writes tree entries into the snapshot (once each). */
  async write(entries: readonly GitTreeEntry[]): Promise<void> {
    const fresh = entries.filter((entry) => !this.#written.has(entry.path));
    for (const entry of fresh) this.#written.add(entry.path);
    const contents = await this.#reader.readBlobs(fresh.map((entry) => entry.oid));
    const directories = new Set(fresh.map((entry) => path.dirname(path.join(this.dir, entry.path))));
    await Promise.all([...directories].map((directory) => mkdir(directory, { recursive: true })));
    await Promise.all(
      fresh.map((entry) =>
        writeFile(path.join(this.dir, entry.path), contents.get(entry.oid) ?? Buffer.alloc(0), {
          mode: entry.mode === '100755' ? 0o755 : 0o644,
        }),
      ),
    );
  }

  /** Removes the snapshot's directory. */
  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * Reads git revisions of one repository cheaply: a revision's file list with one
 * `git ls-tree -r -z -l`, file contents through one `git cat-file --batch` process shared by all
 * revisions (blobs seen before are not read again). {@link snapshot} writes what the pipeline
 * loader needs into a temporary directory so a `Tvc` can be opened there.
 */
export class GitRevisionReader {
  readonly gitRoot: string;
  #batch: CatFileBatch | undefined;
  readonly #blobs = new Map<string, Promise<Buffer | undefined>>();
  readonly #trees = new Map<string, Promise<GitTreeEntry[]>>();
  readonly #commits = new Map<string, Promise<BatchObject | undefined>>();
  readonly #named = new Map<string, Promise<BatchObject | undefined>>();

  constructor(gitRoot: string) {
    this.gitRoot = gitRoot;
  }

  /**
   * The commit a revision names, or `UNKNOWN_REVISION` (DVC's `unknown Git revision 'x'`).
   */
  async resolve(rev: string): Promise<string> {
    let pending = this.#commits.get(rev);
    if (!pending) {
      // Through the cat-file process (no process per revision); a name with a line break or one
      // starting with '-' is no revision.
      pending =
        /[\n\r]|^-/.test(rev) || rev === ''
          ? Promise.resolve(undefined)
          : this.#cat().read(`${rev}^{commit}`);
      this.#commits.set(rev, pending);
    }
    const object = await pending;
    if (object?.type === 'commit') return object.oid;
    // Not a git name: an experiment's, as DVC's `resolve_rev` falls back to (never for HEAD or a
    // full ref name).
    if (rev !== 'HEAD' && !rev.startsWith('refs/')) {
      const experiment = await this.#experimentNamed(rev);
      if (experiment) return experiment;
    }
    throw new TvcError('UNKNOWN_REVISION', `unknown Git revision '${rev}'`, {
      hint: 'name a commit, branch or tag of this repository (`git log` lists them)',
    });
  }

  /**
   * The commit of the experiment called `name` (`refs/exps/ab/cdef…/name`): the only one, or the
   * one whose baseline is HEAD; DVC's "ambiguous Git revision" when several others are.
   */
  async #experimentNamed(name: string): Promise<string | undefined> {
    if (name.includes('/')) return undefined;
    const listing = await new Promise<string>((resolve) => {
      execFile(
        'git',
        ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/exps/'],
        { cwd: this.gitRoot, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout) => resolve(error ? '' : stdout),
      );
    });
    const found: { oid: string; baseline: string }[] = [];
    for (const line of listing.split('\n')) {
      const match = /^([0-9a-f]{40}) refs\/exps\/([0-9a-f]{2})\/([0-9a-f]{38})\/([^/]+)$/.exec(line);
      if (match && match[4] === name) found.push({ oid: match[1]!, baseline: match[2]! + match[3]! });
    }
    if (found.length <= 1) return found[0]?.oid;
    const head = await this.#cat().read('HEAD^{commit}');
    const current = found.find((item) => item.baseline === head?.oid);
    if (current) return current.oid;
    throw new TvcError('UNKNOWN_REVISION', `ambiguous Git revision '${name}'`, {
      hint: `experiments of several baselines are called '${name}': name one by its commit`,
    });
  }

  #cat(): CatFileBatch {
    this.#batch ??= new CatFileBatch(this.gitRoot);
    return this.#batch;
  }

  /** Every file of a commit's tree (one `git ls-tree -r -z -l`, remembered per commit). */
  listTree(commit: string): Promise<GitTreeEntry[]> {
    let pending = this.#trees.get(commit);
    if (!pending) {
      pending = new Promise<string>((resolve, reject) => {
        execFile(
          'git',
          ['ls-tree', '-r', '-z', '-l', '--full-tree', commit],
          { cwd: this.gitRoot, maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8' },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        );
      }).then(parseLsTree);
      this.#trees.set(commit, pending);
    }
    return pending;
  }

  /** The contents of blobs by id (`undefined` for one git does not have). */
  async readBlobs(oids: readonly string[]): Promise<Map<string, Buffer | undefined>> {
    const batch = this.#cat();
    const unique = [...new Set(oids)];
    const contents = await Promise.all(
      unique.map((oid) => {
        let pending = this.#blobs.get(oid);
        if (!pending) {
          pending = batch.read(oid).then((object) => object?.content);
          this.#blobs.set(oid, pending);
        }
        return pending;
      }),
    );
    return new Map(unique.map((oid, index) => [oid, contents[index]]));
  }

  /**
   * Any object git can name (`<sha>:<path>`, `<sha>^{commit}`, an oid) through the shared
   * `git cat-file --batch` process: its id, type and content, or `undefined` when git has none.
   * Remembered by name.
   */
  async readObject(name: string): Promise<{ oid: string; type: string; content: Buffer } | undefined> {
    if (/[\n\r]/.test(name) || name === '') return undefined;
    let pending = this.#named.get(name);
    if (!pending) {
      pending = this.#cat().read(name);
      this.#named.set(name, pending);
    }
    return pending;
  }

  /**
   * Writes a revision's pipeline files into a fresh temporary directory ({@link isRevisionFile}
   * by default). Dispose of it when done, or use {@link withSnapshot}.
   */
  async snapshot(rev: string, options: SnapshotOptions = {}): Promise<RevisionSnapshot> {
    const commit = await this.resolve(rev);
    const entries = await this.listTree(commit);
    const dvcRoot = toPosix(options.dvcRoot ?? '').replace(/\/+$/, '');
    const include = options.include ?? ((entry: GitTreeEntry) => isRevisionFile(entry));
    const tmpDir = options.tmpDir ?? os.tmpdir();
    await mkdir(tmpDir, { recursive: true });
    const dir = await mkdtemp(path.join(tmpDir, 'rev-'));
    const snapshot = new RevisionSnapshot(
      this,
      rev,
      commit,
      dir,
      dvcRoot,
      new Map(entries.map((entry) => [entry.path, entry])),
    );
    try {
      await mkdir(path.join(dir, '.git'));
      await mkdir(path.join(snapshot.root, '.dvc'), { recursive: true });
      const ancestors = new Set<string>();
      for (
        let current = dvcRoot;
        current;
        current = current.includes('/') ? path.posix.dirname(current) : ''
      ) {
        ancestors.add(`${current}/.gitignore`);
      }
      ancestors.add('.gitignore');
      const prefix = dvcRoot ? `${dvcRoot}/` : '';
      await snapshot.write(
        entries.filter(
          (entry) => (entry.path.startsWith(prefix) && include(entry)) || ancestors.has(entry.path),
        ),
      );
    } catch (error) {
      await snapshot.dispose();
      throw error;
    }
    return snapshot;
  }

  /** Runs `fn` on a snapshot of `rev` and removes the snapshot afterwards, even when `fn` throws. */
  async withSnapshot<T>(
    rev: string,
    options: SnapshotOptions,
    fn: (snapshot: RevisionSnapshot) => Promise<T>,
  ): Promise<T> {
    const snapshot = await this.snapshot(rev, options);
    try {
      return await fn(snapshot);
    } finally {
      await snapshot.dispose();
    }
  }

  /** Ends the `git cat-file` process. */
  async close(): Promise<void> {
    const batch = this.#batch;
    this.#batch = undefined;
    this.#blobs.clear();
    this.#commits.clear();
    this.#named.clear();
    await batch?.close();
  }
}

/** Opens a `Tvc` on a snapshot (the caller chooses plugins and config, e.g. the live repository's). */
export type OpenSnapshotTvc = (location: { readonly root: string; readonly cwd: string }) => Promise<Tvc>;

/**
 * Runs `fn` with a `Tvc` opened on a snapshot of `rev` of the live repository `live`: the same DVC
 * root below the git work tree, the same relative cwd; the snapshot lives in the live
 * repository's `.dvc/tmp/` and is removed afterwards, even when `fn` throws.
 */
export async function withRevisionTvc<T>(
  live: Pick<Tvc, 'root' | 'cwd' | 'scmRoot'>,
  reader: GitRevisionReader,
  rev: string,
  open: OpenSnapshotTvc,
  fn: (tvc: Tvc, snapshot: RevisionSnapshot) => Promise<T>,
  options: Pick<SnapshotOptions, 'include'> = {},
): Promise<T> {
  const dvcRoot = toPosix(path.relative(reader.gitRoot, live.root));
  const dvcDir = path.join(live.root, '.dvc');
  const tmpDir = existsSync(dvcDir) ? path.join(dvcDir, 'tmp', 'revisions') : undefined;
  return reader.withSnapshot(
    rev,
    { ...options, dvcRoot, ...(tmpDir ? { tmpDir } : {}) },
    async (snapshot) => {
      const cwd = path.join(snapshot.root, path.relative(live.root, live.cwd));
      return fn(await open({ root: snapshot.root, cwd }), snapshot);
    },
  );
}
