import { spawn } from 'node:child_process';
import { copyFile, stat, utimes } from 'node:fs/promises';
import type { SimpleGit } from 'simple-git';

// simple-git (with its dependencies, some 170 kB of code) is loaded on the first `raw` call:
// `exp show` and `exp diff` read git through @tvc/core's cat-file reader and never need it, and
// loading it cost them about 15 ms of start-up.
let simpleGitModule: Promise<typeof import('simple-git')> | undefined;
const loadSimpleGit = (): Promise<typeof import('simple-git')> => {
  simpleGitModule ??= import('simple-git');
  return simpleGitModule;
};

/** The variables of the user's environment that simple-git's `.env()` checks, all allowed. */
const USER_ENVIRONMENT = Object.freeze({
  allowUnsafeAskPass: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeEditor: true,
  allowUnsafePager: true,
  allowUnsafeDiffExternal: true,
  allowUnsafeGitProxy: true,
  allowUnsafeTemplateDir: true,
  allowUnsafeSshCommand: true,
});

/** What git says when another process holds a ref's or packed-refs' lock for a moment. */
const LOCK_CONTENTION =
  /\.lock'?: File exists|cannot lock ref|Unable to create '[^']*\.lock'|packed-refs\.lock/;

/** Tries for this long, with short random pauses, before a lock contention is an error. */
const LOCK_RETRY_MS = 15_000;

const pause = () => new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 60));

/**
 * The git commands the experiments need, through simple-git. `withInput` is for the few commands
 * that read paths or object names on stdin (`cat-file --batch-check`), so a list of any length is
 * one process.
 */
export class Git {
  readonly root: string;
  #git: SimpleGit | undefined;

  constructor(root: string) {
    this.root = root;
  }

  /**
   * Runs `git <args>` and returns its standard output; `env` is added to the environment. A
   * command that fails because another process holds a ref lock (`packed-refs.lock`, a ref's
   * `.lock`) is tried again for a while: concurrent experiments update refs at the same time.
   */
  async raw(args: readonly string[], env?: Readonly<Record<string, string>>): Promise<string> {
    const { simpleGit } = await loadSimpleGit();
    let git: SimpleGit;
    if (env) {
      // The environment is the user's own (EDITOR, PAGER, GIT_SSH_COMMAND… set in their shell),
      // which simple-git refuses in `.env()` unless told it is wanted: without this, any user with
      // EDITOR set got "unexpected error" from `exp run`. tvc's own additions are GIT_INDEX_FILE-like.
      git = simpleGit({ baseDir: this.root, trimmed: false, unsafe: USER_ENVIRONMENT }).env({
        ...process.env,
        ...env,
      });
    } else {
      this.#git ??= simpleGit({ baseDir: this.root, trimmed: false });
      git = this.#git;
    }
    const deadline = Date.now() + LOCK_RETRY_MS;
    for (;;) {
      try {
        return await git.raw([...args]);
      } catch (error) {
        if (!LOCK_CONTENTION.test(String((error as Error).message)) || Date.now() > deadline) throw error;
        await pause();
      }
    }
  }

  /** Runs `git <args>` with `input` on stdin; resolves with stdout and the exit code. */
  withInput(
    args: readonly string[],
    input: string,
    env?: Readonly<Record<string, string>>,
  ): Promise<{ stdout: string; stderr: string; code: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', [...args], {
        cwd: this.root,
        env: env ? { ...process.env, ...env } : process.env,
        stdio: [input === '' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          code: code ?? 1,
        }),
      );
      if (child.stdin) {
        // a command may exit before reading everything: its exit code says what happened
        child.stdin.on('error', () => {});
        child.stdin.end(input);
      }
    });
  }

  /** The full sha a revision names, or undefined when it names no commit. */
  async resolveCommit(rev: string): Promise<string | undefined> {
    const { stdout, code } = await this.withInput(['rev-parse', '--verify', '-q', `${rev}^{commit}`], '');
    return code === 0 ? stdout.trim() : undefined;
  }

  /** HEAD's sha; an error in a repository without commits. */
  async head(): Promise<string> {
    const sha = await this.resolveCommit('HEAD');
    if (!sha) throw new Error('HEAD names no commit');
    return sha;
  }

  /** The branch HEAD is on (`main`), or undefined when detached. */
  async currentBranch(): Promise<string | undefined> {
    const { stdout, code } = await this.withInput(['symbolic-ref', '-q', 'HEAD'], '');
    const ref = stdout.trim();
    return code === 0 && ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  }

  /** `git rev-parse --git-path <name>`, absolute. */
  async gitPath(name: string): Promise<string> {
    const out = await this.raw(['rev-parse', '--path-format=absolute', '--git-path', name]);
    return out.trim();
  }

  /** Sets `ref` to `sha`; with `expected`, only if it still points there (`''`: must not exist). */
  async updateRef(ref: string, sha: string, message: string, expected?: string): Promise<void> {
    const args = ['update-ref', '-m', message, ref, sha];
    if (expected !== undefined) args.push(expected === '' ? '0'.repeat(40) : expected);
    await this.raw(args);
  }

  async deleteRefs(refs: readonly string[]): Promise<void> {
    if (refs.length === 0) return;
    const input = refs.map((ref) => `delete ${ref}\n`).join('');
    const deadline = Date.now() + LOCK_RETRY_MS;
    for (;;) {
      const { code, stderr } = await this.withInput(['update-ref', '--stdin'], input);
      if (code === 0) return;
      if (!LOCK_CONTENTION.test(stderr) || Date.now() > deadline) {
        throw new Error(`git update-ref failed: ${stderr.trim()}`);
      }
      await pause();
    }
  }

  /** Which of these object names exist in the repository, in one `cat-file --batch-check`. */
  async existing(objects: readonly string[]): Promise<Set<string>> {
    if (objects.length === 0) return new Set();
    const { stdout } = await this.withInput(
      ['cat-file', '--batch-check=%(objectname)'],
      `${objects.join('\n')}\n`,
    );
    return new Set(
      stdout
        .split('\n')
        .filter((line) => line && !line.endsWith(' missing'))
        .map((line) => line.trim()),
    );
  }

  /** `git ls-tree -r` of a commit: path → blob sha (and mode). */
  async tree(rev: string): Promise<Map<string, { sha: string; mode: string }>> {
    const out = await this.raw(['ls-tree', '-r', '-z', '--full-tree', rev]);
    const files = new Map<string, { sha: string; mode: string }>();
    for (const record of out.split('\0')) {
      if (!record) continue;
      const tab = record.indexOf('\t');
      const [mode, type, sha] = record.slice(0, tab).split(' ') as [string, string, string];
      if (type === 'blob') files.set(record.slice(tab + 1), { sha, mode });
    }
    return files;
  }

  /**
   * Copies the index to `destination` for a temporary index, keeping its modification time: git
   * trusts an entry whose stat data match only if the file is older than the index ("racy git"),
   * so a copy stamped now would hide a file rewritten with the same size in the index's second.
   */
  async copyIndex(destination: string): Promise<boolean> {
    const source = await this.gitPath('index');
    try {
      const { atime, mtime } = await stat(source);
      await copyFile(source, destination);
      await utimes(destination, atime, mtime);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
