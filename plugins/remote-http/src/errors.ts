import { RemoteError } from '@tvc/remote';

/** What an error message says about the remote: `remote 'web' (https://host/path)`. */
export interface RemoteLabel {
  readonly name: string;
  /** The URL without credentials. */
  readonly url: string;
}

export function describeRemote(remote: RemoteLabel): string {
  return remote.name ? `remote '${remote.name}' (${remote.url})` : `HTTP remote ${remote.url}`;
}

function credentialsHint(remote: RemoteLabel): string {
  const name = remote.name || 'NAME';
  return (
    `check the remote's credentials: \`tvc remote modify --local ${name} auth basic\` (or digest, custom), ` +
    `\`… user …\`, \`… password …\`, or \`… custom_auth_header …\` for a token header`
  );
}

/**
 * `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable. Capped at an hour.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    ms = Math.max(0, date - now);
  }
  return Math.min(ms, 3_600_000);
}

/** The error for a response with a status that is not a success (404 is decided by the caller). */
export function statusError(
  remote: RemoteLabel,
  operation: string,
  key: string,
  status: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): RemoteError {
  const where = describeRemote(remote);
  const what = `${operation} ${key}`;
  if (status === 404 || status === 410) {
    return new RemoteError('NOT_FOUND', `${where}: ${key} is not on the remote (HTTP ${status})`, {
      path: key,
    });
  }
  if (status === 401 || status === 403) {
    return new RemoteError(
      'AUTH',
      `${where} refused ${what}: HTTP ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}`,
      { path: key, hint: credentialsHint(remote) },
    );
  }
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    return new RemoteError(
      'THROTTLED',
      `${where} is busy (${what}): HTTP ${status}${status === 429 ? ' Too Many Requests' : ' Service Unavailable'}`,
      {
        path: key,
        retryAfterMs,
        hint: 'the transfer is retried; if it keeps failing, lower -j or try later',
      },
    );
  }
  if (status === 405 || status === 501) {
    return new RemoteError('OTHER', `${where} does not allow ${what}: HTTP ${status}`, {
      path: key,
      hint:
        operation === 'upload to'
          ? `the server may take the other upload method: \`tvc remote modify ${remote.name || 'NAME'} method PUT\` (or POST)`
          : undefined,
    });
  }
  if (status === 413) {
    return new RemoteError('OTHER', `${where} refused ${what}: HTTP 413 Payload Too Large`, {
      path: key,
      hint: "raise the server's request body limit",
    });
  }
  // 500, 502, 504…: often transient (a proxy, a restarting server); DVC's client retries reads on them.
  return new RemoteError('OTHER', `${where} failed ${what}: HTTP ${status}`, {
    path: key,
    retryable: status >= 500,
  });
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = current.cause;
  }
  return undefined;
}

/** The error for a failure that is not an HTTP status: the socket, TLS, DNS, a timeout, an abort. */
export function transportError(
  remote: RemoteLabel,
  operation: string,
  key: string,
  error: unknown,
  signal?: AbortSignal,
): RemoteError {
  if (error instanceof RemoteError) return error;
  const where = describeRemote(remote);
  const what = `${operation} ${key}`;
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (
    signal?.aborted ||
    code === 'UND_ERR_ABORTED' ||
    (error instanceof Error && error.name === 'AbortError')
  ) {
    return new RemoteError('ABORTED', `${what} was interrupted`, { path: key, cause: error });
  }
  if (code !== undefined && TLS_CODES.test(code)) {
    return new RemoteError('NETWORK', `${where}: TLS verification failed for ${what}: ${detail} (${code})`, {
      path: key,
      retryable: false,
      cause: error,
      hint: `give the server's CA bundle with \`tvc remote modify ${remote.name || 'NAME'} ssl_verify /path/to/ca.pem\` (or false to skip verification)`,
    });
  }
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return new RemoteError('NETWORK', `${where} timed out (${what}): ${detail}`, {
      path: key,
      cause: error,
      hint: 'raise connect_timeout or read_timeout of the remote if the server is slow',
    });
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new RemoteError('NETWORK', `${where}: ${what} failed: ${detail} (${code})`, {
      path: key,
      cause: error,
      hint:
        code === 'ECONNREFUSED' || code === 'ENOTFOUND'
          ? "check the remote's URL and that the server runs"
          : undefined,
    });
  }
  return new RemoteError('OTHER', `${where}: ${what} failed: ${detail}${code ? ` (${code})` : ''}`, {
    path: key,
    cause: error,
  });
}
