import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LogEvent, RemoteError, reproduce, type Tvc, TvcError } from '@tvc/core';
import { openTvc } from '@tvc/preset-default';
import { afterEach, describe, expect, it } from 'vitest';
import ExamplePlugins, { envParamsFormat } from './index';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** A git + DVC project whose stage reads `lr` from train.env, opened with the example plugins. */
async function project(lines: string[] = []): Promise<{ root: string; tvc: Tvc; logs: string[] }> {
  const root = mkdtempSync(path.join(tmpdir(), 'tvc-example-plugin-'));
  directories.push(root);
  execFileSync('git', ['init', '-q'], { cwd: root });
  writeFileSync(path.join(root, 'train.env'), '# training\nlr=0.1\nname="base line"\n');
  writeFileSync(
    path.join(root, 'dvc.yaml'),
    'stages:\n  train:\n    cmd: echo trained > model.txt\n    params:\n    - train.env:\n      - lr\n    outs:\n    - model.txt\n',
  );
  execFileSync('mkdir', ['.dvc'], { cwd: root });
  const tvc = await openTvc({
    cwd: root,
    plugins: [new ExamplePlugins({ timer: { write: (line) => lines.push(line) } })],
  });
  const logs: string[] = [];
  tvc.hooks.log.tap('test', (event: LogEvent) => {
    logs.push(event.message);
  });
  return { root, tvc, logs };
}

describe('the example plugins', () => {
  it('read and edit .env params through the params format, with located syntax errors', async () => {
    const { root, tvc } = await project();
    expect(await tvc.readParams('train.env')).toEqual({ lr: 0.1, name: 'base line' });
    const text = readFileSync(path.join(root, 'train.env'), 'utf8');
    expect(
      envParamsFormat.write(
        text,
        [
          { kind: 'set', path: ['lr'], value: 0.2 },
          { kind: 'set', path: ['epochs'], value: 3 },
        ],
        'train.env',
      ),
    ).toBe('# training\nlr=0.2\nname="base line"\nepochs=3\n');
    writeFileSync(path.join(root, 'bad.env'), 'a=1\nnot a pair\n');
    const error = await tvc.readParams('bad.env').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TvcError);
    expect((error as TvcError).describe()).toBe("bad.env:2:1: expected KEY=value, got 'not a pair'");
  });

  it('add the `env show` command', async () => {
    const { tvc } = await project();
    const command = tvc.commands().find((spec) => spec.name === 'env show')!;
    expect(command.plugin).toBe('env-params');
    let out = '';
    const io = {
      stdout: {
        write: (chunk: string) => {
          out += chunk;
          return true;
        },
      },
    };
    await command.run({ tvc, args: ['train.env'], options: { key: 'lr' }, io } as never);
    expect(out).toBe('0.1\n');
  });

  it('report stages: stageStart only for stages that run, stageFailed for a failure', async () => {
    const lines: string[] = [];
    const { root, tvc } = await project(lines);
    await reproduce(tvc);
    expect(lines).toEqual([expect.stringMatching(/^train: ran in \d+ ms$/)]);
    lines.length = 0;
    await reproduce(
      await openTvc({
        cwd: root,
        plugins: [new ExamplePlugins({ timer: { write: (line) => lines.push(line) } })],
      }),
    );
    expect(lines).toEqual(['train: skipped']);
    lines.length = 0;
    writeFileSync(path.join(root, 'dvc.yaml'), 'stages:\n  broken:\n    cmd: exit 3\n');
    const failing = await openTvc({
      cwd: root,
      plugins: [new ExamplePlugins({ timer: { write: (line) => lines.push(line) } })],
    });
    await reproduce(failing).catch(() => undefined);
    expect(lines).toEqual([expect.stringMatching(/^broken: failed \(.*exit.*3.*\)$/)]);
  });

  it('run commands through the `logged` executor', async () => {
    const { root, tvc, logs } = await project();
    const result = await tvc
      .executor('logged')
      .run({ id: 't', commands: ['echo hi > out.txt'], cwd: root, env: process.env }, {});
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path.join(root, 'out.txt'), 'utf8')).toBe('hi\n');
    expect(logs).toEqual([`logged: running 1 command(s) in ${root}`]);
  });

  it('store objects in a folder:// remote, atomically', async () => {
    const { root, tvc } = await project();
    const storage = await tvc.hooks.remoteStorage.for('folder').promise({
      name: 'store',
      url: `folder://${root}/store`,
      scheme: 'folder',
      options: {},
      baseDir: root,
    });
    expect(storage?.kind).toBe('folder');
    const key = 'files/md5/ab/cdef';
    await storage!.upload(path.join(root, 'train.env'), key);
    expect(await storage!.exists(key)).toBe(true);
    const keys: string[] = [];
    for await (const found of storage!.list('files/')) keys.push(found);
    expect(keys).toEqual([key]);
    await storage!.download(key, path.join(root, 'back', 'train.env'));
    expect(readFileSync(path.join(root, 'back', 'train.env'), 'utf8')).toContain('lr=0.1');
    await storage!.remove(key);
    expect(existsSync(path.join(root, 'store', 'files', 'md5', 'ab', 'cdef'))).toBe(false);
    await expect(storage!.download(key, path.join(root, 'x'))).rejects.toBeInstanceOf(RemoteError);
  });
});
