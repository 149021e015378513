import { RemoteError } from '@tvc/remote';

/** What an error message says about the remote: `remote 'web' (https://host/path)`. */
export interface RemoteLabel {
  readonly name: string;
  /** The URL without credentials. */
  readonly url: string;
}

/**
 * How messages name the remote: its URL (without credentials). The key is the error's `path` and
 * the remote's name is added by whoever reports the error (`remote 'web': …`), so neither is repeated.
 */
export function describeRemote(remote: RemoteLabel): string {
  return remote.url;
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
  if (status === 404 || status === 410) {
    return new RemoteError('NOT_FOUND', `${where}: not found (HTTP ${status}) while ${operation}`, {
      path: key,
    });
  }
  if (status === 401 || status === 403) {
    const reason = status === 401 ? 'Unauthorized' : 'Forbidden';
    return new RemoteError('AUTH', `${where}: HTTP ${status} ${reason} while ${operation}`, {
      path: key,
      hint: credentialsHint(remote),
    });
  }
  if (status === 429 || status === 503) {
    const reason = status === 429 ? 'Too Many Requests' : 'Service Unavailable';
    return new RemoteError('THROTTLED', `${where} is busy: HTTP ${status} ${reason} while ${operation}`, {
      path: key,
      retryAfterMs: parseRetryAfter(headers['retry-after']),
      hint: 'the transfer is retried; if it keeps failing, lower -j or try later',
    });
  }
  if (status === 405 || status === 501) {
    return new RemoteError('OTHER', `${where}: HTTP ${status}, the server does not allow ${operation}`, {
      path: key,
      hint:
        operation === 'uploading'
          ? `the server may take the other upload method: \`tvc remote modify ${remote.name || 'NAME'} method PUT\` (or POST)`
          : undefined,
    });
  }
  if (status === 413) {
    return new RemoteError('OTHER', `${where}: HTTP 413 Payload Too Large while ${operation}`, {
      path: key,
      hint: "raise the server's request body limit",
    });
  }
  // 500, 502, 504…: often transient (a proxy, a restarting server); DVC's client retries reads on them.
  return new RemoteError('OTHER', `${where}: HTTP ${status} while ${operation}`, {
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
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (
    signal?.aborted ||
    code === 'UND_ERR_ABORTED' ||
    (error instanceof Error && error.name === 'AbortError')
  ) {
    return new RemoteError('ABORTED', `${where}: interrupted while ${operation}`, {
      path: key,
      cause: error,
    });
  }
  if (code !== undefined && TLS_CODES.test(code)) {
    return new RemoteError(
      'NETWORK',
      `${where}: TLS verification failed while ${operation}: ${detail} (${code})`,
      {
        path: key,
        retryable: false,
        cause: error,
        hint: `give the server's CA bundle with \`tvc remote modify ${remote.name || 'NAME'} ssl_verify /path/to/ca.pem\` (or false to skip verification)`,
      },
    );
  }
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return new RemoteError('NETWORK', `${where} timed out while ${operation}: ${detail}`, {
      path: key,
      cause: error,
      hint: 'raise connect_timeout or read_timeout of the remote if the server is slow',
    });
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new RemoteError('NETWORK', `${where}: ${detail} (${code}) while ${operation}`, {
      path: key,
      cause: error,
      hint:
        code === 'ECONNREFUSED' || code === 'ENOTFOUND'
          ? "check the remote's URL and that the server runs"
          : undefined,
    });
  }
  return new RemoteError('OTHER', `${where}: ${detail}${code ? ` (${code})` : ''} while ${operation}`, {
    path: key,
    cause: error,
  });
}
