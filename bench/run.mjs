// Runs every benchmark in turn. `--quick` keeps the whole run under two minutes.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const extra = process.argv.slice(2);
for (const bench of [
  'pipeline.mjs',
  'load-pipeline.mjs',
  'load-templated.mjs',
  'hash.mjs',
  'data.mjs',
  'remote.mjs',
  'exp-show.mjs',
  'queue.mjs',
]) {
  const result = spawnSync(process.execPath, [path.join(here, bench), ...extra], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
