import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './harness';

/**
 * Every package installs outside the monorepo, and the build that makes them is quiet. Always:
 * each package is packed once with `pnpm pack` (~5 s) and its tarball's manifest checked (`workspace:*` replaced by a version, `files`,
 * `exports` with `types` first, the files it names inside). With TVC_PACK_INSTALL=1 (`pnpm
 * test:pack`; ~1 min, most of it npm install of the AWS SDK and friends), the tarballs are
 * installed with npm into an empty project, a script there loads a pipeline and hashes a
 * directory, and `npx tvc --help` runs from the packed CLI.
 */
const INSTALL = process.env.TVC_PACK_INSTALL === '1';

let packs: string;
let tarballs: string[];

beforeAll(() => {
  packs = mkdtempSync(path.join(tmpdir(), 'tvc-packs-'));
  execFileSync(
    'pnpm',
    ['-r', '--filter', './packages/*', '--filter', './plugins/*', 'pack', '--pack-destination', packs],
    { cwd: REPO_ROOT, stdio: 'pipe' },
  );
  tarballs = readdirSync(packs).filter((name) => name.endsWith('.tgz'));
}, 120_000);

afterAll(() => {
  if (packs) rmSync(packs, { recursive: true, force: true });
});

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  files?: string[];
  exports?: Record<string, unknown>;
  bin?: Record<string, string> | string;
  dependencies?: Record<string, string>;
}

function manifestOf(tarball: string): { manifest: Manifest; files: string[] } {
  const file = path.join(packs, tarball);
  const manifest = JSON.parse(
    execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' }),
  ) as Manifest;
  const files = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.replace(/^package\//, ''));
  return { manifest, files };
}

describe('packed packages', () => {
  it('have real versions for internal dependencies, files, and exports with types first', () => {
    expect(tarballs.length).toBeGreaterThanOrEqual(20);
    for (const tarball of tarballs) {
      const { manifest, files } = manifestOf(tarball);
      const where = `${manifest.name} (${tarball})`;
      expect(manifest.private, where).not.toBe(true);
      for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
        expect(range, `${where}: ${dependency}`).not.toMatch(/^workspace:/);
      }
      expect(manifest.files, where).toContain('dist');
      const root = manifest.exports?.['.'] as Record<string, string> | undefined;
      expect(root && Object.keys(root)[0], `${where}: exports['.'] starts with types`).toBe('types');
      for (const target of Object.values(root ?? {})) {
        expect(files, `${where}: ${target}`).toContain(target.replace(/^\.\//, ''));
      }
      expect(files, where).toContain('README.md');
    }
    const cli = manifestOf(tarballs.find((name) => name.startsWith('tvc-cli-'))!);
    expect(cli.manifest.bin).toEqual({ tvc: expect.any(String) });
    expect(cli.files).toContain((cli.manifest.bin as Record<string, string>).tvc!.replace(/^\.\//, ''));
  });
});

const CONSUMER = `// a library user's script, outside the monorepo
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ParamsSyntaxError, Tvc } from '@tvc/core';
import { hashDirectory } from '@tvc/hash';
import { openTvc } from '@tvc/preset-default';

const project = mkdtempSync(path.join(tmpdir(), 'consumer-project-'));
mkdirSync(path.join(project, '.dvc'));
mkdirSync(path.join(project, 'data'));
writeFileSync(path.join(project, 'data', 'a.txt'), 'a\\n');
writeFileSync(path.join(project, 'data', 'b.txt'), 'b\\n');
writeFileSync(path.join(project, 'params.yaml'), 'lr: 0.1\\n');
writeFileSync(
  path.join(project, 'dvc.yaml'),
  'stages:\\n  train:\\n    cmd: python train.py --lr \${lr}\\n    deps: [data]\\n    params: [lr]\\n    outs: [model.pkl]\\n',
);
const tvc = await openTvc({ cwd: project });
const pipeline = await tvc.loadPipeline();
const { md5, nfiles } = await hashDirectory(path.join(project, 'data'));
let bare = '';
try {
  await (await Tvc.open({ cwd: project })).loadPipeline();
} catch (error) {
  bare = error.hint;
}
console.log(
  JSON.stringify({
    stages: pipeline.stages.map((stage) => [stage.addressing, stage.cmd]),
    md5,
    nfiles,
    wroteTmp: existsSync(path.join(project, '.dvc', 'tmp')),
    bare,
    syntaxError: typeof ParamsSyntaxError,
  }),
);
`;

describe.runIf(INSTALL)('installed with npm into an empty project', () => {
  let consumer: string;
  beforeAll(() => {
    consumer = mkdtempSync(path.join(tmpdir(), 'tvc-consumer-'));
    const dependencies: Record<string, string> = {};
    for (const tarball of tarballs) {
      const { manifest } = manifestOf(tarball);
      dependencies[manifest.name] = `file:${path.join(packs, tarball)}`;
    }
    // overrides: a tarball's dependency on another @tvc package is that package's tarball
    writeFileSync(
      path.join(consumer, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies,
        overrides: dependencies,
      }),
    );
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: consumer,
      stdio: 'pipe',
    });
    writeFileSync(path.join(consumer, 'use.mjs'), CONSUMER);
  }, 300_000);

  afterAll(() => {
    if (consumer) rmSync(consumer, { recursive: true, force: true });
  });

  it('loads a pipeline and hashes a directory, writing nothing into the project', () => {
    const output = execFileSync(process.execPath, ['use.mjs'], { cwd: consumer, encoding: 'utf8' });
    const result = JSON.parse(output) as Record<string, unknown>;
    expect(result).toEqual({
      stages: [['train', 'python train.py --lr 0.1']],
      md5: expect.stringMatching(/^[0-9a-f]{32}\.dir$/),
      nfiles: 2,
      wroteTmp: false,
      bare: expect.stringContaining("openTvc() of '@tvc/preset-default'"),
      syntaxError: 'function',
    });
  });

  it('runs `npx tvc --help` from the packed CLI', () => {
    const help = spawnSync('npx', ['--no-install', 'tvc', '--help'], { cwd: consumer, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tvc/);
    expect(help.stdout).toContain('exp');
  });
});

describe('the build', () => {
  it("is quiet: turbo shows a failing task's log, not every package's tsup output", () => {
    const dry = execFileSync(
      'pnpm',
      ['exec', 'turbo', 'run', 'build', 'typecheck', '--filter', '@tvc/hash', '--dry=json'],
      { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const tasks = (
      JSON.parse(dry) as { tasks: { taskId: string; resolvedTaskDefinition: { outputLogs: string } }[] }
    ).tasks.map((task) => [task.taskId, task.resolvedTaskDefinition.outputLogs]);
    expect(tasks).toEqual([
      ['@tvc/hash#build', 'errors-only'],
      ['@tvc/hash#typecheck', 'errors-only'],
    ]);
  }, 60_000);
});
