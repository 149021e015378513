/**
 * A small real HTTP server for the HTTP remote's tests, on loopback only: it stores the files of
 * PUT/POST requests under a temporary directory (atomically: a temporary file renamed into place
 * once the whole body arrived) and serves them to GET/HEAD. Optional basic auth and a custom header
 * check; every request is recorded (method, path, headers) so a test can compare what tvc and DVC
 * send; faults can be injected: the next N requests answered 503 (with Retry-After) or their
 * connection reset.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, unlink } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface RecordedRequest {
  readonly method: string;
  /** The request's path as sent (percent-encoded, query included). */
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The status the server answered. */
  status: number;
  /** Bytes of body received. */
  bodyBytes: number;
}

export interface HttpServerOptions {
  /** Require `Authorization: Basic` with these credentials (401 with a challenge otherwise). */
  readonly basicAuth?: { readonly user: string; readonly password: string };
  /** Require this header to have this value (403 otherwise). */
  readonly requiredHeader?: { readonly name: string; readonly value: string };
  /** Which upload methods are accepted (others get 405); both by default. */
  readonly uploadMethods?: readonly ('POST' | 'PUT')[];
  /** Answer HEAD with 405 (a server that only knows GET). */
  readonly noHead?: boolean;
  /** The directory files are stored in; a fresh temporary one by default (removed by close). */
  readonly root?: string;
  /** The port to listen on (a free one by default): a restarted server takes its old port. */
  readonly port?: number;
  /** Waits this long before answering each request (a slow server, to interrupt a transfer). */
  readonly latencyMs?: number;
}

export interface TestHttpServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly port: number;
  /** Where the files are stored: a request for `/a/b` is the file `root/a/b`. */
  readonly root: string;
  /** Every request received, in order of arrival. */
  readonly requests: RecordedRequest[];
  /** Answers the next `count` requests with `status` (503 by default, with `Retry-After: seconds`). */
  failNext(count: number, status?: number, retryAfterSeconds?: number): void;
  /** Resets the connection of the next `count` requests without answering. */
  resetNext(count: number): void;
  /** Stops the server (and removes the root when the server made it). */
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 on a free port. */
export async function startHttpServer(options: HttpServerOptions = {}): Promise<TestHttpServer> {
  const ownRoot = options.root === undefined;
  const root = options.root ?? (await mkdtemp(path.join(tmpdir(), 'tvc-http-remote-')));
  const requests: RecordedRequest[] = [];
  const uploadMethods = new Set(options.uploadMethods ?? ['POST', 'PUT']);
  let failures: { count: number; status: number; retryAfter: number } = {
    count: 0,
    status: 503,
    retryAfter: 0,
  };
  let resets = 0;

  const server = http.createServer((request, response) => {
    const record: RecordedRequest = {
      method: request.method ?? '',
      path: request.url ?? '',
      headers: { ...request.headers },
      status: 0,
      bodyBytes: 0,
    };
    requests.push(record);
    handle(request, response, record).catch((error: unknown) => {
      record.status = 500;
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`${String(error)}\n`);
      } else {
        response.destroy();
      }
    });
  });

  function reply(
    response: http.ServerResponse,
    record: RecordedRequest,
    status: number,
    headers = {},
    body = '',
  ): void {
    record.status = status;
    response.writeHead(status, { 'content-type': 'text/plain', ...headers });
    response.end(body);
  }

  /** Drains a request body the server refuses, so the client sees the answer, not a reset. */
  function drain(request: http.IncomingMessage, record: RecordedRequest): Promise<void> {
    return new Promise((resolve) => {
      request.on('data', (chunk: Buffer) => {
        record.bodyBytes += chunk.length;
      });
      request.on('end', resolve);
      request.on('error', () => resolve());
      request.on('close', resolve);
    });
  }

  async function handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    record: RecordedRequest,
  ): Promise<void> {
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    if (resets > 0) {
      resets--;
      record.status = -1;
      request.socket.destroy();
      return;
    }
    if (failures.count > 0) {
      failures.count--;
      await drain(request, record);
      const headers = failures.retryAfter > 0 ? { 'retry-after': String(failures.retryAfter) } : {};
      reply(response, record, failures.status, headers, 'injected failure\n');
      return;
    }
    if (options.basicAuth) {
      const expected = `Basic ${Buffer.from(`${options.basicAuth.user}:${options.basicAuth.password}`).toString('base64')}`;
      if (request.headers.authorization !== expected) {
        await drain(request, record);
        reply(response, record, 401, { 'www-authenticate': 'Basic realm="tvc-test"' }, 'unauthorized\n');
        return;
      }
    }
    if (options.requiredHeader) {
      const value = request.headers[options.requiredHeader.name.toLowerCase()];
      if (value !== options.requiredHeader.value) {
        await drain(request, record);
        reply(response, record, 403, {}, 'forbidden\n');
        return;
      }
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = path.resolve(root, relative);
    if (
      !relative ||
      (file !== root && !file.startsWith(root + path.sep)) ||
      relative.split('/').includes('..')
    ) {
      await drain(request, record);
      reply(response, record, 400, {}, 'bad path\n');
      return;
    }
    const method = request.method ?? '';
    if (method === 'GET' || method === 'HEAD') {
      if (method === 'HEAD' && options.noHead) {
        reply(response, record, 405, { allow: 'GET' });
        return;
      }
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) {
        reply(response, record, 404, {}, method === 'HEAD' ? '' : 'not found\n');
        return;
      }
      record.status = 200;
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': info.size });
      if (method === 'HEAD') {
        response.end();
        return;
      }
      await pipeline(createReadStream(file), response);
      return;
    }
    if (method === 'POST' || method === 'PUT') {
      if (!uploadMethods.has(method)) {
        await drain(request, record);
        reply(response, record, 405, { allow: [...uploadMethods].join(', ') }, 'method not allowed\n');
        return;
      }
      await mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${randomBytes(6).toString('hex')}.part`;
      request.on('data', (chunk: Buffer) => {
        record.bodyBytes += chunk.length;
      });
      try {
        await pipeline(request, createWriteStream(temporary));
      } catch (error) {
        await unlink(temporary).catch(() => undefined);
        throw error;
      }
      await rename(temporary, file);
      reply(response, record, 201, {}, 'stored\n');
      return;
    }
    if (method === 'DELETE') {
      await drain(request, record);
      reply(response, record, 405, { allow: 'GET, HEAD, POST, PUT' }, 'method not allowed\n');
      return;
    }
    await drain(request, record);
    reply(response, record, 405, {}, 'method not allowed\n');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    root,
    requests,
    failNext(count, status = 503, retryAfterSeconds = 0) {
      failures = { count, status, retryAfter: retryAfterSeconds };
    },
    resetNext(count) {
      resets = count;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownRoot) await rm(root, { recursive: true, force: true });
    },
  };
}
