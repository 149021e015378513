import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { rootCertificates } from 'node:tls';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import {
  byteCounter,
  REMOTE_STORAGE_SPECIFICATION_VERSION,
  RemoteError,
  type RemoteStorage,
  type RemoteStorageRequest,
  type TransferOptions,
} from '@tvc/remote';
import { Agent, type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import { DigestAuthenticator, digestSupported, parseDigestChallenge } from './digest';
import { describeRemote, type RemoteLabel, statusError, transportError } from './errors';
import { checkAuth, type HttpRemoteOptions, parseHttpOptions } from './options';
import { askPassword } from './password';

const USER_AGENT = 'tvc-remote-http/0.1';
const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

type Headers = Record<string, string | string[] | undefined>;

interface Sent {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Dispatcher.ResponseData['body'];
}

/** The URL split into what requests use and what messages show (never its credentials). */
export interface ParsedHttpUrl {
  /** `scheme://host[:port]/base/path/`, always ending in `/`, without credentials or query. */
  readonly base: string;
  /** The query of the remote URL, kept on every request (`''` or `?…`). */
  readonly search: string;
  /** The URL as shown to the user: without user and password. */
  readonly display: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
}

export function parseHttpUrl(url: string, remote = ''): ParsedHttpUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RemoteError(
      'CONFIG',
      `${remote ? `remote '${remote}'` : 'the HTTP remote'}: '${url}' is not a URL`,
      {
        path: 'url',
      },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RemoteError('CONFIG', `'${parsed.protocol}' is not an HTTP URL`, { path: 'url' });
  }
  const user = parsed.username ? decodeURIComponent(parsed.username) : undefined;
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.username = '';
  parsed.password = '';
  const search = parsed.search;
  parsed.search = '';
  parsed.hash = '';
  const display = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '') || ''}${search}`;
  const base = parsed.pathname.endsWith('/') ? parsed.href : `${parsed.href}/`;
  return { base, search, display, user, password };
}

/** The request URL of a key: each `/`-separated segment percent-encoded below the base. */
export function keyUrl(parsed: ParsedHttpUrl, key: string): string {
  const relative = key
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return `${parsed.base}${relative}${parsed.search}`;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function decoder(encoding: string | undefined): Transform | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

function makeDispatcher(remote: RemoteLabel, options: HttpRemoteOptions): Dispatcher {
  let ca: string[] | undefined;
  if (typeof options.sslVerify === 'string') {
    try {
      // Python's create_default_context + load_verify_locations: the bundle in addition to the system's CAs.
      ca = [...rootCertificates, readFileSync(options.sslVerify, 'utf8')];
    } catch (error) {
      throw new RemoteError(
        'CONFIG',
        `${describeRemote(remote)}: cannot read the CA bundle ${options.sslVerify}`,
        {
          path: options.sslVerify,
          cause: error,
          hint: "point 'ssl_verify' at a PEM file, or set it to true or false",
        },
      );
    }
  }
  const connect = {
    timeout: options.connectTimeoutMs,
    rejectUnauthorized: options.sslVerify !== false,
    ...(ca ? { ca } : {}),
  };
  const agentOptions = {
    connect,
    headersTimeout: options.readTimeoutMs,
    bodyTimeout: options.readTimeoutMs,
  };
  const env = process.env;
  const proxied = [env.HTTP_PROXY, env.http_proxy, env.HTTPS_PROXY, env.https_proxy].some((value) => !!value);
  // DVC's client trusts the environment's proxy settings (trust_env), so does this one.
  return proxied ? new EnvHttpProxyAgent(agentOptions) : new Agent(agentOptions);
}

/** Options of one request. */
interface SendOptions {
  readonly operation: string;
  readonly key: string;
  readonly signal?: AbortSignal | undefined;
  /** Makes the request body (called again when a digest challenge needs the request sent anew). */
  readonly body?: (() => Readable) | undefined;
  readonly headers?: Headers;
  readonly followRedirects?: boolean;
}

/** A DVC http/https remote: GET, HEAD, and POST or PUT uploads below the remote's URL; no listing. */
export class HttpStorage implements RemoteStorage {
  readonly specificationVersion = REMOTE_STORAGE_SPECIFICATION_VERSION;
  readonly kind = 'http';
  readonly url: string;
  readonly canList = false;
  readonly #label: RemoteLabel;
  readonly #parsed: ParsedHttpUrl;
  readonly #options: HttpRemoteOptions;
  readonly #dispatcher: Dispatcher;
  readonly #fixedHeaders: Record<string, string>;
  readonly #digest: DigestAuthenticator | undefined;

  constructor(name: string, parsed: ParsedHttpUrl, options: HttpRemoteOptions, password: string | undefined) {
    this.url = parsed.display;
    this.#parsed = parsed;
    this.#label = { name, url: parsed.display };
    this.#options = options;
    this.#dispatcher = makeDispatcher(this.#label, options);
    this.#fixedHeaders = { 'user-agent': USER_AGENT, accept: '*/*', 'accept-encoding': 'identity' };
    const user = options.user ?? parsed.user;
    if (options.auth === 'basic' || (options.auth === undefined && parsed.user !== undefined)) {
      const secret = Buffer.from(`${user ?? ''}:${password ?? ''}`).toString('base64');
      this.#fixedHeaders.authorization = `Basic ${secret}`;
    } else if (options.auth === 'custom' && options.customAuthHeader && password !== undefined) {
      this.#fixedHeaders[options.customAuthHeader.toLowerCase()] = password;
    }
    this.#digest =
      options.auth === 'digest' && user !== undefined && password !== undefined
        ? new DigestAuthenticator(user, password)
        : undefined;
  }

  /** Sends one request: auth headers, a digest challenge answered once, redirects of reads followed. */
  async #send(method: string, options: SendOptions): Promise<Sent> {
    let url = keyUrl(this.#parsed, options.key);
    let challenged = false;
    const origin = new URL(url).origin;
    for (let redirects = 0; ; ) {
      const target = new URL(url);
      const headers: Headers = { ...this.#fixedHeaders, ...options.headers };
      if (target.origin !== origin) {
        // Credentials stay with the remote's own server.
        delete headers.authorization;
        if (this.#options.customAuthHeader) delete headers[this.#options.customAuthHeader.toLowerCase()];
      } else if (this.#digest?.ready) {
        headers.authorization = this.#digest.authorization(method, `${target.pathname}${target.search}`);
      }
      let response: Sent;
      try {
        const sent = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body: options.body?.(),
          dispatcher: this.#dispatcher,
          signal: options.signal,
        });
        response = { status: sent.statusCode, headers: sent.headers, body: sent.body };
      } catch (error) {
        throw transportError(this.#label, options.operation, options.key, error, options.signal);
      }
      if (response.status === 401 && this.#digest && target.origin === origin) {
        const challenge = parseDigestChallenge(response.headers['www-authenticate']);
        if (challenge && digestSupported(challenge) && (!challenged || challenge.stale)) {
          challenged = true;
          await response.body.dump();
          this.#digest.accept(challenge);
          continue;
        }
      }
      const location = header(response.headers, 'location');
      if (options.followRedirects && REDIRECT_STATUSES.has(response.status) && location) {
        await response.body.dump();
        if (++redirects > MAX_REDIRECTS) {
          throw new RemoteError(
            'OTHER',
            `${describeRemote(this.#label)}: too many redirects while ${options.operation}`,
            { path: options.key },
          );
        }
        url = new URL(location, url).href;
        continue;
      }
      return response;
    }
  }

  async #discard(response: Sent): Promise<void> {
    await response.body.dump().catch(() => undefined);
  }

  async *list(prefix: string): AsyncIterable<string> {
    yield* [];
    throw new RemoteError('UNSUPPORTED', `${describeRemote(this.#label)}: an HTTP remote cannot be listed`, {
      path: prefix,
      hint: 'HTTP remotes are checked one object at a time',
    });
  }

  async exists(key: string, signal?: AbortSignal): Promise<boolean> {
    const operation = 'checking';
    let response = await this.#send('HEAD', { operation, key, signal, followRedirects: true });
    if (response.status === 405 || response.status === 501) {
      // A server that knows only GET: ask for the object and drop its body (what DVC does always).
      await this.#discard(response);
      response = await this.#send('GET', { operation, key, signal, followRedirects: true });
      response.body.on('error', () => undefined);
      response.body.destroy();
    } else {
      await this.#discard(response);
    }
    if (response.status >= 200 && response.status < 300) return true;
    if (response.status === 404 || response.status === 410) return false;
    throw statusError(this.#label, operation, key, response.status, response.headers);
  }

  async upload(localPath: string, key: string, options: TransferOptions = {}): Promise<void> {
    const operation = 'uploading';
    try {
      const info = await stat(localPath);
      if (!info.isFile()) throw new Error('not a file');
    } catch (error) {
      throw new RemoteError('OTHER', `cannot upload ${localPath}: ${(error as Error).message}`, {
        path: localPath,
        cause: error,
      });
    }
    if (this.#digest && !this.#digest.ready) {
      // Learn the digest challenge with a HEAD rather than by sending the whole file to a 401.
      await this.#discard(await this.#send('HEAD', { operation, key, signal: options.signal }));
    }
    let sentBytes = 0;
    const body = (): Readable => {
      // A resend (digest challenge) starts the count again.
      if (sentBytes > 0) options.onProgress?.(-sentBytes);
      sentBytes = 0;
      return createReadStream(localPath).pipe(
        byteCounter((bytes) => {
          sentBytes += bytes;
          options.onProgress?.(bytes);
        }),
      );
    };
    // As DVC's client: a chunked body (no Content-Length), application/octet-stream.
    const response = await this.#send(this.#options.method, {
      operation,
      key,
      signal: options.signal,
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await this.#discard(response);
    if (response.status < 200 || response.status >= 300) {
      throw statusError(this.#label, operation, key, response.status, response.headers);
    }
  }

  async download(key: string, localPath: string, options: TransferOptions = {}): Promise<void> {
    const operation = 'downloading';
    const response = await this.#send('GET', {
      operation,
      key,
      signal: options.signal,
      followRedirects: true,
    });
    if (response.status !== 200) {
      await this.#discard(response);
      throw statusError(this.#label, operation, key, response.status, response.headers);
    }
    const decode = decoder(header(response.headers, 'content-encoding'));
    const stages: NodeJS.ReadWriteStream[] = [byteCounter(options.onProgress)];
    if (decode) stages.unshift(decode);
    try {
      await pipeline(
        response.body,
        ...(stages as [Transform]),
        createWriteStream(localPath),
        ...(options.signal ? [{ signal: options.signal }] : []),
      );
    } catch (error) {
      await unlink(localPath).catch(() => undefined);
      const code = (error as { code?: unknown }).code;
      if (code === 'EACCES' || code === 'ENOSPC' || code === 'EROFS' || code === 'ENOENT') {
        throw new RemoteError('OTHER', `cannot write ${localPath}: ${(error as Error).message}`, {
          path: localPath,
          cause: error,
        });
      }
      throw transportError(this.#label, operation, key, error, options.signal);
    }
  }

  async remove(key: string): Promise<void> {
    throw new RemoteError(
      'UNSUPPORTED',
      `${describeRemote(this.#label)}: an HTTP remote cannot remove objects`,
      {
        path: key,
        retryable: false,
        hint: 'remove the object on the server itself',
      },
    );
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

/** Opens the storage of an http:// or https:// remote (asks for its password first with ask_password). */
export async function openHttpStorage(request: RemoteStorageRequest): Promise<HttpStorage> {
  const options = parseHttpOptions(request.name, request.options);
  const parsed = parseHttpUrl(request.url, request.name);
  // Without 'auth', credentials in the URL are sent as basic auth (as DVC's client does); with
  // 'auth', the configured user and password come first.
  let password = options.auth === undefined ? parsed.password : (options.password ?? parsed.password);
  const needsPassword = options.auth !== undefined;
  if (needsPassword && password === undefined && options.askPassword) {
    password = await askPassword(request.name, parsed.display, options.user ?? parsed.user ?? 'custom');
  }
  const effective: HttpRemoteOptions = {
    ...options,
    user: options.auth === undefined ? parsed.user : (options.user ?? parsed.user),
  };
  checkAuth(request.name, effective, password);
  return new HttpStorage(request.name, parsed, effective, password);
}
