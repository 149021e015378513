import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HashError } from './errors.js';
import { FileHasher } from './file-hasher.js';
import { cleanup, temporaryDirectory } from './test-fixtures.js';
import type { FileHash } from './types.js';

afterAll(cleanup);

/** Queues `names`, lets `change` run between queueing and hashing, then hashes. */
async function hashAfter(
  names: readonly string[],
  change: (directory: string) => void,
  collect = false,
): Promise<{ hashes: Map<string, FileHash>; errors: Map<string, HashError>; thrown: unknown }> {
  const directory = temporaryDirectory();
  for (const name of names) writeFileSync(path.join(directory, name), `${name}\n`);
  const hashes = new Map<string, FileHash>();
  const errors = new Map<string, HashError>();
  const hasher = new FileHasher<string>((name, hash) => hashes.set(name, hash), {
    onError: collect ? (file, error) => errors.set(path.basename(file), error) : undefined,
  });
  for (const name of names) hasher.add(path.join(directory, name), name);
  // Queued files are hashed on finish(): whatever happens now happens between listing and hashing.
  change(directory);
  let thrown: unknown;
  try {
    await hasher.finish();
  } catch (error) {
    thrown = error;
  }
  return { hashes, errors, thrown };
}

describe('FileHasher, files that change between listing and hashing', () => {
  it('a file removed before it is read is NOT_FOUND, naming it', async () => {
    const { thrown } = await hashAfter(['a', 'b'], (directory) => rmSync(path.join(directory, 'b')));
    expect(thrown).toBeInstanceOf(HashError);
    expect((thrown as HashError).code).toBe('NOT_FOUND');
    expect((thrown as HashError).path).toMatch(/[/\\]b$/);
  });

  it('a file under a directory replaced by a file is NOT_FOUND, not a raw ENOTDIR', async () => {
    const directory = temporaryDirectory();
    mkdirSync(path.join(directory, 'sub'));
    writeFileSync(path.join(directory, 'sub', 'f'), 'f\n');
    const hasher = new FileHasher<number>(() => {});
    hasher.add(path.join(directory, 'sub', 'f'), 0);
    rmSync(path.join(directory, 'sub'), { recursive: true });
    writeFileSync(path.join(directory, 'sub'), 'now a file\n');
    const error = await hasher.finish().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(HashError);
    expect((error as HashError).code).toBe('NOT_FOUND');
  });

  it('a file replaced by a directory is NOT_A_FILE saying it is a directory now', async () => {
    const { thrown } = await hashAfter(['a'], (directory) => {
      rmSync(path.join(directory, 'a'));
      mkdirSync(path.join(directory, 'a'));
    });
    expect(thrown).toBeInstanceOf(HashError);
    expect((thrown as HashError).code).toBe('NOT_A_FILE');
    expect((thrown as HashError).message).toContain('is a directory');
    expect((thrown as HashError).hint ?? '').not.toContain('Sockets');
  });

  it('with onError, the vanished file is reported and the others are hashed', async () => {
    const { hashes, errors, thrown } = await hashAfter(
      ['a', 'b', 'c'],
      (directory) => rmSync(path.join(directory, 'b')),
      true,
    );
    expect(thrown).toBeUndefined();
    expect([...hashes.keys()].sort()).toEqual(['a', 'c']);
    expect([...errors.keys()]).toEqual(['b']);
    expect(errors.get('b')!.code).toBe('NOT_FOUND');
  });
});
