import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparisonDvc, dvc, type RunResult, TempRepo, TVC_BIN, tvc } from './harness';
import { type MotoServer, motoForTests } from './services/moto';

/**
 * Differential: DVC pulls what tvc pushed to an S3-compatible server (moto), and tvc pulls what
 * DVC pushed; both lay the remote out the same way. The remote is configured with `endpointurl`
 * in `.dvc/config` and the keys in `.dvc/config.local`, as a team would.
 */

let moto: MotoServer | undefined;
let haveDvc = false;
const cleanup: string[] = [];

beforeAll(async () => {
  haveDvc = comparisonDvc('the S3 remote differential tests') !== undefined;
  if (haveDvc) moto = await motoForTests('the S3 remote differential tests');
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

function client(server: MotoServer): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

let buckets = 0;
async function newBucket(server: MotoServer): Promise<string> {
  const bucket = `tvc-diff-${process.pid}-${++buckets}`;
  const s3 = client(server);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  return bucket;
}

async function keysIn(server: MotoServer, bucket: string, prefix: string): Promise<string[]> {
  const s3 = client(server);
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) keys.push((object.Key ?? '').slice(prefix.length));
  }
  s3.destroy();
  return keys.sort();
}

/** Each object's content hashes to the md5 its key names (`files/md5/ab/cdef…[.dir]`). */
async function expectWholeObjects(
  server: MotoServer,
  bucket: string,
  prefix: string,
  keys: string[],
): Promise<void> {
  const s3 = client(server);
  try {
    for (const key of keys) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}${key}` }));
      const body = await (
        object.Body as { transformToByteArray(): Promise<Uint8Array> }
      ).transformToByteArray();
      const md5 = createHash('md5').update(body).digest('hex');
      expect(`files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`, key).toBe(key.replace(/\.dir$/, ''));
    }
  } finally {
    s3.destroy();
  }
}

function ok(what: string, result: RunResult): RunResult {
  if (result.code !== 0) {
    throw new Error(
      `${what} exited ${result.code}\n--- stderr ---\n${result.stderr}\n--- stdout ---\n${result.stdout}`,
    );
  }
  return result;
}

/** A repository with a file and a directory tracked, and an s3 remote on moto. */
async function project(server: MotoServer, url: string): Promise<TempRepo> {
  const repo = await TempRepo.create();
  cleanup.push(repo.dir);
  await repo.write('data.txt', 'one line of data\n');
  await repo.write('images/a.bin', randomBytes(3000).toString('base64'));
  await repo.write('images/b.bin', randomBytes(5000).toString('base64'));
  await repo.write('images/nested/c.txt', 'c\n');
  ok('tvc add', await repo.tvc('add', 'data.txt', 'images'));
  await repo.write(
    '.dvc/config',
    `[core]\n    remote = s3remote\n['remote "s3remote"']\n    url = ${url}\n    endpointurl = ${server.endpoint}\n`,
  );
  await repo.write(
    '.dvc/config.local',
    `['remote "s3remote"']\n    access_key_id = testing\n    secret_access_key = testing\n`,
  );
  await repo.git('add', '-A');
  await repo.git('commit', '-q', '-m', 'data');
  return repo;
}

/** A fresh clone (no cache, no data) with the source's config.local (which git does not carry). */
async function freshClone(source: TempRepo): Promise<string> {
  const parent = await mkdtemp(path.join(tmpdir(), 'tvc-e2e-s3clone-'));
  cleanup.push(parent);
  const dir = path.join(parent, 'clone');
  execFileSync('git', ['clone', '-q', source.dir, dir]);
  await cp(source.path('.dvc/config.local'), path.join(dir, '.dvc/config.local'));
  return dir;
}

async function expectSameData(source: TempRepo, clone: string): Promise<void> {
  for (const file of ['data.txt', 'images/a.bin', 'images/b.bin', 'images/nested/c.txt']) {
    expect(await readFile(path.join(clone, file), 'utf8'), file).toBe(await source.read(file));
  }
}

describe('S3 remote: tvc and DVC interoperate', () => {
  it('tvc push, then dvc pull in a fresh clone', async (context) => {
    if (!moto) return context.skip();
    const bucket = await newBucket(moto);
    const repo = await project(moto, `s3://${bucket}/store`);
    // Before the push, status -c says the same as DVC's (lines in any order), --json too.
    const sorted = (text: string) => text.split('\n').sort().join('\n');
    const dvcStatus = await repo.dvc('status', '-c');
    const tvcStatus = await repo.tvc('status', '-c');
    expect(sorted(tvcStatus.stdout)).toBe(sorted(dvcStatus.stdout));
    expect(tvcStatus.code).toBe(dvcStatus.code);
    expect(JSON.parse((await repo.tvc('status', '-c', '--json')).stdout)).toEqual(
      JSON.parse((await repo.dvc('status', '-c', '--json')).stdout),
    );
    const pushed = ok('tvc push', await repo.tvc('push', '-r', 's3remote'));
    expect(pushed.stdout).toContain('5 files pushed');
    const keys = await keysIn(moto, bucket, 'store/');
    expect(keys).toHaveLength(5);
    for (const key of keys) expect(key).toMatch(/^files\/md5\/[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/);

    // DVC sees everything on the remote, then pulls it.
    const status = ok('dvc status -c', await repo.dvc('status', '-c'));
    expect(status.stdout).toContain("Cache and remote 's3remote' are in sync");
    const clone = await freshClone(repo);
    const pulled = ok('dvc pull', await dvc(clone, 'pull', '-r', 's3remote'));
    expect(pulled.stdout).toMatch(/5 files (fetched|added)/);
    await expectSameData(repo, clone);

    // A second push finds everything there.
    expect(ok('tvc push again', await repo.tvc('push')).stdout).toContain('Everything is up to date');
  });

  it('dvc push, then tvc pull in a fresh clone; both push the same keys', async (context) => {
    if (!moto) return context.skip();
    const bucket = await newBucket(moto);
    const repo = await project(moto, `s3://${bucket}/dvc`);
    ok('dvc push', await repo.dvc('push', '-r', 's3remote'));
    const dvcKeys = await keysIn(moto, bucket, 'dvc/');
    expect(dvcKeys).toHaveLength(5);

    const clone = await freshClone(repo);
    const pulled = ok('tvc pull', await tvc(clone, 'pull', '-r', 's3remote'));
    expect(pulled.stdout).toMatch(/5 files (fetched|added)/);
    await expectSameData(repo, clone);

    // The same data pushed by tvc to another prefix: the same keys.
    const config = await repo.read('.dvc/config');
    await repo.write('.dvc/config', config.replace(`s3://${bucket}/dvc`, `s3://${bucket}/tvc`));
    expect(ok('tvc push (other prefix)', await repo.tvc('push')).stdout).toContain('5 files pushed');
    expect(await keysIn(moto, bucket, 'tvc/')).toEqual(dvcKeys);
  });

  it('an interrupted push (SIGKILL) completes on the next push; every object whole, once, under its md5', async (context) => {
    if (!moto) return context.skip();
    const server = moto;
    const bucket = await newBucket(server);
    const repo = await project(server, `s3://${bucket}/kill`);
    for (let index = 0; index < 120; index++)
      await repo.write(`many/f${index}.txt`, `${index}\n`.repeat(2000 + index));
    ok('tvc add many', await repo.tvc('add', '-q', 'many'));
    await repo.git('add', '-A');
    await repo.git('commit', '-q', '-m', 'many');
    const child = spawn(process.execPath, [TVC_BIN, 'push', '-j', '2'], { cwd: repo.dir, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('close', resolve));
    const started = Date.now();
    while ((await keysIn(server, bucket, 'kill/')).length < 10 && Date.now() - started < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    await exited;
    // Whatever the kill left: whole objects only, and a manifest only after all its files.
    const partial = await keysIn(server, bucket, 'kill/');
    await expectWholeObjects(server, bucket, 'kill/', partial);
    if (partial.some((key) => key.endsWith('.dir'))) expect(partial).toHaveLength(126);
    const again = ok('tvc push after the kill', await repo.tvc('push'));
    // (On a machine fast enough to finish before the kill, nothing is left to push.)
    expect(again.stdout).toMatch(partial.length < 126 ? /^\d+ files pushed\n$/ : /Everything is up to date/);
    // 5 objects of the first project + 120 files + the manifest of many/.
    const keys = await keysIn(server, bucket, 'kill/');
    expect(keys).toHaveLength(126);
    expect(new Set(keys).size).toBe(126);
    await expectWholeObjects(server, bucket, 'kill/', keys);
    expect(ok('dvc status -c', await repo.dvc('status', '-c')).stdout).toContain(
      "Cache and remote 's3remote' are in sync",
    );
  }, 180_000);

  it('refused credentials and a server that is not there: one error line each, no secret printed', async (context) => {
    if (!moto) return context.skip();
    const strict = await motoForTests('the S3 remote with credentials checked', {
      env: { INITIAL_NO_AUTH_ACTION_COUNT: '0' },
    });
    if (!strict) return context.skip();
    try {
      const repo = await project(strict, 's3://some-bucket/store');
      await repo.write(
        '.dvc/config.local',
        `['remote "s3remote"']\n    access_key_id = AKIAREFUSED000000000\n    secret_access_key = very-secret-value\n`,
      );
      for (const args of [['push'], ['push', '-v'], ['status', '-c']]) {
        const refused = await repo.tvc(...args);
        expect(refused.code, args.join(' ')).not.toBe(0);
        // The engine checks by HEAD or lists a prefix, depending on how many objects it wants.
        expect(refused.stderr).toMatch(/remote 's3remote': access denied when (checking|listing) \(/);
        expect(refused.stderr).toContain('tvc remote modify --local s3remote access_key_id');
        expect(refused.stderr + refused.stdout).not.toContain('very-secret-value');
      }
    } finally {
      await strict.stop();
    }
    const down = await project(moto, 's3://some-bucket/store');
    await down.write(
      '.dvc/config',
      (await down.read('.dvc/config')).replace(moto.endpoint, 'http://127.0.0.1:1'),
    );
    const result = await down.tvc('push');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /remote 's3remote': network error when (checking|listing) \(connect ECONNREFUSED/,
    );
    expect(result.stderr).toContain('check that the endpoint http://127.0.0.1:1 is up');
  });

  it('a missing bucket: one clear error line naming it, non-zero exit, nothing pushed', async (context) => {
    if (!moto) return context.skip();
    const bucket = await newBucket(moto);
    const repo = await project(moto, `s3://no-such-bucket-${bucket}/store`);
    const missing = await repo.tvc('push');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      `remote 's3remote': the bucket 'no-such-bucket-${bucket}' does not exist`,
    );
    expect(missing.stderr).not.toMatch(/dvc /);
    expect(missing.stdout).not.toContain('pushed');
  });
});
