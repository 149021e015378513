import { type Dirent, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ALWAYS_IGNORED, DvcIgnore } from './dvcignore';

/** A file found by {@link walkRepository}. */
export interface FoundFile {
  readonly absolute: string;
  /** Relative to the root, posix. */
  readonly repoPath: string;
  readonly basename: string;
}

/**
 * Lists the files of the repository that `accept` wants, honouring `.dvcignore`, never entering
 * `.git`, `.dvc` or a nested DVC repository. Directories are read concurrently.
 */
export async function walkRepository(
  root: string,
  accept: (file: FoundFile) => boolean,
  ignore: DvcIgnore = new DvcIgnore(root),
): Promise<FoundFile[]> {
  // Top-down like os.walk, which DVC's index follows: a directory's files (by name), then each
  // subdirectory (by name). Subdirectories are read concurrently, and results kept in that order.
  const visit = async (dir: string, prefix: string): Promise<FoundFile[]> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files: FoundFile[] = [];
    const subdirectories: Promise<FoundFile[]>[] = [];
    for (const entry of entries) {
      const repoPath = prefix ? `${prefix}/${entry.name}` : entry.name;
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (ALWAYS_IGNORED.has(entry.name)) continue;
        if (ignore.ignoresEntry(repoPath, true)) continue;
        if (existsSync(path.join(absolute, '.dvc'))) continue; // a nested DVC repository
        subdirectories.push(visit(absolute, repoPath));
      } else if (entry.isFile()) {
        const file = { absolute, repoPath, basename: entry.name };
        if (accept(file) && !ignore.ignoresEntry(repoPath, false)) files.push(file);
      }
    }
    for (const found of await Promise.all(subdirectories)) files.push(...found);
    return files;
  };
  return visit(root, '');
}
