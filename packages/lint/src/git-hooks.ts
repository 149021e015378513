import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TvcError, writeFileAtomic } from '@tvc/core';

/** The line that marks a hook as tvc's, so that it may be replaced and is never clobbered otherwise. */
const MARKER = '# installed by tvc install --hooks';

export interface GitHookResult {
  /** Absolute paths of the hooks written. */
  readonly written: readonly string[];
}

function hookScript(fallback: string | undefined): string {
  const find = fallback
    ? `tvc_bin=$(command -v tvc || true)\nif [ -z "$tvc_bin" ] && [ -f "${fallback}" ]; then tvc_bin="${fallback}"; fi`
    : 'tvc_bin=$(command -v tvc || true)';
  return `#!/bin/sh
${MARKER}: tvc lint checks the pipeline before each commit.
# Skip once with: git commit --no-verify
${find}
if [ -z "$tvc_bin" ]; then
  echo "tvc lint: tvc is not on PATH; the pipeline was not checked" >&2
  exit 0
fi
exec "$tvc_bin" lint
`;
}

/**
 * Writes a git `pre-commit` hook that runs `tvc lint` (for projects without the pre-commit
 * framework; with it, use the repository's `.pre-commit-hooks.yaml`). A hook that is not tvc's is
 * left alone unless `force`. `binary` is the tvc to fall back on when none is on PATH.
 */
export async function installGitHooks(
  scmRoot: string,
  options: { readonly force?: boolean; readonly binary?: string } = {},
): Promise<GitHookResult> {
  const result = spawnSync('git', ['rev-parse', '--git-path', 'hooks'], { cwd: scmRoot, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new TvcError('NOT_A_GIT_REPOSITORY', 'git hooks need a git repository', {
      hint: 'run `git init` first',
    });
  }
  const hooks = path.resolve(scmRoot, result.stdout.trim());
  mkdirSync(hooks, { recursive: true });
  const hook = path.join(hooks, 'pre-commit');
  if (existsSync(hook) && !options.force && !readFileSync(hook, 'utf8').includes(MARKER)) {
    throw new TvcError('HOOK_EXISTS', `${path.relative(scmRoot, hook)} exists and is not tvc's`, {
      location: { file: hook },
      hint: 'add `tvc lint` to it yourself, or use --force to replace it',
    });
  }
  await writeFileAtomic(hook, hookScript(options.binary));
  chmodSync(hook, 0o755);
  return { written: [hook] };
}
