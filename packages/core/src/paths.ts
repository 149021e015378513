import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** A path with forward slashes, as DVC records paths in its files. */
export function toPosix(value: string): string {
  return path.sep === '/' ? value : value.split(path.sep).join('/');
}

/** Whether `child` (absolute) is `parent` or lies below it. */
export function isWithin(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  if (relative === '' || path.isAbsolute(relative)) return relative === '';
  // `..foo` and `...` are names inside `parent`, not a way out of it.
  return relative !== '..' && !relative.startsWith(`..${path.sep}`);
}

/**
 * Whether a repo path (posix, relative to the DVC root, as joined from what a pipeline file
 * lists) stays inside the repository: not absolute, and no `..` leads out once normalised. The
 * one test every reader of user-named files applies before touching the file system: tvc never
 * reads or writes outside the repository but for the cache and the remotes.
 */
export function isContainedRepoPath(repoPath: string): boolean {
  if (repoPath.startsWith('/') || /^[A-Za-z]:[\\/]/.test(repoPath) || repoPath.startsWith('\\')) return false;
  const normal = path.posix.normalize(repoPath);
  return normal !== '..' && !normal.startsWith('../');
}

/**
 * The name DVC's repository file system gives a repo path: rooted at the repository, so `..`
 * above the root stays at it (`../x.json` is `x.json`), as its `No such file` errors name it.
 */
export function repoFsName(repoPath: string): string {
  return path.posix.normalize(`/${repoPath}`).slice(1);
}

/**
 * `absolute` with the symlinks of its longest existing prefix resolved (what the path would reach
 * if the missing rest were created). Used to test writes, such as a `.gitignore`, for containment.
 */
export function realPathOfExisting(absolute: string): string {
  let existing = path.resolve(absolute);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...rest.reverse());
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(absolute);
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

/** Whether `child` (absolute) lies within `parent` once the symlinks of both are resolved. */
export function isWithinReal(parent: string, child: string): boolean {
  return isWithin(realPathOfExisting(parent), realPathOfExisting(child));
}

/** Whether `child` (posix, relative) is `parent` or below it, comparing whole segments. */
export function isPathPrefix(parent: string, child: string): boolean {
  return parent === '' || child === parent || child.startsWith(`${parent}/`);
}

function isDirectory(target: string): boolean {
  try {
    return statSync(target).isDirectory();
  } catch {
    return false;
  }
}

/** The nearest directory at or above `start` that holds `name` as a directory (`.dvc`, `.git`). */
export function findUp(start: string, name: string): string | undefined {
  let current = path.resolve(start);
  for (;;) {
    if (isDirectory(path.join(current, name))) return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** A path from a pipeline file, resolved against the repository. */
export interface ResolvedPath {
  /** Absolute, normalised. */
  readonly absolute: string;
  /** Relative to the repository root with forward slashes, or `undefined` when outside it. */
  readonly repoPath: string | undefined;
}

/**
 * Resolves `value` (relative to `baseDir`, or absolute) against the repository at `root`. Paths may
 * start with `./` or contain `=`; backslashes are not separators on POSIX.
 */
export function resolvePath(root: string, baseDir: string, value: string): ResolvedPath {
  if (path.sep === '/' && isPlainRelative(value)) {
    // Most paths in a pipeline are already normal (`data/x.csv`): join without path.resolve's
    // and path.relative's re-normalising, which took most of the time of building 500 stages.
    const base = repoPathOf(root, baseDir);
    if (base !== undefined) {
      return {
        absolute: `${baseDir === '/' ? '' : baseDir}/${value}`,
        repoPath: base ? `${base}/${value}` : value,
      };
    }
  }
  const absolute = path.resolve(baseDir, value);
  if (!isWithin(root, absolute)) return { absolute, repoPath: undefined };
  return { absolute, repoPath: toPosix(path.relative(root, absolute)) };
}

/** A relative path with no `.`, `..` or empty segment and no trailing slash: already normal. */
function isPlainRelative(value: string): boolean {
  if (value === '' || value.startsWith('/') || value.endsWith('/') || value.includes('//')) return false;
  if (value === '.' || value === '..' || value.startsWith('./') || value.startsWith('../')) return false;
  return !value.includes('/./') && !value.includes('/../') && !value.endsWith('/.') && !value.endsWith('/..');
}

// The repo path of each directory paths are resolved against (a handful per pipeline).
const basePaths = new Map<string, string | undefined>();

/** `directory` (absolute, normal) relative to `root` with forward slashes, or `undefined` outside it. */
function repoPathOf(root: string, directory: string): string | undefined {
  const key = `${root}\0${directory}`;
  if (basePaths.has(key)) return basePaths.get(key);
  const normal = path.resolve(directory) === directory && path.resolve(root) === root;
  const result = normal && isWithin(root, directory) ? toPosix(path.relative(root, directory)) : undefined;
  if (basePaths.size > 1000) basePaths.clear();
  basePaths.set(key, result);
  return result;
}
