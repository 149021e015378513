import { type Dirent, existsSync } from 'node:fs';
import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { ALWAYS_IGNORED, type DvcIgnore } from './dvcignore';
import type { GitIgnoreRules } from './gitignore';

/** A file found by {@link walkPipelineFiles}. */
export interface FoundFile {
  readonly absolute: string;
  /** Relative to the root, posix. */
  readonly repoPath: string;
  readonly basename: string;
}

/**
 * A directory's entries in the order the operating system lists them — what Python's os.walk,
 * and so DVC's index, sees. (Node's readdir sorts them; opendir does not.)
 */
async function listDirectory(dir: string): Promise<Dirent[]> {
  const entries: Dirent[] = [];
  try {
    for await (const entry of await opendir(dir, { bufferSize: 256 })) entries.push(entry);
  } catch {
    return [];
  }
  return entries;
}

export interface WalkOptions {
  /** Whether a file is a pipeline file (asked for every file not ignored). */
  readonly accept: (file: FoundFile) => boolean;
  /** Loads the pipeline files of one directory; returns the absolute paths of their outputs. */
  readonly load: (files: readonly FoundFile[]) => Promise<Iterable<string>>;
  readonly dvcignore: DvcIgnore;
  /** git's ignore rules, when the repository is in a git work tree. */
  readonly gitignore?: GitIgnoreRules | undefined;
}

/**
 * Walks the repository top-down as DVC collects its index: a directory's pipeline files first,
 * loaded before its subdirectories are entered, so that directories which are outputs of a stage
 * already loaded are not walked; `.dvcignore`d and git-ignored paths, `.git`, `.dvc` and nested
 * DVC repositories are skipped. Returns the files in the order they were loaded.
 */
export async function walkPipelineFiles(root: string, options: WalkOptions): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  const outputs = new Set<string>();
  const visit = async (dir: string, prefix: string): Promise<void> => {
    const entries = await listDirectory(dir);
    const files: FoundFile[] = [];
    const directories: [string, string][] = [];
    for (const entry of entries) {
      const repoPath = prefix ? `${prefix}/${entry.name}` : entry.name;
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (ALWAYS_IGNORED.has(entry.name)) continue;
        if (options.dvcignore.ignoresEntry(repoPath, true)) continue;
        if (options.gitignore?.ignoresEntry(absolute, true)) continue;
        if (existsSync(path.join(absolute, '.dvc'))) continue; // a nested DVC repository
        directories.push([absolute, repoPath]);
      } else if (entry.isFile()) {
        const file = { absolute, repoPath, basename: entry.name };
        if (!options.accept(file)) continue;
        if (options.dvcignore.ignoresEntry(repoPath, false)) continue;
        if (options.gitignore?.ignoresEntry(absolute, false)) continue;
        files.push(file);
      }
    }
    if (files.length > 0) {
      for (const output of await options.load(files)) outputs.add(output);
      found.push(...files);
    }
    for (const [absolute, repoPath] of directories) {
      if (!outputs.has(absolute)) await visit(absolute, repoPath);
    }
  };
  await visit(root, '');
  return found;
}
