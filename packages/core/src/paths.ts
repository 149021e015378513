import { statSync } from 'node:fs';
import path from 'node:path';

/** A path with forward slashes, as DVC records paths in its files. */
export function toPosix(value: string): string {
  return path.sep === '/' ? value : value.split(path.sep).join('/');
}

/** Whether `child` (absolute) is `parent` or lies below it. */
export function isWithin(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
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
  const absolute = path.resolve(baseDir, value);
  if (!isWithin(root, absolute)) return { absolute, repoPath: undefined };
  return { absolute, repoPath: toPosix(path.relative(root, absolute)) };
}
