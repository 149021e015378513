import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImportError } from './errors';

const run = promisify(execFile);

/** How long `git ls-remote` may take before the source counts as unreachable. */
export const LS_REMOTE_TIMEOUT_MS = 20_000;

export async function git(cwd: string | undefined, args: readonly string[], timeout = 0): Promise<string> {
  const { stdout } = await run('git', [...args], {
    cwd,
    timeout,
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  return stdout;
}

/** Reads a blob as bytes. */
export async function gitBlob(repository: string, revision: string, file: string): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('git', ['cat-file', 'blob', `${revision}:${file}`], {
    cwd: repository,
    encoding: 'buffer',
    maxBuffer: 1024 * 1024 * 1024,
  });
  return stdout;
}

/**
 * Where a `repo.url` is on this machine when it is a local path (relative ones are tried from each
 * of `bases` in turn), or `undefined` for a URL to clone.
 */
export function localRepository(url: string, bases: readonly string[]): string | undefined {
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(url) || /^[^/\\]+@[^/\\]+:/.test(url)) {
    return url.startsWith('file://') ? new URL(url).pathname : undefined;
  }
  if (path.isAbsolute(url)) return url;
  for (const base of bases) {
    const candidate = path.resolve(base, url);
    if (existsSync(candidate)) return candidate;
  }
  return path.resolve(bases[0] ?? '.', url);
}

const FULL_SHA = /^[0-9a-f]{40}$/i;

/**
 * The commit `rev` (HEAD when absent) names in the source repository now: `git rev-parse` in a
 * local one, `git ls-remote` for a URL. Throws `SOURCE_REPO_UNAVAILABLE` when it cannot be asked.
 */
export async function resolveRevision(
  url: string,
  rev: string | undefined,
  bases: readonly string[],
): Promise<string> {
  if (rev && FULL_SHA.test(rev)) return rev.toLowerCase();
  const local = localRepository(url, bases);
  if (local && !existsSync(local)) {
    throw new ImportError('SOURCE_REPO_UNAVAILABLE', `no repository at '${url}' (${local})`, {
      hint: 'check the path, or run from the directory the import was made in',
    });
  }
  try {
    if (local) return (await git(local, ['rev-parse', '--verify', `${rev ?? 'HEAD'}^{commit}`])).trim();
    const output = await git(undefined, ['ls-remote', url, rev ?? 'HEAD'], LS_REMOTE_TIMEOUT_MS);
    const lines = output.split('\n').filter(Boolean);
    const wanted = [rev ?? 'HEAD', `refs/heads/${rev}`, `refs/tags/${rev}^{}`, `refs/tags/${rev}`];
    for (const name of wanted) {
      const line = lines.find((candidate) => candidate.split('\t')[1] === name);
      if (line) return line.split('\t')[0]!;
    }
    const first = lines[0];
    if (first) return first.split('\t')[0]!;
    throw new Error(`no revision '${rev ?? 'HEAD'}'`);
  } catch (error) {
    const reason = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new ImportError(
      'SOURCE_REPO_UNAVAILABLE',
      `cannot read revision '${rev ?? 'HEAD'}' of '${url}': ${reason}`,
      {
        cause: error,
        hint: 'check the URL or path, and the network for a remote repository',
      },
    );
  }
}
