import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, TempRepo } from './harness';

/**
 * A plugin works in every workspace: in the copies `exp run --temp` and `--queue` run in, the
 * config's relative plugin paths resolve against the original repository (a plugin outside it
 * included), a config that is not committed still applies, and a hook reads the original
 * repository's root through `tvc.originalRoot`.
 */
const LOGGER = `// taps stageStart and stageDone; writes where the stage ran into the ORIGINAL repository
import { appendFileSync } from 'node:fs';
import path from 'node:path';

export default function stageLogger(tvc, options = {}) {
  const log = (line) => appendFileSync(path.join(tvc.originalRoot, options.file ?? 'stages.log'), line + '\\n');
  tvc.hooks.stageStart.tapPromise('stage-logger', async ({ stage }) =>
    log(\`start \${stage.addressing} \${tvc.root === tvc.originalRoot ? 'workspace' : 'copy'}\`),
  );
  tvc.hooks.stageDone.tapPromise('stage-logger', async ({ stage }) => log(\`done \${stage.addressing}\`));
}
`;

const DVC_YAML = `stages:
  train:
    cmd: echo trained > model.txt
    params:
    - params.ini:
      - train.lr
    outs:
    - model.txt
`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A repository whose dvc.yaml reads params.ini (only the INI plugin reads it); the config and the
 * INI plugin are NOT committed, and the logger plugin lives outside the repository.
 */
async function project(): Promise<TempRepo> {
  const repo = await TempRepo.create();
  const outside = await mkdtemp(path.join(tmpdir(), 'tvc-plugin-outside-'));
  cleanups.push(
    () => repo.remove(),
    () => rm(outside, { recursive: true, force: true }),
  );
  await repo.write('dvc.yaml', DVC_YAML);
  await repo.write('params.ini', '[train]\nlr = 0.01\n');
  await repo.write('.gitignore', '/model.txt\n');
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'pipeline');
  await cp(
    path.join(FIXTURES, 'third-party-plugin/plugins/ini-params.mjs'),
    repo.path('plugins/ini-params.mjs'),
  );
  await repo.write('../' + path.basename(outside) + '/stage-logger.mjs', LOGGER);
  await repo.write(
    'tvc.config.mjs',
    `export default {\n  plugins: ['./plugins/ini-params.mjs', ['../${path.basename(outside)}/stage-logger.mjs', { file: 'stages.log' }]],\n};\n`,
  );
  return repo;
}

describe('plugins in experiment workspaces', () => {
  it('apply in an `exp run --temp` copy: uncommitted config, a plugin outside the repository, the original root', async () => {
    const repo = await project();
    expect(await repo.git('status', '--porcelain', '--untracked-files=all')).toContain('?? tvc.config.mjs');
    const run = await repo.tvc('exp', 'run', '--temp', '-n', 'in-temp');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await repo.read('stages.log')).toBe('start train copy\ndone train\n');
    expect(await repo.git('for-each-ref', '--format=%(refname)', 'refs/exps/')).toMatch(/\/in-temp\n$/);
    // the user's workspace is untouched
    expect(existsSync(repo.path('model.txt'))).toBe(false);
  });

  it('apply in a queued experiment run by a worker', async () => {
    const repo = await project();
    const queued = await repo.tvc('exp', 'run', '--queue', '-n', 'queued');
    expect(queued.stderr).toBe('');
    const run = await repo.tvc('exp', 'run', '--run-all');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await repo.read('stages.log')).toBe('start train copy\ndone train\n');
    expect(await repo.git('for-each-ref', '--format=%(refname)', 'refs/exps/')).toMatch(/\/queued\n$/);
  });

  it('and in the workspace itself (repro), where originalRoot is the root', async () => {
    const repo = await project();
    const run = await repo.tvc('repro');
    expect(run.code).toBe(0);
    expect(await readFile(repo.path('stages.log'), 'utf8')).toBe('start train workspace\ndone train\n');
  });
});
