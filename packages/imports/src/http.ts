import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pythonStringRepr } from '@tvc/params';
import { ImportError } from './errors';

/** What DVC records of an http(s) URL: its `checksum` and its `size` (when the server gives one). */
export interface UrlInfo {
  readonly checksum: string;
  readonly size: number | undefined;
}

/** How long a HEAD may take before the URL counts as unreachable. */
export const INFO_TIMEOUT_MS = 15_000;

/** The checksum headers fsspec's HTTP `info` keeps, in its order. */
const CHECKSUM_HEADERS = ['ETag', 'Content-MD5', 'Digest', 'Last-Modified'] as const;

type PythonValue = string | number | boolean | undefined;

function pythonRepr(value: PythonValue): string {
  if (value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  return pythonStringRepr(value);
}

/** `str((info,))` of a Python dict of scalars, keys in insertion order. */
function pythonInfoTuple(info: ReadonlyMap<string, PythonValue>): string {
  const items = [...info].map(([key, value]) => `${pythonStringRepr(key)}: ${pythonRepr(value)}`);
  return `({${items.join(', ')}},)`;
}

/**
 * The info fsspec's `HTTPFileSystem._info` builds from one response, in its key order: `name`,
 * `size`, then what `_file_info` read (`mimetype`, `partial`, `url`, the checksum headers), then
 * `type`.
 */
export function fsspecInfo(
  url: string,
  response: Pick<Response, 'headers' | 'url'>,
): Map<string, PythonValue> {
  const { headers } = response;
  const info = new Map<string, PythonValue>([
    ['name', url],
    ['size', undefined],
  ]);
  const length = headers.get('content-length');
  const encoding = headers.get('content-encoding');
  if (length !== null && (encoding === null || encoding === '' || encoding === 'identity')) {
    info.set('size', Number.parseInt(length, 10));
  } else if (length === null && headers.get('content-range')) {
    info.set('size', Number.parseInt(headers.get('content-range')!.split('/')[1] ?? '', 10));
  }
  const type = headers.get('content-type');
  if (type !== null) info.set('mimetype', type.split(';')[0]);
  if (headers.get('accept-ranges') === 'none') info.set('partial', false);
  info.set('url', response.url || url);
  for (const header of CHECKSUM_HEADERS) {
    const value = headers.get(header);
    if (value) info.set(header, value);
  }
  info.set('type', 'file');
  return info;
}

/**
 * DVC's checksum of an http(s) URL (dvc-data's `Meta.from_info` for `http`): the `ETag` header as
 * sent, else `Content-MD5`, else fsspec's default `checksum`: the decimal integer of the MD5 of
 * `str((info,))` — so, from a server without an ETag, a hash of the size, type and Last-Modified.
 */
export function urlChecksum(info: ReadonlyMap<string, PythonValue>): string {
  const etag = info.get('ETag') ?? info.get('Content-MD5');
  if (typeof etag === 'string') return etag;
  const digest = createHash('md5').update(pythonInfoTuple(info)).digest('hex');
  return BigInt(`0x${digest}`).toString(10);
}

async function request(url: string, method: 'HEAD' | 'GET', signal: AbortSignal): Promise<Response> {
  const response = await fetch(url, {
    method,
    redirect: 'follow',
    headers: { 'Accept-Encoding': 'identity' },
    signal,
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new ImportError('URL_UNAVAILABLE', `'${url}' answered ${response.status} ${response.statusText}`);
  }
  return response;
}

/**
 * The checksum and size of an http(s) URL, from a HEAD request (then a GET, whose body is not
 * read, when HEAD gives no size), as DVC computes them. Throws {@link ImportError}
 * `URL_UNAVAILABLE` when the server cannot be reached or does not have it.
 */
export async function httpInfo(url: string, timeoutMs = INFO_TIMEOUT_MS): Promise<UrlInfo> {
  const signal = AbortSignal.timeout(timeoutMs);
  let info: Map<string, PythonValue> | undefined;
  try {
    for (const method of ['HEAD', 'GET'] as const) {
      const response = await request(url, method, signal);
      await response.body?.cancel();
      const found = fsspecInfo(url, response);
      if (info) for (const [key, value] of found) info.set(key, value);
      else info = found;
      if (info.get('size') !== undefined) break;
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError('URL_UNAVAILABLE', `cannot reach '${url}': ${describe(error)}`, { cause: error });
  }
  const size = info!.get('size');
  return { checksum: urlChecksum(info!), size: typeof size === 'number' ? size : undefined };
}

/** Downloads `url` to the file `destination`. */
export async function httpDownload(url: string, destination: string): Promise<void> {
  try {
    const response = await request(url, 'GET', AbortSignal.timeout(24 * 3600_000));
    if (!response.body) throw new ImportError('URL_UNAVAILABLE', `'${url}' sent no content`);
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream(destination));
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError('URL_UNAVAILABLE', `cannot download '${url}': ${describe(error)}`, {
      cause: error,
    });
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
