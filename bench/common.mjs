// What the side-by-side benchmarks share: where tvc and DVC are, and the environment they run in.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const tvcBin = path.join(root, 'packages/cli/bin/tvc.js');
/** DVC from `TVC_DVC` or `.venv/bin/dvc` (made by `.ci/run`); undefined without one. */
export const dvcBin = [process.env.TVC_DVC, path.join(root, '.venv/bin/dvc')].find(
  (candidate) => candidate && existsSync(candidate),
);
/** No analytics, no prompts, and a git identity for the commits the benchmarks make. */
export const benchEnv = {
  ...process.env,
  DVC_NO_ANALYTICS: '1',
  CI: '1',
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@tvc.test',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@tvc.test',
};

/** `git <args>` in `dir`, its output trimmed; `input` goes to its stdin. */
export function git(dir, args, input, env = benchEnv) {
  return execFileSync('git', args, {
    cwd: dir,
    env,
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  }).trim();
}
