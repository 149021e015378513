import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { openTvc } from '@tvc/preset-default';
import { RemoteError, type RemoteStorage } from '@tvc/remote';
import { openS3Remote } from '@tvc/remote-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempRepo } from './harness';
import { type MotoServer, motoForTests } from './services/moto';

/**
 * The S3 storage against moto's server mode, on loopback: every RemoteStorage method, multipart
 * uploads, both listing APIs with pagination, and the failures a user meets (missing object,
 * missing bucket, bad credentials, a server that is not there).
 */

const CREDENTIALS = { access_key_id: 'testing', secret_access_key: 'testing' };

let moto: MotoServer | undefined;
let work: string;

beforeAll(async () => {
  moto = await motoForTests('the S3 remote');
  work = await mkdtemp(path.join(tmpdir(), 'tvc-s3-'));
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function admin(server: MotoServer): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

let bucketCount = 0;
async function newBucket(server: MotoServer): Promise<string> {
  const bucket = `tvc-test-${process.pid}-${++bucketCount}`;
  const client = admin(server);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return bucket;
}

async function open(
  server: MotoServer,
  url: string,
  options: Record<string, unknown> = {},
): Promise<RemoteStorage> {
  return openS3Remote({
    name: 's3remote',
    url,
    scheme: 's3',
    options: { url, endpointurl: server.endpoint, ...CREDENTIALS, ...options },
    baseDir: work,
  });
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of iterable) keys.push(key);
  return keys.sort();
}

async function caught(promise: Promise<unknown>): Promise<RemoteError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RemoteError) return error;
    throw new Error(`expected a RemoteError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a RemoteError, but the call succeeded');
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

describe('S3 remote on moto', () => {
  it('uploads, lists, checks, downloads and removes objects under the remote prefix', async (context) => {
    if (!moto) return context.skip();
    const bucket = await newBucket(moto);
    const storage = await open(moto, `s3://${bucket}/team/store`);
    expect(storage.kind).toBe('s3');
    expect(storage.url).toBe(`s3://${bucket}/team/store`);
    expect(storage.canList).toBe(true);

    const data = Buffer.from('hello s3\n');
    const local = path.join(work, 'small');
    await writeFile(local, data);
    const key = `files/md5/${md5(data).slice(0, 2)}/${md5(data).slice(2)}`;
    let progress = 0;
    await storage.upload(local, key, { size: data.length, onProgress: (bytes) => (progress += bytes) });
    expect(progress).toBe(data.length);

    // The object is at bucket/prefix/key, as DVC lays it out.
    const client = admin(moto);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `team/store/${key}` }));
    expect(head.ContentLength).toBe(data.length);
    client.destroy();

    expect(await storage.exists(key)).toBe(true);
    expect(await storage.exists('files/md5/00/0000')).toBe(false);
    expect(await collect(storage.list('files/md5/'))).toEqual([key]);
    expect(await collect(storage.list(`files/md5/${md5(data).slice(0, 2)}/`))).toEqual([key]);
    expect(await collect(storage.list('files/md5/zz/'))).toEqual([]);

    const back = path.join(work, 'small.back');
    let downloaded = 0;
    await storage.download(key, back, { onProgress: (bytes) => (downloaded += bytes) });
    expect(await readFile(back)).toEqual(data);
    expect(downloaded).toBe(data.length);

    await storage.remove(key);
    expect(await storage.exists(key)).toBe(false);
    await storage.remove(key); // already gone: not an error
    expect(await collect(storage.list('files/md5/'))).toEqual([]);
    await storage.close();
  });

  it('uploads a large file in parts (AWS config file s3 section) and downloads it intact', async (context) => {
    if (!moto) return context.skip();
    const bucket = await newBucket(moto);
    const configFile = path.join(work, 'aws-config');
    await writeFile(
      configFile,
      '[default]\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n',
    );
    const storage = await open(moto, `s3://${bucket}`, { configpath: configFile });
    const data = randomBytes(12 * 1024 * 1024 + 123);
    const local = path.join(work, 'large');
    await writeFile(local, data);
    let progress = 0;
    await storage.upload(local, 'files/md5/ab/large', { onProgress: (bytes) => (progress += bytes) });
    expect(progress).toBe(data.length);

    // A multipart object's ETag ends in -<number of parts>: 5 + 5 + 2 MiB.
    const client = admin(moto);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'files/md5/ab/large' }));
    expect(head.ETag).toMatch(/-3"?$/);
    expect(head.ContentLength).toBe(data.length);
    client.destroy();

    const back = path.join(work, 'large.back');
    await storage.download('files/md5/ab/large', back);
    expect(md5(await readFile(back))).toBe(md5(data));
    await storage.close();
  });

  it('lists past one page, with ListObjectsV2 and with listobjects (v1)', async (context) => {
    if (!moto) return context.skip();
    const bucket = await newBucket(moto);
    const client = admin(moto);
    const expected: string[] = [];
    for (let i = 0; i < 1010; i++) expected.push(`files/md5/${(i % 7).toString(16).padStart(2, '0')}/${i}`);
    // Outside the remote's prefix: never listed.
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/files/md5/00/x', Body: 'x' }));
    for (let i = 0; i < expected.length; i += 50) {
      await Promise.all(
        expected
          .slice(i, i + 50)
          .map((key) => client.send(new PutObjectCommand({ Bucket: bucket, Key: `root/${key}`, Body: key }))),
      );
    }
    client.destroy();
    for (const listobjects of ['false', 'true']) {
      const storage = await open(moto, `s3://${bucket}/root`, { listobjects });
      expect(await collect(storage.list('files/md5/'))).toEqual([...expected].sort());
      expect((await collect(storage.list('files/md5/03/'))).length).toBe(
        expected.filter((k) => k.includes('/03/')).length,
      );
      await storage.close();
    }
  });

  it('reports a missing object as NOT_FOUND', async (context) => {
    if (!moto) return context.skip();
    const bucket = await newBucket(moto);
    const storage = await open(moto, `s3://${bucket}/p`);
    const error = await caught(storage.download('files/md5/aa/missing', path.join(work, 'nothing')));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.path).toBe(`s3://${bucket}/p/files/md5/aa/missing`);
    expect(error.retryable).toBe(false);
    await storage.close();
  });

  it('reports a missing bucket as NOT_FOUND naming the bucket, from every method', async (context) => {
    if (!moto) return context.skip();
    const storage = await open(moto, 's3://no-such-bucket-tvc/data');
    const local = path.join(work, 'for-missing-bucket');
    await writeFile(local, 'x');
    for (const attempt of [
      () => storage.exists('files/md5/aa/bb'),
      () => collect(storage.list('files/md5/')),
      () => storage.upload(local, 'files/md5/aa/bb'),
      () => storage.download('files/md5/aa/bb', path.join(work, 'nothing')),
    ]) {
      const error = await caught(attempt());
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toBe("the bucket 'no-such-bucket-tvc' does not exist");
      expect(error.path).toBe('s3://no-such-bucket-tvc');
    }
    const error = await caught(storage.exists('files/md5/aa/bb'));
    expect(error.hint).toContain('create the bucket');
    await storage.close();
  });

  it('refuses bad credentials as AUTH, with a hint naming the remote', async (context) => {
    if (!moto) return context.skip();
    // A second server that checks credentials (moto's IAM knows no key, so every key is refused).
    const strict = await motoForTests('the S3 remote with credentials checked', {
      env: { INITIAL_NO_AUTH_ACTION_COUNT: '0' },
    });
    if (!strict) return context.skip();
    try {
      const storage = await open(strict, 's3://some-bucket/data', {
        access_key_id: 'AKIAWRONGWRONGWRONG0',
        secret_access_key: 'wrong',
      });
      const local = path.join(work, 'for-auth');
      await writeFile(local, 'x');
      for (const attempt of [
        () => storage.exists('files/md5/aa/bb'),
        () => collect(storage.list('files/md5/')),
        () => storage.upload(local, 'files/md5/aa/bb'),
      ]) {
        const error = await caught(attempt());
        expect(error.code).toBe('AUTH');
        expect(error.retryable).toBe(false);
        // A HEAD's 403 has no body; the others name moto's InvalidAccessKeyId.
        expect(error.message).toMatch(
          /^access denied when (checking \(HTTP 403|(listing|writing) \(InvalidAccessKeyId)/,
        );
        expect(error.hint).toContain('tvc remote modify --local s3remote');
        expect(error.message).not.toContain('wrong');
      }
      await storage.close();
    } finally {
      await strict.stop();
    }
  });

  it('takes credentials from a profile of credentialpath; a missing profile is AUTH with where to set them', async (context) => {
    if (!moto) return context.skip();
    const bucket = await newBucket(moto);
    const credentials = path.join(work, 'aws-credentials');
    await writeFile(credentials, '[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = devsecret\n');
    const base = { url: `s3://${bucket}/p`, endpointurl: moto.endpoint, credentialpath: credentials };
    const request = (options: Record<string, unknown>) =>
      openS3Remote({
        name: 's3remote',
        url: base.url,
        scheme: 's3',
        options: { ...base, ...options },
        baseDir: work,
      });
    const storage = await request({ profile: 'dev', configpath: path.join(work, 'no-aws-config') });
    expect(await storage.exists('files/md5/aa/bb')).toBe(false);
    await storage.close();
    const missing = await request({ profile: 'nobody', configpath: path.join(work, 'no-aws-config') });
    const error = await caught(missing.exists('files/md5/aa/bb'));
    expect(error.code).toBe('AUTH');
    expect(error.hint).toContain('no AWS credentials were found');
    await missing.close();
  });

  it('reports a server that is not there as a retryable NETWORK error naming the endpoint', async (context) => {
    if (!moto) return context.skip();
    // moto's port once it is stopped: nothing listens there.
    const gone = await motoForTests('the S3 remote against a stopped server');
    if (!gone) return context.skip();
    await gone.stop();
    const storage = await open(gone, 's3://bucket/data', { connect_timeout: '2' });
    const error = await caught(storage.exists('files/md5/aa/bb'));
    expect(error.code).toBe('NETWORK');
    expect(error.retryable).toBe(true);
    expect(error.hint).toContain(gone.endpoint);
    await storage.close();
  });

  it('stops an upload on abort and leaves no object, small or multipart', async (context) => {
    if (!moto) return context.skip();
    const bucket = await newBucket(moto);
    const configFile = path.join(work, 'aws-config-abort');
    await writeFile(
      configFile,
      '[default]\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n',
    );
    const storage = await open(moto, `s3://${bucket}`, { configpath: configFile });
    const large = path.join(work, 'abort-large');
    await writeFile(large, randomBytes(16 * 1024 * 1024));
    const controller = new AbortController();
    const error = await caught(
      storage.upload(large, 'files/md5/ab/aborted', {
        signal: controller.signal,
        // Abort once the first bytes are out: parts are in flight, nothing is complete.
        onProgress: () => controller.abort(),
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(await storage.exists('files/md5/ab/aborted')).toBe(false);
    // The multipart upload itself was aborted on the server: no parts left behind.
    const client = admin(moto);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toEqual([]);
    client.destroy();

    const small = path.join(work, 'abort-small');
    await writeFile(small, 'small');
    const error2 = await caught(storage.upload(small, 'files/md5/ab/small', { signal: AbortSignal.abort() }));
    expect(error2.code).toBe('ABORTED');
    expect(await storage.exists('files/md5/ab/small')).toBe(false);
    await storage.close();
  });

  it('verifies the server certificate: refused by default, trusted with ssl_verify (a CA bundle or false)', async (context) => {
    if (!moto) return context.skip();
    const certDir = await mkdtemp(path.join(tmpdir(), 'tvc-s3-tls-'));
    try {
      const cert = path.join(certDir, 'cert.pem');
      const key = path.join(certDir, 'key.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-keyout',
          key,
          '-out',
          cert,
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      const secure = await motoForTests('the S3 remote over https', { tls: { cert, key } });
      if (!secure) return context.skip();
      try {
        expect(secure.endpoint.startsWith('https://')).toBe(true);
        const refused = await open(secure, 's3://tls-bucket/data', { connect_timeout: '5' });
        const error = await caught(refused.exists('files/md5/aa/bb'));
        expect(error.code).toBe('CONFIG');
        expect(error.hint).toContain('ssl_verify');
        await refused.close();

        for (const sslVerify of [cert, 'false']) {
          const storage = await open(secure, 's3://tls-bucket/data', { ssl_verify: sslVerify });
          const local = path.join(work, 'tls');
          await writeFile(local, `over tls with ${sslVerify}`);
          // The bucket does not exist yet: a clear NOT_FOUND over the verified connection.
          expect((await caught(storage.upload(local, 'files/md5/aa/bb'))).code).toBe('NOT_FOUND');
          await storage.close();
        }
      } finally {
        await secure.stop();
      }
    } finally {
      await rm(certDir, { recursive: true, force: true });
    }
  });

  it('refuses contradictory options before any request', async (context) => {
    if (!moto) return context.skip();
    const error = await caught(open(moto, 's3://bucket/data', { acl: 'private', grant_read: 'id=abc' }));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain("'acl' and 'grant_read' are mutually exclusive");
  });
});

describe('S3 remote through the built-in preset', () => {
  it("is served by remoteStorage.for('s3') of a repository opened with the preset", async (context) => {
    if (!moto) return context.skip();
    const bucket = await newBucket(moto);
    const repo = await TempRepo.create();
    try {
      const tvc = await openTvc({ cwd: repo.dir });
      const url = `s3://${bucket}/via-hook`;
      const storage = await tvc.hooks.remoteStorage.for('s3').promise({
        name: 's3remote',
        url,
        scheme: 's3',
        options: { url, endpointurl: moto.endpoint, ...CREDENTIALS },
        baseDir: repo.dir,
      });
      expect(storage?.kind).toBe('s3');
      const local = path.join(work, 'hook');
      await writeFile(local, 'via the hook');
      await storage?.upload(local, 'files/md5/12/34');
      expect(await collect(storage?.list('files/md5/') ?? emptyKeys())).toEqual(['files/md5/12/34']);
      await storage?.close();
    } finally {
      await repo.remove();
    }
  });
});

async function* emptyKeys(): AsyncIterable<string> {}

describe('S3 remote timeouts', () => {
  it('gives up on a server that accepts and never answers after read_timeout, as a retryable NETWORK error', async () => {
    // A loopback listener that takes connections and says nothing.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const url = 's3://bucket/data';
      const storage = await openS3Remote({
        name: 's3remote',
        url,
        scheme: 's3',
        options: { url, endpointurl: `http://127.0.0.1:${port}`, ...CREDENTIALS, read_timeout: '1' },
        baseDir: tmpdir(),
      });
      const started = Date.now();
      const error = await caught(storage.exists('files/md5/aa/bb'));
      expect(error.code).toBe('NETWORK');
      expect(error.retryable).toBe(true);
      // The SDK's own 3 attempts, each cut after 1 s: well before botocore's default 60 s.
      expect(Date.now() - started).toBeLessThan(20_000);
      await storage.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
