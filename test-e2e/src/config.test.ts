import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { comparisonDvc, dvc, type RunResult, TempRepo } from './harness';

/**
 * `tvc config`, `tvc remote …` and `tvc version` against DVC: the same commands in two temporary
 * repositories (one run by tvc, one by DVC) must leave the same `.dvc/config` and
 * `.dvc/config.local` bytes and print the same `config -l` and `remote list`; each tool reads
 * what the other wrote; comments survive tvc's edits. The user and system levels live in a
 * temporary directory (DVC_GLOBAL_CONFIG_DIR, DVC_SYSTEM_CONFIG_DIR), never the real ones.
 */
const binary = comparisonDvc('config');
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'tvc-e2e-config-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

let counter = 0;
beforeEach(async () => {
  counter++;
  // The harness passes process.env on to tvc and DVC (this file runs in its own worker).
  process.env.DVC_GLOBAL_CONFIG_DIR = path.join(scratch, `global-${counter}`);
  process.env.DVC_SYSTEM_CONFIG_DIR = path.join(scratch, `system-${counter}`);
});

const repos: TempRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((repo) => repo.remove()));
});

async function repo(): Promise<TempRepo> {
  const created = await TempRepo.create(undefined, { commit: false });
  await mkdir(created.path('sub'), { recursive: true });
  repos.push(created);
  return created;
}

async function readOrMissing(file: string): Promise<string> {
  return existsSync(file) ? readFile(file, 'utf8') : '<missing>';
}

type Tool = 'tvc' | 'dvc';
const runIn = (target: TempRepo, tool: Tool, args: readonly string[], subdir = '.'): Promise<RunResult> =>
  tool === 'tvc' ? target.tvcIn(subdir, ...args) : dvc(target.path(subdir), ...args);

/** Command sequences run in both repositories; `[subdir, ...args]` runs from a subdirectory. */
const CASES: Record<string, readonly (readonly string[])[]> = {
  'remote add -d, modify, config values': [
    ['remote', 'add', '-d', 'myremote', '/tmp/store'],
    ['remote', 'add', 'S3Remote', 's3://bucket/path'],
    ['remote', 'modify', 's3remote', 'region', 'eu-west-1'],
    ['remote', 'modify', 's3remote', 'sse', "it's"],
    ['remote', 'modify', 's3remote', 'acl', 'a "q"'],
    ['config', 'core.autostage', 'true'],
    ['config', 'cache.type', 'hardlink,symlink'],
    ['config', '--local', 'core.remote', 's3remote'],
  ],
  'relative paths from a subdirectory': [
    ['remote', 'add', 'up', '../store'],
    ['sub', 'remote', 'add', 'side', '../st2'],
    ['sub', 'remote', 'add', '--local', 'loc', 'rel'],
    ['sub', 'config', 'cache.dir', '../cache-elsewhere'],
    ['remote', 'add', 'web', 'https://x.com/a b#c,d'],
  ],
  'rename, default, unset, remove': [
    ['remote', 'add', '-d', 'one', '/tmp/one'],
    ['remote', 'add', 'two', 's3://b/two'],
    ['remote', 'rename', 'one', 'first'],
    ['remote', 'default', 'two'],
    ['remote', 'modify', 'two', 'region', 'x'],
    ['remote', 'modify', '-u', 'two', 'region'],
    ['config', 'core.checksum_jobs', '4'],
    ['config', '-u', 'core.checksum_jobs'],
    ['remote', 'remove', 'two'],
  ],
  'errors change nothing': [
    ['remote', 'add', 'r', '/tmp/r'],
    ['config', 'core.nosuch', 'x'],
    ['config', 'core.autostage', 'maybe'],
    ['remote', 'add', 'r', '/tmp/other'],
    ['remote', 'modify', 'r', 'timeout', '3'],
    ['remote', 'default', 'nosuch'],
    ['remote', 'rename', 'nosuch', 'x'],
    ['config', '-u', 'nosec.x'],
    ['config', 'foo'],
  ],
  'global and system levels': [
    ['config', '--global', 'core.remote', 'g'],
    ['remote', 'add', '--system', 'sys', 's3://sys/bucket'],
    ['config', '--system', 'core.analytics', 'false'],
  ],
};

// A DVC start costs 1-3 s on a loaded machine, and a case runs a dozen commands through each tool.
describe.skipIf(!binary)('tvc config and tvc remote, against DVC', { timeout: 300_000 }, () => {
  for (const [name, steps] of Object.entries(CASES)) {
    it(`${name}: the same files, output and exit codes`, async () => {
      const results: Record<Tool, { outputs: string[]; files: string[] }> = {
        tvc: { outputs: [], files: [] },
        dvc: { outputs: [], files: [] },
      };
      for (const tool of ['tvc', 'dvc'] as const) {
        counter++;
        process.env.DVC_GLOBAL_CONFIG_DIR = path.join(scratch, `global-${counter}`);
        process.env.DVC_SYSTEM_CONFIG_DIR = path.join(scratch, `system-${counter}`);
        const target = await repo();
        for (const step of steps) {
          const [first, ...rest] = step;
          const result =
            first === 'sub' ? await runIn(target, tool, rest, 'sub') : await runIn(target, tool, step);
          // A usage error: DVC prints its usage too (to stdout), tvc one line.
          const stdout = result.code === 254 ? '' : result.stdout;
          results[tool].outputs.push(`${step.join(' ')} -> ${result.code}\n${stdout}`);
        }
        for (const args of [
          ['config', '-l'],
          ['remote', 'list'],
          ['remote', 'default'],
          ['config', 'core.remote'],
        ]) {
          const result = await runIn(target, tool, args);
          results[tool].outputs.push(`${args.join(' ')} -> ${result.code}\n${result.stdout}`);
        }
        for (const file of [
          target.path('.dvc', 'config'),
          target.path('.dvc', 'config.local'),
          path.join(process.env.DVC_GLOBAL_CONFIG_DIR, 'config'),
          path.join(process.env.DVC_SYSTEM_CONFIG_DIR, 'config'),
        ]) {
          results[tool].files.push(await readOrMissing(file));
        }
        // `config -l` lists absolute paths, which differ between the two repositories.
        results[tool].outputs = results[tool].outputs.map((text) => text.split(target.dir).join('<repo>'));
      }
      expect(results.tvc.files).toEqual(results.dvc.files);
      expect(results.tvc.outputs).toEqual(results.dvc.outputs);
    });
  }

  it("error messages are DVC's, with the file named", async () => {
    const target = await repo();
    const result = await target.tvc('config', 'core.nosuch', 'x');
    expect(result.code).toBe(251);
    expect(result.stderr).toBe(
      `ERROR: configuration error - config file error: extra keys not allowed @ data['core']['nosuch'] (in ${target.path('.dvc', 'config')})\n`,
    );
    const dvcResult = await target.dvc('config', 'core.nosuch', 'x');
    expect(dvcResult.stderr).toContain(
      "ERROR: configuration error - config file error: extra keys not allowed @ data['core']['nosuch']",
    );
    const usage = await target.tvc('config', 'a.b.c.d', 'x');
    expect(usage.code).toBe(254);
    expect(usage.stderr).toContain(
      'ERROR: argument name: name argument should look like remote.name.option or db.name.option or section.option',
    );
  });

  it('each tool reads what the other wrote', async () => {
    const byTvc = await repo();
    await byTvc.tvc('remote', 'add', '-d', 'store', '../store');
    await byTvc.tvc('remote', 'modify', 'store', 'jobs', '4');
    await byTvc.tvc('config', '--local', 'cache.type', 'symlink');
    expect((await byTvc.dvc('remote', 'list')).stdout).toBe((await byTvc.tvc('remote', 'list')).stdout);
    const dvcList = await byTvc.dvc('config', '-l', '--show-origin');
    expect(dvcList.code).toBe(0);
    expect(dvcList.stdout).toBe((await byTvc.tvc('config', '-l', '--show-origin')).stdout);
    expect(dvcList.stdout).toContain('.dvc/config.local\tcache.type=symlink');

    const byDvc = await repo();
    await byDvc.dvc('remote', 'add', '-d', 'origin', 's3://b/p');
    await byDvc.dvc('remote', 'modify', 'origin', 'profile', 'me');
    expect((await byDvc.tvc('config', 'remote.origin.profile')).stdout).toBe('me\n');
    expect((await byDvc.tvc('remote', 'default')).stdout).toBe('origin\n');
    expect((await byDvc.tvc('config', '-l')).stdout).toBe((await byDvc.dvc('config', '-l')).stdout);
  });

  it('comments and layout survive an edit', async () => {
    const target = await repo();
    const original = [
      '# project settings',
      '[core]',
      '  remote = origin   # where we push',
      '  autostage = true',
      '',
      '# the team bucket',
      '[\'remote "origin"\']',
      '  url = s3://team/data  # ask ops for access',
      '',
    ].join('\n');
    await target.write('.dvc/config', original);
    expect((await target.tvc('remote', 'modify', 'origin', 'region', 'eu-west-1')).code).toBe(0);
    expect((await target.tvc('config', 'core.autostage', 'false')).code).toBe(0);
    expect(await target.read('.dvc/config')).toBe(
      [
        '# project settings',
        '[core]',
        '  remote = origin   # where we push',
        '  autostage = false',
        '',
        '# the team bucket',
        '[\'remote "origin"\']',
        '  url = s3://team/data  # ask ops for access',
        '  region = eu-west-1',
        '',
      ].join('\n'),
    );
    // and DVC reads the result
    const listed = await target.dvc('config', '-l');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(
      'remote.origin.url=s3://team/data\nremote.origin.region=eu-west-1\ncore.remote=origin\ncore.autostage=false\n',
    );
    // a rename moves the remote's lines, comments included, and follows core.remote
    expect((await target.tvc('remote', 'rename', 'origin', 'team')).code).toBe(0);
    expect(await target.read('.dvc/config')).toBe(
      [
        '# project settings',
        '[core]',
        '  remote = team   # where we push',
        '  autostage = false',
        '',
        '# the team bucket',
        '[\'remote "team"\']',
        '  url = s3://team/data  # ask ops for access',
        '  region = eu-west-1',
        '',
      ].join('\n'),
    );
    expect((await target.dvc('remote', 'list')).stdout).toBe('team    s3://team/data  (default)\n');
  });
});

describe('tvc version', () => {
  it('prints the versions, the config dirs, the link types that work and the repository', async () => {
    const target = await repo();
    await mkdir(target.path('.dvc', 'cache'), { recursive: true });
    await target.tvc('remote', 'add', 'a', 's3://b/p');
    await target.tvc('remote', 'add', 'b', '/tmp/b');
    const result = await target.tvc('version');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^tvc version: \d+\.\d+\.\d+/);
    expect(lines[2]).toMatch(new RegExp(`^Platform: Node.js ${process.version.replace(/\./g, '\\.')} on `));
    expect(result.stdout).toContain(`\tGlobal: ${process.env.DVC_GLOBAL_CONFIG_DIR}\n`);
    expect(result.stdout).toMatch(/\nCache types: [a-z, ]*hardlink[a-z, ]*\n/);
    expect(result.stdout).toContain('\nRemotes: s3, local\n');
    expect(result.stdout).toContain('\n\tremotes: http, https, local, s3, ssh\n');
    expect(result.stdout).toContain(`\nCache directory: ${target.path('.dvc', 'cache')} (`);
    expect(result.stdout).toContain('\nRepo: dvc, git\n');
    expect(result.stdout).not.toMatch(/dvc\.org/);
    expect((await target.tvc('doctor')).stdout).toBe(result.stdout);
  });
});
