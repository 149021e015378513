import path from 'node:path';
import { RemoteError } from '@tvc/remote';

/** DVC's default for both timeouts (HTTPFileSystem.REQUEST_TIMEOUT), in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 60;

export type HttpAuth = 'basic' | 'digest' | 'custom';

/** An HTTP remote's section of the config (DVC's HTTP_COMMON), checked and typed. */
export interface HttpRemoteOptions {
  readonly auth: HttpAuth | undefined;
  readonly customAuthHeader: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly askPassword: boolean;
  /** `true` (the system's CAs), `false` (no verification) or the absolute path of a CA bundle. */
  readonly sslVerify: boolean | string;
  /** The upload method. */
  readonly method: 'POST' | 'PUT';
  /** 0: no limit. */
  readonly readTimeoutMs: number;
  /** 0: no limit. */
  readonly connectTimeoutMs: number;
}

function configError(remote: string, key: string, message: string, hint?: string): RemoteError {
  return new RemoteError('CONFIG', `'${key}' ${message}`, {
    path: key,
    hint:
      hint ??
      (remote
        ? `fix it with \`tvc remote modify ${remote} ${key} …\``
        : `fix the '${key}' option of the remote`),
  });
}

function optionalString(
  remote: string,
  options: Readonly<Record<string, unknown>>,
  key: string,
): string | undefined {
  const value = options[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw configError(remote, key, 'must be a string');
}

/** DVC's `Bool`: a boolean, or the strings it accepts for one. */
function parseBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (['true', 'yes', '1', 'on'].includes(lower)) return true;
    if (['false', 'no', '0', 'off'].includes(lower)) return false;
  }
  if (value === 1) return true;
  if (value === 0) return false;
  return undefined;
}

function timeout(remote: string, options: Readonly<Record<string, unknown>>, key: string): number {
  const value = options[key];
  if (value === undefined || value === null) return DEFAULT_TIMEOUT_SECONDS * 1000;
  const seconds =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds < 0 || (typeof value === 'string' && value.trim() === '')) {
    throw configError(remote, key, `must be a number of seconds, 0 or more (got ${JSON.stringify(value)})`);
  }
  return Math.round(seconds * 1000);
}

/**
 * Reads an HTTP remote's options as DVC's schema and dvc-http read them: unknown keys are ignored,
 * a known key with a wrong value is a `RemoteError('CONFIG')` naming the key.
 */
export function parseHttpOptions(
  remote: string,
  options: Readonly<Record<string, unknown>>,
): HttpRemoteOptions {
  const authText = optionalString(remote, options, 'auth');
  let auth: HttpAuth | undefined;
  if (authText !== undefined && authText !== '') {
    const lower = authText.toLowerCase();
    if (lower !== 'basic' && lower !== 'digest' && lower !== 'custom') {
      throw configError(remote, 'auth', `must be basic, digest or custom (got '${authText}')`);
    }
    auth = lower;
  }
  const customAuthHeader = optionalString(remote, options, 'custom_auth_header');
  const user = optionalString(remote, options, 'user');
  const password = optionalString(remote, options, 'password');

  let askPassword = false;
  if (options.ask_password !== undefined && options.ask_password !== null) {
    const parsed = parseBool(options.ask_password);
    if (parsed === undefined) throw configError(remote, 'ask_password', 'must be true or false');
    askPassword = parsed;
  }

  let sslVerify: boolean | string = true;
  const ssl = options.ssl_verify;
  if (ssl !== undefined && ssl !== null) {
    const parsed = parseBool(ssl);
    if (parsed !== undefined) sslVerify = parsed;
    else if (typeof ssl === 'string' && ssl !== '') sslVerify = path.resolve(ssl);
    else throw configError(remote, 'ssl_verify', 'must be true, false or the path of a CA bundle');
  }

  const methodText = optionalString(remote, options, 'method') ?? 'POST';
  const method = methodText.toUpperCase();
  if (method !== 'POST' && method !== 'PUT') {
    throw configError(remote, 'method', `must be POST or PUT (got '${methodText}')`);
  }

  return {
    auth,
    customAuthHeader,
    user,
    password,
    askPassword,
    sslVerify,
    method,
    readTimeoutMs: timeout(remote, options, 'read_timeout'),
    connectTimeoutMs: timeout(remote, options, 'connect_timeout'),
  };
}

/** Checks that the chosen auth has what it needs (dvc-http's messages), once the password is known. */
export function checkAuth(remote: string, options: HttpRemoteOptions, password: string | undefined): void {
  if (options.auth === 'basic' || options.auth === 'digest') {
    if (options.user === undefined || password === undefined) {
      throw configError(
        remote,
        options.user === undefined ? 'user' : 'password',
        `is missing: HTTP '${options.auth}' authentication requires both 'user' and 'password'`,
        remote
          ? `set them with \`tvc remote modify --local ${remote} user …\` and \`tvc remote modify --local ${remote} password …\` (or ask_password true)`
          : undefined,
      );
    }
  }
  if (options.auth === 'custom') {
    if (options.customAuthHeader === undefined || password === undefined) {
      throw configError(
        remote,
        options.customAuthHeader === undefined ? 'custom_auth_header' : 'password',
        "is missing: HTTP 'custom' authentication requires both 'custom_auth_header' and 'password'",
        remote
          ? `set them with \`tvc remote modify --local ${remote} custom_auth_header …\` and \`tvc remote modify --local ${remote} password …\``
          : undefined,
      );
    }
  }
}
