import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** Directories DVC never looks into. */
export const ALWAYS_IGNORED = new Set(['.git', '.hg', '.dvc']);

/**
 * `.dvcignore` rules: gitignore syntax, in the root and in any subdirectory, each file applying to
 * paths below its own directory (as DVC reads them).
 */
export class DvcIgnore {
  readonly root: string;
  readonly #rules = new Map<string, Ignore | null>();

  constructor(root: string) {
    this.root = root;
  }

  /** The rules of the `.dvcignore` in `dir` (repo-relative posix, `''` for the root), if any. */
  #rulesFor(dir: string): Ignore | null {
    let rules = this.#rules.get(dir);
    if (rules === undefined) {
      const file = path.join(this.root, dir, '.dvcignore');
      // a file of comments only (as `tvc init` writes it) is no rules: nothing to test per path
      rules = this.hasRules(dir) ? ignore().add(readFileSync(file, 'utf8')) : null;
      this.#rules.set(dir, rules);
    }
    return rules;
  }

  /**
   * Whether the `.dvcignore` in `dir` (repo-relative posix, `''` for the root) holds any rule
   * (`tvc init` writes one with comments only).
   */
  hasRules(dir: string): boolean {
    const file = path.join(this.root, dir, '.dvcignore');
    if (!existsSync(file)) return false;
    return readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .some((line) => line.trim() !== '' && !line.startsWith('#'));
  }

  /**
   * Whether the entry `repoPath` is ignored by a rule, assuming its parent directories are not
   * (a walk that skips ignored directories only needs this).
   */
  ignoresEntry(repoPath: string, isDirectory: boolean): boolean {
    const parts = repoPath.split('/');
    for (let depth = 0; depth < parts.length; depth++) {
      const rules = this.#rulesFor(parts.slice(0, depth).join('/'));
      const relative = parts.slice(depth).join('/');
      if (rules?.ignores(isDirectory ? `${relative}/` : relative)) return true;
    }
    return false;
  }

  /** Whether `repoPath` (relative, posix) is ignored; directories are matched as directories. */
  ignores(repoPath: string, isDirectory: boolean): boolean {
    const parts = repoPath.split('/');
    if (parts.some((part) => ALWAYS_IGNORED.has(part))) return true;
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      const rules = this.#rulesFor(dir);
      if (!rules) continue;
      const relative = parts.slice(depth).join('/');
      if (rules.ignores(isDirectory ? `${relative}/` : relative)) return true;
      // A parent directory that is ignored hides everything below it.
      for (let end = 1; end < parts.length - depth; end++) {
        if (rules.ignores(`${parts.slice(depth, depth + end).join('/')}/`)) return true;
      }
    }
    return false;
  }
}
