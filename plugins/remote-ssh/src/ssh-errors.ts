import { RemoteError } from '@tvc/remote';

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7) ssh2 puts on an error's `code`. */
export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Messages of ssh2 for a connection or channel that went away. */
const NETWORK_MESSAGES =
  /not connected|no response from server|keepalive timeout|connection lost|channel (open failure|closed)|unable to start subsystem|no sftp|socket|timed out|connection (reset|closed)|closed unexpectedly|premature close/i;

interface ErrorLike {
  readonly code?: unknown;
  readonly level?: unknown;
  readonly message?: unknown;
}

function asErrorLike(error: unknown): ErrorLike {
  return typeof error === 'object' && error !== null ? (error as ErrorLike) : {};
}

/** Whether an SFTP error says the path does not exist. */
export function isNoSuchFile(error: unknown): boolean {
  const { code } = asErrorLike(error);
  return code === SFTP_STATUS.NO_SUCH_FILE || code === 'ENOENT';
}

export function sftpCode(error: unknown): number | undefined {
  const { code } = asErrorLike(error);
  return typeof code === 'number' ? code : undefined;
}

/** Whether the error is about the connection (worth a new connection and a retry). */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof RemoteError) return error.code === 'NETWORK';
  const { code, level, message } = asErrorLike(error);
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (code === SFTP_STATUS.NO_CONNECTION || code === SFTP_STATUS.CONNECTION_LOST) return true;
  if (level === 'client-socket' || level === 'client-timeout' || level === 'client-dns') return true;
  return typeof code !== 'number' && typeof message === 'string' && NETWORK_MESSAGES.test(message);
}

export interface ErrorContext {
  /** `ssh://user@host:port/path`, no secrets */
  readonly url: string;
  /** the key or path concerned */
  readonly path?: string | undefined;
  /** what was being done: `upload`, `download`, `list`, … */
  readonly operation: string;
  readonly username: string;
}

/** Maps an ssh2 or SFTP failure to a {@link RemoteError} with a code, the path and a hint. */
export function toRemoteError(error: unknown, context: ErrorContext): RemoteError {
  if (error instanceof RemoteError) return error;
  const { code, level, message } = asErrorLike(error);
  const text = typeof message === 'string' && message !== '' ? message : String(error);
  const where = context.path === undefined ? context.url : `${context.path} on ${context.url}`;
  if (level === 'client-authentication') {
    return new RemoteError(
      'AUTH',
      `ssh ${context.url}: the server refused every key and password for user '${context.username}'`,
      {
        path: context.path,
        hint: "give a key with 'tvc remote modify <name> keyfile ~/.ssh/id_ed25519' (and 'passphrase' or 'ask_passphrase' if it is encrypted), a password with 'password' or 'ask_password', the user with 'user', or load the key into ssh-agent",
        cause: error,
      },
    );
  }
  if (isNoSuchFile(error)) {
    return new RemoteError('NOT_FOUND', `${context.operation}: no such file: ${where}`, {
      path: context.path,
      cause: error,
    });
  }
  if (code === SFTP_STATUS.PERMISSION_DENIED || code === 'EACCES' || code === 'EPERM') {
    return new RemoteError('AUTH', `${context.operation}: permission denied: ${where}`, {
      path: context.path,
      hint: `check that user '${context.username}' may write to the remote's directory on the server`,
      cause: error,
    });
  }
  if (level === 'client-timeout') {
    return new RemoteError('NETWORK', `ssh ${context.url}: timed out connecting (${text})`, {
      path: context.path,
      hint: "check the host and port; raise the limit with 'tvc remote modify <name> timeout <seconds>'",
      cause: error,
    });
  }
  if (level === 'client-dns' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new RemoteError('NETWORK', `ssh ${context.url}: cannot resolve the host name (${text})`, {
      path: context.path,
      hint: 'check the host in the remote URL (or HostName in ~/.ssh/config)',
      cause: error,
    });
  }
  if (code === 'ECONNREFUSED') {
    return new RemoteError('NETWORK', `ssh ${context.url}: connection refused`, {
      path: context.path,
      hint: "check that the SSH server runs and the port is right ('tvc remote modify <name> port <port>')",
      cause: error,
    });
  }
  if (isConnectionError(error)) {
    return new RemoteError('NETWORK', `${context.operation}: connection to ${context.url} failed: ${text}`, {
      path: context.path,
      cause: error,
    });
  }
  return new RemoteError('OTHER', `${context.operation} ${where} failed: ${text}`, {
    path: context.path,
    cause: error,
  });
}
