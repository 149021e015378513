/**
 * The HTTP remote storage (@tvc/remote-http) against a real HTTP server on loopback
 * (services/http-server.ts), and the requests DVC's http remote sends to the same server for a
 * push and a pull, compared with tvc's.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RemoteError, RemoteStorage } from '@tvc/remote';
import { openHttpStorage } from '@tvc/remote-http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { comparisonDvc, dvc, listFiles, type RunResult, TempRepo, tvc } from './harness';
import { type RecordedRequest, startHttpServer, type TestHttpServer } from './services/http-server';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'tvc-e2e-http-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const open: TestHttpServer[] = [];
const storages: RemoteStorage[] = [];

afterEach(async () => {
  for (const storage of storages.splice(0)) await storage.close();
  for (const server of open.splice(0)) await server.close();
});

async function server(options: Parameters<typeof startHttpServer>[0] = {}): Promise<TestHttpServer> {
  const started = await startHttpServer(options);
  open.push(started);
  return started;
}

async function storage(url: string, options: Record<string, unknown> = {}): Promise<RemoteStorage> {
  const opened = await openHttpStorage({
    name: 'web',
    url,
    scheme: 'http',
    options: { url, ...options },
    baseDir: work,
  });
  storages.push(opened);
  return opened;
}

async function file(name: string, content: string | Buffer): Promise<string> {
  const target = path.join(work, name);
  await writeFile(target, content);
  return target;
}

async function md5(target: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(target)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function failure(promise: Promise<unknown>): Promise<RemoteError> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).name).toBe('RemoteError');
    return error as RemoteError;
  }
  throw new Error('expected a RemoteError');
}

describe('HTTP remote storage against a loopback server', () => {
  it('uploads, checks, downloads; cannot remove', async () => {
    const web = await server();
    const remote = await storage(`${web.origin}/dvc/store`);
    const key = 'files/md5/5d/41402abc4b2a76b9719d911017c592';
    expect(await remote.exists(key)).toBe(false);
    await remote.upload(await file('hello', 'hello'), key);
    expect(await readFile(path.join(web.root, 'dvc/store', key), 'utf8')).toBe('hello');
    expect(await remote.exists(key)).toBe(true);
    const target = path.join(work, 'hello.download');
    await remote.download(key, target);
    expect(await readFile(target, 'utf8')).toBe('hello');
    const missing = await failure(remote.download('files/md5/00/0', target));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', path: 'files/md5/00/0', retryable: false });
    const removal = await failure(remote.remove(key));
    expect(removal).toMatchObject({ code: 'UNSUPPORTED', retryable: false });
    expect(removal.message).toBe(`${web.origin}/dvc/store: an HTTP remote cannot remove objects`);
    expect(await remote.exists(key)).toBe(true);
    expect(web.requests.map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
      `HEAD /dvc/store/${key} 404`,
      `POST /dvc/store/${key} 201`,
      `HEAD /dvc/store/${key} 200`,
      `GET /dvc/store/${key} 200`,
      'GET /dvc/store/files/md5/00/0 404',
      `HEAD /dvc/store/${key} 200`,
    ]);
  });

  it('uploads with PUT when method is PUT, and says so when the server refuses the method', async () => {
    const web = await server({ uploadMethods: ['PUT'] });
    const put = await storage(`${web.origin}/s`, { method: 'put' });
    await put.upload(await file('a', 'a'), 'files/md5/0c/c175b9c0f1b6a831c399e269772661');
    expect(web.requests.at(-1)).toMatchObject({ method: 'PUT', status: 201 });
    const post = await storage(`${web.origin}/s`);
    const refused = await failure(
      post.upload(await file('b', 'b'), 'files/md5/92/eb5ffee6ae2fec3ad71c777531578f'),
    );
    expect(refused).toMatchObject({ code: 'OTHER', retryable: false });
    expect(refused.hint).toContain('method PUT');
  });

  it('basic auth: no or wrong credentials are AUTH errors with a hint, right ones work', async () => {
    const web = await server({ basicAuth: { user: 'alice', password: 's3cret' } });
    const key = 'files/md5/aa/bbcc';
    const anonymous = await storage(`${web.origin}/s`);
    const refused = await failure(anonymous.exists(key));
    expect(refused).toMatchObject({ code: 'AUTH', retryable: false, path: key });
    expect(refused.hint).toContain('tvc remote modify --local web');
    const wrong = await storage(`${web.origin}/s`, { auth: 'basic', user: 'alice', password: 'nope' });
    expect((await failure(wrong.upload(await file('w', 'w'), key))).code).toBe('AUTH');
    expect(await stat(path.join(web.root, 's', key)).catch(() => undefined)).toBeUndefined();
    const right = await storage(`${web.origin}/s`, { auth: 'basic', user: 'alice', password: 's3cret' });
    await right.upload(await file('r', 'right'), key);
    expect(await right.exists(key)).toBe(true);
    const fromUrl = await storage(`http://alice:s3cret@127.0.0.1:${web.port}/s`);
    expect(fromUrl.url).toBe(`${web.origin}/s`);
    expect(await fromUrl.exists(key)).toBe(true);
  });

  it('custom auth: the token goes in the configured header', async () => {
    const web = await server({ requiredHeader: { name: 'X-Api-Token', value: 'tok-123' } });
    const refused = await storage(`${web.origin}/s`, {
      auth: 'custom',
      custom_auth_header: 'X-Api-Token',
      password: 'bad',
    });
    expect((await failure(refused.exists('k'))).code).toBe('AUTH');
    const right = await storage(`${web.origin}/s`, {
      auth: 'custom',
      custom_auth_header: 'X-Api-Token',
      password: 'tok-123',
    });
    expect(await right.exists('k')).toBe(false);
    expect(web.requests.at(-1)?.headers['x-api-token']).toBe('tok-123');
  });

  it('503 is THROTTLED and retryable, with Retry-After; a reset connection is a retryable NETWORK error', async () => {
    const web = await server();
    const remote = await storage(`${web.origin}/s`);
    const source = await file('t', 'throttled');
    web.failNext(1, 503, 2);
    const busy = await failure(remote.upload(source, 'files/md5/ab/cd'));
    expect(busy).toMatchObject({
      code: 'THROTTLED',
      retryable: true,
      retryAfterMs: 2000,
      path: 'files/md5/ab/cd',
    });
    web.failNext(1, 429);
    expect(await failure(remote.exists('files/md5/ab/cd'))).toMatchObject({
      code: 'THROTTLED',
      retryable: true,
    });
    web.resetNext(1);
    const reset = await failure(remote.download('files/md5/ab/cd', path.join(work, 'reset')));
    expect(reset).toMatchObject({ code: 'NETWORK', retryable: true });
    // After the faults, the same storage works: the retry the engine would make succeeds.
    await remote.upload(source, 'files/md5/ab/cd');
    expect(await remote.exists('files/md5/ab/cd')).toBe(true);
  });

  it('a server that is down is a retryable NETWORK error naming the remote', async () => {
    const web = await server();
    const url = `${web.origin}/s`;
    await web.close();
    open.length = 0;
    const remote = await storage(url, { connect_timeout: 5 });
    const down = await failure(remote.exists('files/md5/ab/cd'));
    expect(down).toMatchObject({ code: 'NETWORK', retryable: true });
    expect(down.message).toContain(`${web.origin}/s: connect ECONNREFUSED`);
    expect(down.hint).toContain('URL');
  });

  it('streams a large file both ways (chunked upload, progress counted, content intact)', async () => {
    const web = await server();
    const remote = await storage(`${web.origin}/s`);
    const size = 48 * 1024 * 1024 + 123;
    const source = path.join(work, 'large');
    await writeFile(source, randomBytes(size));
    const digest = await md5(source);
    const key = `files/md5/${digest.slice(0, 2)}/${digest.slice(2)}`;
    let uploaded = 0;
    await remote.upload(source, key, { size, onProgress: (bytes) => (uploaded += bytes) });
    expect(uploaded).toBe(size);
    const upload = web.requests.at(-1) as RecordedRequest;
    expect(upload.headers['transfer-encoding']).toBe('chunked');
    expect(upload.headers['content-length']).toBeUndefined();
    expect(upload.bodyBytes).toBe(size);
    const target = path.join(work, 'large.download');
    let downloaded = 0;
    await remote.download(key, target, { size, onProgress: (bytes) => (downloaded += bytes) });
    expect(downloaded).toBe(size);
    expect(await md5(target)).toBe(digest);
    await rm(source);
    await rm(target);
  });

  it('an aborted download is ABORTED and leaves no partial file', async () => {
    const web = await server();
    const remote = await storage(`${web.origin}/s`);
    await remote.upload(await file('abort', randomBytes(8 * 1024 * 1024)), 'files/md5/ab/abort');
    const controller = new AbortController();
    const target = path.join(work, 'abort.download');
    const pending = remote.download('files/md5/ab/abort', target, {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect((await failure(pending)).code).toBe('ABORTED');
    expect(await stat(target).catch(() => undefined)).toBeUndefined();
  });
});

/** What matters of a request for the comparison: method, path, body framing and type, auth. */
function shape(request: RecordedRequest): string {
  const headers = request.headers;
  const framing = headers['transfer-encoding']
    ? `te=${headers['transfer-encoding']}`
    : `cl=${headers['content-length'] ?? '-'}`;
  const body =
    request.method === 'POST' || request.method === 'PUT' ? ` ${framing} ct=${headers['content-type']}` : '';
  return `${request.method} ${request.path}${body} auth=${headers.authorization ?? '-'}`;
}

describe('the requests DVC sends to an HTTP remote, and tvc', () => {
  it('push: the same uploads (method, paths, chunked octet-stream, basic auth) as DVC', async () => {
    const binary = comparisonDvc('HTTP remote request shapes');
    if (!binary) return;
    const auth = { user: 'alice', password: 's3cret' };
    const dvcServer = await server({ basicAuth: auth });
    const repo = await TempRepo.create();
    try {
      await repo.write('data/a.txt', 'alpha\n');
      await repo.write('data/b.txt', 'beta\n');
      await repo.write('one.txt', 'one\n');
      expect((await repo.dvc('add', '-q', 'data', 'one.txt')).code).toBe(0);
      await repo.dvc('remote', 'add', '-d', 'web', `${dvcServer.origin}/store`);
      await repo.dvc('remote', 'modify', '--local', 'web', 'auth', 'basic');
      await repo.dvc('remote', 'modify', '--local', 'web', 'user', auth.user);
      await repo.dvc('remote', 'modify', '--local', 'web', 'password', auth.password);
      const pushed = await repo.dvc('push');
      expect(pushed.code, pushed.stderr).toBe(0);

      const dvcUploads = dvcServer.requests.filter((request) => request.method === 'POST');
      const keys = (await listFiles(path.join(dvcServer.root, 'store'))).sort();
      expect(keys).toHaveLength(4);
      // DVC checks existence with GET (tvc with HEAD), then uploads each object with one POST.
      expect(dvcServer.requests.filter((request) => request.method === 'GET').length).toBeGreaterThan(0);
      expect(dvcUploads).toHaveLength(4);

      // tvc uploads the same objects from DVC's cache to a second server.
      const tvcServer = await server({ basicAuth: auth });
      const remote = await storage(`${tvcServer.origin}/store`, { auth: 'basic', ...auth });
      for (const key of keys) {
        const [, , prefix, rest] = key.split('/');
        const cached = path.join(repo.dir, '.dvc/cache/files/md5', prefix as string, rest as string);
        if (!(await remote.exists(key))) await remote.upload(cached, key);
      }
      const tvcUploads = tvcServer.requests.filter((request) => request.method === 'POST');
      expect(tvcUploads.map(shape).sort()).toEqual(dvcUploads.map(shape).sort());
      expect(await listFiles(path.join(tvcServer.root, 'store'))).toEqual(keys);
      for (const key of keys) {
        expect(await readFile(path.join(tvcServer.root, 'store', key))).toEqual(
          await readFile(path.join(dvcServer.root, 'store', key)),
        );
      }

      // Pull: DVC downloads each object with a GET of the same path tvc's download uses.
      await rm(repo.path('.dvc/cache'), { recursive: true, force: true });
      const before = dvcServer.requests.length;
      const pulled = await repo.dvc('pull', '--force');
      expect(pulled.code, pulled.stderr).toBe(0);
      const dvcGets = new Set(
        dvcServer.requests
          .slice(before)
          .filter((request) => request.method === 'GET' && request.status === 200)
          .map((request) => request.path),
      );
      expect([...dvcGets].sort()).toEqual(keys.map((key) => `/store/${key}`));
      const tvcBefore = tvcServer.requests.length;
      for (const key of keys) await remote.download(key, path.join(work, 'pulled'));
      expect(tvcServer.requests.slice(tvcBefore).map(shape).sort()).toEqual(
        keys.map((key) => `GET /store/${key} auth=Basic ${Buffer.from('alice:s3cret').toString('base64')}`),
      );

      // DVC cannot remove from an HTTP remote either: its gc -c fails (with its internal error, so
      // run outside the harness, which fails any run printing one) and sends no DELETE.
      const gc = await run(binary, ['gc', '-w', '-c', '-f'], {
        cwd: repo.dir,
        env: { ...process.env, DVC_NO_ANALYTICS: '1' },
      }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      );
      expect(gc).not.toBe(0);
      expect(dvcServer.requests.some((request) => request.method === 'DELETE')).toBe(false);
      expect(await listFiles(path.join(dvcServer.root, 'store'))).toEqual(keys);
    } finally {
      await repo.remove();
    }
  });
});

const run = promisify(execFile);

/** A clone of `repo` (its committed .dvc files and .dvc/config), for the other tool to pull into. */
async function clone(repo: TempRepo): Promise<string> {
  const target = await mkdtemp(path.join(tmpdir(), 'tvc-e2e-http-clone-'));
  await run('git', ['clone', '-q', repo.dir, target]);
  return target;
}

const DATA: Record<string, string> = {
  'data/a.txt': 'alpha\n',
  'data/b.txt': 'beta\n',
  'data/sub/c.txt': 'gamma\n',
  'one.txt': 'one\n',
};

async function writeData(repo: TempRepo): Promise<void> {
  for (const [name, text] of Object.entries(DATA)) await repo.write(name, text);
}

async function expectData(dir: string): Promise<void> {
  for (const [name, text] of Object.entries(DATA)) {
    expect(await readFile(path.join(dir, name), 'utf8'), name).toBe(text);
  }
}

async function configureRemote(
  tool: (...args: string[]) => Promise<RunResult>,
  url: string,
  auth: { user: string; password: string },
  add: boolean,
): Promise<void> {
  if (add) expect((await tool('remote', 'add', '-d', 'web', url)).code).toBe(0);
  for (const [key, value] of [
    ['auth', 'basic'],
    ['user', auth.user],
    ['password', auth.password],
  ] as const) {
    const result = await tool('remote', 'modify', '--local', 'web', key, value);
    expect(result.code, result.stderr).toBe(0);
  }
}

describe('tvc push sends what DVC push sends', () => {
  it('with auth custom (a token header) and method PUT', async () => {
    if (!comparisonDvc('HTTP remote push requests with custom auth and PUT')) return;
    const options = {
      requiredHeader: { name: 'X-Api-Token', value: 'tok-42' },
      uploadMethods: ['PUT'] as const,
    };
    const servers = { dvc: await server(options), tvc: await server(options) };
    const repo = await TempRepo.create();
    try {
      await writeData(repo);
      expect((await repo.dvc('add', '-q', 'data', 'one.txt')).code).toBe(0);
      for (const tool of ['dvc', 'tvc'] as const) {
        const call = (...args: string[]) => (tool === 'dvc' ? repo.dvc(...args) : repo.tvc(...args));
        const url = `${servers[tool].origin}/store`;
        const settings = [
          ['remote', 'add', '-f', '-d', 'web', url],
          ['remote', 'modify', 'web', 'method', 'PUT'],
          ['remote', 'modify', 'web', 'auth', 'custom'],
          ['remote', 'modify', 'web', 'custom_auth_header', 'X-Api-Token'],
          ['remote', 'modify', '--local', 'web', 'password', 'tok-42'],
        ];
        for (const args of settings) expect((await call(...args)).code, args.join(' ')).toBe(0);
        const pushed = await call('push');
        expect(pushed.code, `${tool} push: ${pushed.stderr}`).toBe(0);
      }
      const uploads = (which: TestHttpServer) =>
        which.requests
          .filter((request) => request.method === 'PUT')
          .map(
            (request) => `${shape(request)} token=${request.headers['x-api-token']} status=${request.status}`,
          )
          .sort();
      expect(uploads(servers.dvc)).toHaveLength(5);
      expect(uploads(servers.tvc)).toEqual(uploads(servers.dvc));
      expect(await listFiles(servers.tvc.root)).toEqual(await listFiles(servers.dvc.root));
    } finally {
      await repo.remove();
    }
  });
});

describe('push and pull through an HTTP remote, tvc and DVC', () => {
  const auth = { user: 'alice', password: 's3cret' };

  it('tvc push, then DVC pulls the data in a clone', async () => {
    if (!comparisonDvc('tvc push to an HTTP remote, dvc pull')) return;
    const web = await server({ basicAuth: auth });
    const repo = await TempRepo.create();
    let cloned: string | undefined;
    try {
      await writeData(repo);
      expect((await repo.tvc('add', '-q', 'data', 'one.txt')).code).toBe(0);
      await configureRemote((...args) => repo.tvc(...args), `${web.origin}/store`, auth, true);
      const pushed = await repo.tvc('push');
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stdout).toContain('5 files pushed');
      expect(pushed.stdout + pushed.stderr).not.toContain(auth.password);
      // tvc checks with HEAD and uploads as DVC does: one chunked octet-stream POST per object.
      const uploads = web.requests.filter((request) => request.method === 'POST');
      expect(uploads).toHaveLength(5);
      for (const upload of uploads) {
        expect(upload.headers['transfer-encoding']).toBe('chunked');
        expect(upload.headers['content-type']).toBe('application/octet-stream');
        expect(upload.path).toMatch(/^\/store\/files\/md5\/[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/);
      }
      // The .dir manifest is uploaded after every file it lists.
      expect(uploads.at(-1)?.path.endsWith('.dir') || uploads.at(-2)?.path.endsWith('.dir')).toBe(true);
      const again = await repo.tvc('push');
      expect(again.code, again.stderr).toBe(0);
      expect(web.requests.filter((request) => request.method === 'POST')).toHaveLength(5);
      // status -c, asked object by object over HTTP (no listing), says what DVC's says.
      const tvcStatus = await repo.tvc('status', '-c');
      const dvcStatus = await repo.dvc('status', '-c');
      expect(tvcStatus.code, tvcStatus.stderr).toBe(0);
      expect(tvcStatus.stdout).toBe(dvcStatus.stdout);

      await repo.git('add', '-A');
      await repo.git('commit', '-q', '-m', 'data');
      cloned = await clone(repo);
      const clonedDir = cloned;
      await configureRemote((...args) => dvc(clonedDir, ...args), `${web.origin}/store`, auth, false);
      const pulled = await dvc(cloned, 'pull');
      expect(pulled.code, pulled.stderr).toBe(0);
      await expectData(cloned);
    } finally {
      await repo.remove();
      if (cloned) await rm(cloned, { recursive: true, force: true });
    }
  });

  it('DVC pushes, then tvc pulls the data in a clone', async () => {
    if (!comparisonDvc('dvc push to an HTTP remote, tvc pull')) return;
    const web = await server({ basicAuth: auth });
    const repo = await TempRepo.create();
    let cloned: string | undefined;
    try {
      await writeData(repo);
      expect((await repo.dvc('add', '-q', 'data', 'one.txt')).code).toBe(0);
      await configureRemote((...args) => repo.dvc(...args), `${web.origin}/store`, auth, true);
      const pushed = await repo.dvc('push');
      expect(pushed.code, pushed.stderr).toBe(0);
      await repo.git('add', '-A');
      await repo.git('commit', '-q', '-m', 'data');
      cloned = await clone(repo);
      const clonedDir = cloned;
      const before = web.requests.length;
      // Refused first: no credentials in the clone (config.local is not committed).
      const refused = await tvc(clonedDir, 'pull');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(
        `remote 'web': ${web.origin}/store: HTTP 401 Unauthorized while downloading`,
      );
      // An auth failure stops the transfer with one error and its hint (not one line per file).
      expect(refused.stderr.match(/HTTP 401/g)).toHaveLength(1);
      expect(refused.stderr).toContain("hint: check the remote's credentials");
      // Half-configured auth: one line naming the missing option, from the remote, not a plugin failure.
      expect((await tvc(clonedDir, 'remote', 'modify', '--local', 'web', 'auth', 'basic')).code).toBe(0);
      const incomplete = await tvc(clonedDir, 'pull');
      expect(incomplete.code).not.toBe(0);
      expect(incomplete.stderr).toContain(
        "remote 'web': 'user' is missing: HTTP 'basic' authentication requires both 'user' and 'password'",
      );
      expect(incomplete.stderr).not.toContain('plugin');
      await configureRemote((...args) => tvc(clonedDir, ...args), `${web.origin}/store`, auth, false);
      // The server is busy for the first requests: tvc retries and completes.
      web.failNext(2, 503, 0);
      const pulled = await tvc(cloned, 'pull');
      expect(pulled.code, pulled.stderr).toBe(0);
      await expectData(cloned);
      expect(web.requests.slice(before).some((request) => request.status === 503)).toBe(true);
      expect(
        web.requests.slice(before).every((request) => request.method === 'GET' || request.method === 'HEAD'),
      ).toBe(true);
    } finally {
      await repo.remove();
      if (cloned) await rm(cloned, { recursive: true, force: true });
    }
  });
});

describe('an HTTP remote that dies during a push', () => {
  it('the next push, once the server is back, completes: every object once, named by its hash', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tvc-e2e-http-root-'));
    const repo = await TempRepo.create();
    try {
      const files = 40;
      for (let index = 0; index < files; index++) await repo.write(`data/f${index}.txt`, `file ${index}\n`);
      await repo.write('big.bin', randomBytes(4 * 1024 * 1024).toString('base64'));
      expect((await repo.tvc('add', '-q', 'data', 'big.bin')).code).toBe(0);
      const first = await startHttpServer({ root, latencyMs: 15 });
      open.push(first);
      expect((await repo.tvc('remote', 'add', '-d', 'web', `${first.origin}/store`)).code).toBe(0);

      const pushing = repo.tvc('push', '-j', '4');
      // Stop the server once some objects are stored: the push fails, naming what failed.
      for (let waited = 0; first.requests.filter((request) => request.status === 201).length < 10; waited++) {
        if (waited > 600) throw new Error('the push made no progress');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await first.close();
      open.length = 0;
      const interrupted = await pushing;
      expect(interrupted.code).not.toBe(0);
      expect(interrupted.stderr).toMatch(/ECONNREFUSED|ECONNRESET|other side closed|socket/i);
      const stored = (await listFiles(path.join(root, 'store'))).length;
      expect(stored).toBeGreaterThan(0);
      expect(stored).toBeLessThan(files + 2);

      const second = await startHttpServer({ root, port: first.port });
      open.push(second);
      const resumed = await repo.tvc('push');
      expect(resumed.code, resumed.stderr).toBe(0);
      // Only what the first push did not store is uploaded again.
      expect(second.requests.filter((request) => request.method === 'POST').length).toBe(files + 2 - stored);
      const keys = await listFiles(path.join(root, 'store'));
      expect(keys).toHaveLength(files + 2);
      for (const key of keys) {
        expect(key).toMatch(/^files\/md5\/[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/);
        const name = key.replace(/^files\/md5\/(..)\/(.*?)(\.dir)?$/, '$1$2');
        expect(await md5(path.join(root, 'store', key)), key).toBe(name);
      }
      const status = await repo.tvc('status', '-c');
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain('in sync');
    } finally {
      await repo.remove();
      await rm(root, { recursive: true, force: true });
    }
  });
});
