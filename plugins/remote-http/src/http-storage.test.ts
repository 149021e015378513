import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RemoteError } from '@tvc/remote';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keyUrl, openHttpStorage, parseHttpUrl } from './http-storage';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse, body: Buffer) => void;

let handler: Handler = (_request, response) => response.end();
let server: http.Server;
let origin: string;
let dir: string;
const seen: { method: string; url: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tvc-remote-http-unit-'));
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
      });
      handler(request, response, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  seen.length = 0;
});

function open(url: string, options: Record<string, unknown> = {}) {
  return openHttpStorage({ name: 'web', url, scheme: 'http', options: { url, ...options }, baseDir: dir });
}

describe('URLs', () => {
  it('joins keys below the remote path, encoded, and never shows credentials', () => {
    const parsed = parseHttpUrl('https://alice:p%40ss@example.com:8443/dvc/store');
    expect(parsed).toMatchObject({
      user: 'alice',
      password: 'p@ss',
      display: 'https://example.com:8443/dvc/store',
    });
    expect(keyUrl(parsed, 'files/md5/ab/cdef')).toBe('https://example.com:8443/dvc/store/files/md5/ab/cdef');
    expect(keyUrl(parseHttpUrl('http://h/'), 'files/a b#c')).toBe('http://h/files/a%20b%23c');
    expect(keyUrl(parseHttpUrl('http://h/x/?token=1'), 'k')).toBe('http://h/x/k?token=1');
    expect(() => parseHttpUrl('not a url', 'web')).toThrow(RemoteError);
  });
});

describe('HttpStorage against a server', () => {
  it('answers a digest challenge once and reuses it for the following requests', async () => {
    const realm = 'tvc';
    const nonce = 'abc123';
    handler = (request, response) => {
      const header = request.headers.authorization ?? '';
      const field = (name: string) => new RegExp(`${name}="?([^",]+)"?`).exec(header)?.[1] ?? '';
      const md5 = (text: string) => createHash('md5').update(text).digest('hex');
      const expected = md5(
        `${md5(`alice:${realm}:secret`)}:${nonce}:${field('nc')}:${field('cnonce')}:auth:${md5(`${request.method}:${field('uri')}`)}`,
      );
      if (!header.startsWith('Digest ') || field('response') !== expected || field('uri') !== request.url) {
        response.writeHead(401, {
          'www-authenticate': `Digest realm="${realm}", nonce="${nonce}", qop="auth"`,
        });
        response.end();
        return;
      }
      response.writeHead(request.method === 'HEAD' ? 200 : 201);
      response.end();
    };
    const storage = await open(`${origin}/d`, { auth: 'digest', user: 'alice', password: 'secret' });
    const file = path.join(dir, 'upload');
    await writeFile(file, 'payload');
    await storage.upload(file, 'files/md5/aa/bb');
    expect(await storage.exists('files/md5/aa/bb')).toBe(true);
    await storage.close();
    expect(seen.map((request) => `${request.method} ${request.authorization ? 'auth' : 'none'}`)).toEqual([
      'HEAD none',
      'HEAD auth',
      'POST auth',
      'HEAD auth',
    ]);
    const wrong = await open(`${origin}/d`, { auth: 'digest', user: 'alice', password: 'wrong' });
    await expect(wrong.exists('k')).rejects.toMatchObject({ code: 'AUTH' });
    await wrong.close();
  });

  it('follows redirects of reads and asks with GET a server that refuses HEAD', async () => {
    handler = (request, response, _body) => {
      if (request.url === '/old/k') {
        response.writeHead(302, { location: '/new/k' });
        response.end();
      } else if (request.method === 'HEAD') {
        response.writeHead(405);
        response.end();
      } else if (request.url === '/new/k') {
        response.writeHead(200, { 'content-length': '5' });
        response.end('hello');
      } else {
        response.writeHead(404);
        response.end();
      }
    };
    const storage = await open(`${origin}/old`);
    expect(await storage.exists('k')).toBe(true);
    expect(await storage.exists('missing')).toBe(false);
    const target = path.join(dir, 'downloaded');
    let bytes = 0;
    await storage.download('k', target, { onProgress: (count) => (bytes += count) });
    expect(await readFile(target, 'utf8')).toBe('hello');
    expect(bytes).toBe(5);
    await expect(storage.download('missing', target)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      path: 'missing',
    });
    await storage.close();
  });

  it('sends basic auth from the URL and the custom header, and cannot list or remove', async () => {
    handler = (_request, response) => {
      response.writeHead(200);
      response.end();
    };
    const fromUrl = await open(`http://bob:pw@${origin.slice('http://'.length)}/s`);
    expect(fromUrl.url).toBe(`${origin}/s`);
    await fromUrl.exists('k');
    expect(seen.at(-1)?.authorization).toBe(`Basic ${Buffer.from('bob:pw').toString('base64')}`);
    expect(fromUrl.canList).toBe(false);
    await expect(fromUrl.remove('k')).rejects.toMatchObject({ code: 'UNSUPPORTED', retryable: false });
    const listing = async () => {
      for await (const _key of fromUrl.list('files/md5/')) {
        // nothing
      }
    };
    await expect(listing()).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await fromUrl.close();
    await expect(open(`${origin}/s`, { auth: 'custom', password: 'tok' })).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });

  it('ask_password without a terminal is an AUTH error saying where to put the password', async () => {
    const asking = open(`${origin}/s`, { auth: 'basic', user: 'alice', ask_password: true });
    await expect(asking).rejects.toMatchObject({ code: 'AUTH' });
    await expect(asking).rejects.toHaveProperty(
      'hint',
      expect.stringContaining('tvc remote modify --local web password'),
    );
  });

  it('read_timeout bounds the wait for an answer: a retryable NETWORK error naming the option', async () => {
    handler = () => {
      // never answers
    };
    const storage = await open(`${origin}/s`, { read_timeout: 0.3 });
    const started = Date.now();
    const waiting = storage.exists('k');
    await expect(waiting).rejects.toMatchObject({ code: 'NETWORK', retryable: true });
    await expect(waiting).rejects.toHaveProperty('hint', expect.stringContaining('read_timeout'));
    expect(Date.now() - started).toBeLessThan(5000);
    await storage.close();
  });

  it('reports a server that is not there as a retryable network error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const storage = await open(`http://127.0.0.1:${port}/s`, { connect_timeout: 2 });
    await expect(storage.exists('k')).rejects.toMatchObject({ code: 'NETWORK', retryable: true, path: 'k' });
    await storage.close();
  });
});
