import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { TvcError } from './errors';
import { findUp, isWithinReal, toPosix } from './paths';

/**
 * Keeping cached outputs out of git, as DVC does: each output gets a `/<name>` line in the
 * `.gitignore` of its parent directory, unless git already ignores it.
 */

export interface GitignoreOptions {
  /** The git work tree; found from `root` (the nearest directory holding `.git`) when absent. */
  readonly gitRoot?: string;
  /**
   * Called with the `.gitignore` (absolute) that cannot be written because its directory does not
   * exist; return `'stop'` to leave the remaining outputs alone, as `dvc stage add` does (they get
   * their entries when the stage runs). By default such an output is skipped.
   */
  readonly onMissingDirectory?: (gitignore: string) => 'stop' | 'skip' | undefined;
}

/** The line DVC writes for `output`: its name after a `/`, with gitignore's special characters escaped. */
export function gitignoreEntry(output: string): string {
  return `/${path.basename(output)}`.replace(/[\\[\]!*#?]/g, (character) => `\\${character}`);
}

/**
 * Git's ignore rules as `git check-ignore` applies them to a path that may not exist yet: every
 * `.gitignore` from the work tree's top down to the path's directory (deeper files win, the last
 * matching line of a file wins), then `.git/info/exclude`; a path inside an ignored directory is
 * ignored whatever the rules below say. (The user's global excludes file is not read.)
 */
export class GitIgnoreRules {
  readonly gitRoot: string;
  readonly #files = new Map<string, Ignore | null>();

  constructor(gitRoot: string) {
    this.gitRoot = gitRoot;
  }

  /** Forgets what was read, after a `.gitignore` changed. */
  forget(directory: string): void {
    this.#files.delete(directory);
  }

  #rules(directory: string): Ignore | null {
    let rules = this.#files.get(directory);
    if (rules === undefined) {
      // Lowest precedence first: `ignore` lets the last matching line win.
      const files = [path.join(this.gitRoot, directory, '.gitignore')];
      if (directory === '') files.unshift(path.join(this.gitRoot, '.git', 'info', 'exclude'));
      const texts = files
        .filter((file) => existsSync(file) && statSync(file).isFile())
        .map((file) => readFileSync(file, 'utf8'));
      rules = texts.length > 0 ? ignore().add(texts.join('\n')) : null;
      this.#files.set(directory, rules);
    }
    return rules;
  }

  /** The verdict of the deepest rule matching `relative` (posix, from the work tree): true, false or none. */
  #decide(relative: string, isDirectory: boolean): boolean | undefined {
    const parts = relative.split('/');
    for (let depth = parts.length - 1; depth >= 0; depth--) {
      const rules = this.#rules(parts.slice(0, depth).join('/'));
      if (!rules) continue;
      const rest = parts.slice(depth).join('/');
      const verdict = rules.test(isDirectory ? `${rest}/` : rest);
      if (verdict.ignored) return true;
      if (verdict.unignored) return false;
    }
    return undefined;
  }

  /**
   * Whether a rule ignores `absolute` itself, assuming git does not ignore its parent directories
   * (a walk that skips ignored directories only needs this).
   */
  ignoresEntry(absolute: string, isDirectory: boolean): boolean {
    const relative = toPosix(path.relative(this.gitRoot, absolute));
    if (relative === '' || relative.startsWith('..')) return false;
    return this.#decide(relative, isDirectory) === true;
  }

  /** Whether git ignores `absolute` (a path inside the work tree). */
  ignores(absolute: string, isDirectory = false): boolean {
    const relative = toPosix(path.relative(this.gitRoot, absolute));
    if (relative === '' || relative.startsWith('..')) return false;
    const parts = relative.split('/');
    for (let end = 1; end < parts.length; end++) {
      if (this.#decide(parts.slice(0, end).join('/'), true)) return true;
    }
    return this.#decide(relative, isDirectory) === true;
  }
}

/** Writes `text` to `file` through a temporary file and a rename, keeping the old file's mode. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tvc-${process.pid}-${Date.now()}`);
  let mode: number | undefined;
  try {
    mode = (await stat(file)).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    if (mode !== undefined) await chmod(temporary, mode);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function hasLine(text: string, line: string): boolean {
  return text.split(/\r?\n/).some((existing) => existing === line);
}

/**
 * Throws DVC's `'…' is outside of git repository '…'` unless the `.gitignore` that would take
 * `output`'s line lies inside the git work tree `gitRoot` once symlinks are resolved: a directory
 * on the output's path that is a symlink out of the repository would have tvc write there.
 */
export function assertInGitRepository(gitRoot: string, output: string): void {
  if (isWithinReal(gitRoot, path.join(path.dirname(output), '.gitignore'))) return;
  throw new TvcError('OUTSIDE_GIT_REPOSITORY', `'${output}' is outside of git repository '${gitRoot}'`, {
    hint: 'an output git should ignore must lie inside the git work tree: a directory on its path is a symlink leading out of it; use the real path inside the repository, or `cache: false`',
  });
}

/**
 * Adds a `/<name>` line for each output (absolute paths, in order) to the `.gitignore` of its
 * directory, as DVC does for cached outputs: nothing for a path git already ignores, never a line
 * twice, each file rewritten atomically. Returns the `.gitignore` files changed, relative to
 * `root` with forward slashes, in the order first changed.
 */
export async function addToGitignore(
  root: string,
  outputs: readonly string[],
  options: GitignoreOptions = {},
): Promise<string[]> {
  const gitRoot = options.gitRoot ?? findUp(root, '.git') ?? root;
  const rules = new GitIgnoreRules(gitRoot);
  const changed: string[] = [];
  for (const output of outputs) {
    const directory = path.dirname(output);
    const gitignore = path.join(directory, '.gitignore');
    assertInGitRepository(gitRoot, output);
    if (rules.ignores(output)) continue;
    let text = '';
    try {
      text = await readFile(gitignore, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (!existsSync(directory)) {
        if (options.onMissingDirectory?.(gitignore) === 'stop') break;
        continue;
      }
    }
    const entry = gitignoreEntry(output);
    if (hasLine(text, entry)) continue;
    const separator = text === '' || text.endsWith('\n') ? '' : '\n';
    await writeAtomically(gitignore, `${text}${separator}${entry}\n`);
    rules.forget(toPosix(path.relative(gitRoot, directory)));
    const repoPath = toPosix(path.relative(root, gitignore));
    if (!changed.includes(repoPath)) changed.push(repoPath);
  }
  return changed;
}

/**
 * Takes back the `/<name>` lines of `outputs` (as DVC does when a command that added them fails):
 * the matching lines are removed, and a `.gitignore` left with no lines is deleted.
 */
export async function removeFromGitignore(root: string, outputs: readonly string[]): Promise<string[]> {
  const changed: string[] = [];
  for (const output of outputs) {
    const gitignore = path.join(path.dirname(output), '.gitignore');
    let text: string;
    try {
      text = await readFile(gitignore, 'utf8');
    } catch {
      continue;
    }
    const entry = gitignoreEntry(output);
    const lines = text.split(/(?<=\n)/);
    const kept = lines.filter((line) => line.trim() !== entry);
    if (kept.length === lines.length) continue;
    if (kept.length === 0) await rm(gitignore, { force: true });
    else await writeAtomically(gitignore, kept.join(''));
    const repoPath = toPosix(path.relative(root, gitignore));
    if (!changed.includes(repoPath)) changed.push(repoPath);
  }
  return changed;
}
