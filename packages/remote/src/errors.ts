/** The codes a storage or the transfer engine throws with. */
export type RemoteErrorCode =
  /** the key, bucket or directory does not exist */
  | 'NOT_FOUND'
  /** credentials missing or refused */
  | 'AUTH'
  /** connection refused, reset, timed out, DNS — worth retrying */
  | 'NETWORK'
  /** the server asked to slow down (S3 SlowDown, HTTP 429/503) — worth retrying */
  | 'THROTTLED'
  /** the remote's configuration is wrong or incomplete */
  | 'CONFIG'
  /** no plugin serves the URL's scheme */
  | 'UNSUPPORTED'
  /** a downloaded object's content does not match its name */
  | 'CORRUPT'
  | 'ABORTED'
  | 'OTHER';

export interface RemoteErrorOptions {
  /** the key or local path concerned */
  readonly path?: string | undefined;
  readonly hint?: string | undefined;
  /** overrides the default (true for NETWORK and THROTTLED) */
  readonly retryable?: boolean | undefined;
  /** How long the server asked to wait before a retry (HTTP `Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number | undefined;
  readonly cause?: unknown;
}

/** A failure of a remote storage: a stable `code`, the path concerned, whether a retry may help. */
export class RemoteError extends Error {
  readonly code: RemoteErrorCode;
  readonly path: string | undefined;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  /**
   * How long the server asked to wait before a retry (HTTP `Retry-After`, S3's throttling), in
   * milliseconds; the engine waits at least this long before retrying. Undefined: its own backoff.
   */
  readonly retryAfterMs: number | undefined;

  constructor(code: RemoteErrorCode, message: string, options: RemoteErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RemoteError';
    this.code = code;
    this.path = options.path;
    this.hint = options.hint;
    this.retryable = options.retryable ?? (code === 'NETWORK' || code === 'THROTTLED');
    this.retryAfterMs = options.retryAfterMs;
  }
}
