/** The codes @tvc/hash throws with; other codes may come from the operating system (`EACCES`, …). */
export type HashErrorCode =
  | 'CACHE_MISSING'
  | 'CACHE_CORRUPT'
  | 'NOT_FOUND'
  | 'INVALID_HASH'
  | 'NOT_A_FILE'
  | 'NOT_A_DIRECTORY'
  | 'HASH_MISMATCH'
  | 'LINK_FAILED'
  | 'ABORTED';

export interface HashErrorOptions {
  readonly path?: string | undefined;
  readonly hint?: string | undefined;
  readonly cause?: unknown;
}

/** Every failure of @tvc/hash: a stable `code`, the path concerned when there is one, and a hint. */
export class HashError extends Error {
  readonly code: HashErrorCode | (string & {});
  readonly path: string | undefined;
  readonly hint: string | undefined;

  constructor(code: HashErrorCode | (string & {}), message: string, options: HashErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HashError';
    this.code = code;
    this.path = options.path;
    this.hint = options.hint;
  }
}

/** An error the worker reported for one item, as plain data. */
export interface ItemError {
  readonly code: string;
  readonly message: string;
  /** the path concerned, when the worker knows it (then the error is about that path) */
  readonly path?: string | undefined;
}

export const NOT_A_FILE_HINT =
  'Sockets, FIFOs and devices cannot be hashed; remove it or ignore it in .dvcignore.';

/** Turns a worker's per-item error into a HashError naming the path. */
export function itemError(error: ItemError, path: string): HashError {
  if (error.code === 'ENOENT') {
    return new HashError('NOT_FOUND', `No such file: '${path}'`, { path });
  }
  if (error.code === 'NOT_A_FILE') {
    return new HashError('NOT_A_FILE', error.message, { path, hint: NOT_A_FILE_HINT });
  }
  return new HashError(error.code, error.message, { path });
}

export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new HashError('ABORTED', 'The operation was aborted');
}
