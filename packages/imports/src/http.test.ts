import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError } from './errors';
import { fsspecInfo, httpDownload, httpInfo, urlChecksum } from './http';

const URL_ = 'http://127.0.0.1:8080/data/ml-100k.zip';

function response(headers: Record<string, string>, url = URL_): Pick<Response, 'headers' | 'url'> {
  return { headers: new Headers(headers), url };
}

describe('urlChecksum (the checksum DVC records for an http URL)', () => {
  // The expected values were computed by fsspec 2026.9 / dvc-data 3.18 (DVC 3.67.1) from the same info.
  it('is fsspec tokenize() of the info as a decimal integer when there is no ETag', () => {
    const info = fsspecInfo(
      URL_,
      response({
        'Content-Length': '4924029',
        'Content-Type': 'application/zip',
        'Last-Modified': 'Tue, 01 Dec 2026 10:00:00 GMT',
      }),
    );
    expect([...info.keys()]).toEqual(['name', 'size', 'mimetype', 'url', 'Last-Modified', 'type']);
    expect(urlChecksum(info)).toBe('105847854095261875950203133456365013483');
  });

  it("follows Python's repr for None, False and quotes", () => {
    const info = fsspecInfo(
      URL_,
      response(
        { 'Content-Type': 'text/plain; charset=utf-8', 'Accept-Ranges': 'none', Digest: 'sha-256=abc' },
        `${URL_}?x='1'`,
      ),
    );
    expect(urlChecksum(info)).toBe('140753388145019863626666989416349495029');
  });

  it('is the ETag as sent, quotes included, when there is one', () => {
    const info = fsspecInfo(URL_, response({ ETag: '"5f3a-1b"', 'Content-MD5': 'x' }));
    expect(urlChecksum(info)).toBe('"5f3a-1b"');
  });
});

describe('httpInfo and httpDownload against a local server', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((request, reply) => {
      if (request.url === '/etag.txt') {
        reply.writeHead(200, { ETag: 'W/"abc"', 'Content-Length': '5', 'Content-Type': 'text/plain' });
        reply.end(request.method === 'HEAD' ? undefined : 'etag\n');
      } else if (request.url === '/file.txt') {
        reply.writeHead(200, {
          'Content-Length': '6',
          'Content-Type': 'text/plain',
          'Last-Modified': 'Mon, 07 Dec 2026 17:37:34 GMT',
        });
        reply.end(request.method === 'HEAD' ? undefined : 'hello\n');
      } else {
        reply.writeHead(404);
        reply.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads the ETag, or hashes the info, with the size', async () => {
    expect(await httpInfo(`${base}/etag.txt`)).toEqual({ checksum: 'W/"abc"', size: 5 });
    const info = await httpInfo(`${base}/file.txt`);
    expect(info.size).toBe(6);
    expect(info.checksum).toMatch(/^\d+$/);
  });

  it('says URL_UNAVAILABLE for a missing file and for a server that is down', async () => {
    await expect(httpInfo(`${base}/missing`)).rejects.toBeInstanceOf(ImportError);
    await expect(httpInfo('http://127.0.0.1:9/x')).rejects.toMatchObject({ code: 'URL_UNAVAILABLE' });
  });

  it('downloads', async () => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const directory = await mkdtemp(`${tmpdir()}/tvc-http-`);
    try {
      await httpDownload(`${base}/file.txt`, `${directory}/f`);
      expect(await readFile(`${directory}/f`, 'utf8')).toBe('hello\n');
    } finally {
      await rm(directory, { recursive: true });
    }
  });
});
