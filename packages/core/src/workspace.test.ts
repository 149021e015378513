import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TvcError } from './errors';
import { makeRepo } from './test-repo';
import { Workspace } from './workspace';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

describe('Workspace.checkout', () => {
  it('reports a hostile manifest as a TvcError naming the manifest, and writes nothing', async () => {
    const { root, cleanup } = makeRepo({ 'x.txt': 'x\n' });
    cleanups.push(cleanup);
    const workspace = new Workspace(root);
    await workspace.save(path.join(root, 'x.txt'), { kind: 'file', md5: md5('x\n'), size: 2, isexec: false });
    const text = `[{"md5": "${md5('x\n')}", "relpath": "../../evil"}]`;
    const manifest = workspace.cache.objectPath(`${md5(text)}.dir`);
    mkdirSync(path.dirname(manifest), { recursive: true });
    writeFileSync(manifest, text);

    const error = await workspace
      .checkout(`${md5(text)}.dir`, path.join(root, 'd'))
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(TvcError);
    expect((error as TvcError).code).toBe('CACHE_CORRUPT');
    expect((error as TvcError).message).toContain("cannot check out 'd'");
    expect((error as TvcError).message).toContain('corrupt or hostile');
    expect((error as TvcError).message).toContain(manifest);
    expect(existsSync(path.join(root, 'd'))).toBe(false);
    expect(existsSync(path.resolve(root, '..', 'evil'))).toBe(false);
    expect(await workspace.verify(`${md5(text)}.dir`)).toBe('corrupt');
  });

  it('reports a missing object as a TvcError', async () => {
    const { root, cleanup } = makeRepo({});
    cleanups.push(cleanup);
    const error = await new Workspace(root)
      .checkout(md5('nothing'), path.join(root, 'f'))
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(TvcError);
    expect((error as TvcError).code).toBe('CACHE_MISSING');
  });
});
