import { createHash, randomBytes } from 'node:crypto';

/** A server's `WWW-Authenticate: Digest …` challenge (RFC 7616). */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | undefined;
  /** `MD5`, `MD5-sess`, `SHA-256`, `SHA-256-sess` (upper case). */
  readonly algorithm: string;
  /** Whether the server offers `qop=auth` (else the RFC 2069 form is used). */
  readonly qopAuth: boolean;
  readonly stale: boolean;
}

/** Parses the auth-params of a header value (`key=value, key="quoted, value"`). */
function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const match of text.matchAll(pattern)) {
    const key = match[1];
    if (key === undefined) continue;
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
    params.set(key.toLowerCase(), value);
  }
  return params;
}

/**
 * The Digest challenge among a response's `WWW-Authenticate` headers, if any. Several challenges in
 * one header value are split at scheme names.
 */
export function parseDigestChallenge(
  headers: string | readonly string[] | undefined,
): DigestChallenge | undefined {
  if (headers === undefined) return undefined;
  const values = typeof headers === 'string' ? [headers] : headers;
  for (const value of values) {
    const start = value.search(/(^|[\s,])Digest\s/i);
    if (start < 0) continue;
    const rest = value.slice(start).replace(/^[\s,]*Digest\s+/i, '');
    // The digest challenge ends where another scheme starts (`, Basic realm=…`).
    const end = rest.search(/,\s*[A-Za-z][A-Za-z0-9_-]*\s+[A-Za-z0-9_-]+\s*=/);
    const params = parseParams(end < 0 ? rest : rest.slice(0, end));
    const nonce = params.get('nonce');
    if (nonce === undefined) continue;
    const qop = (params.get('qop') ?? '').split(',').map((item) => item.trim().toLowerCase());
    return {
      realm: params.get('realm') ?? '',
      nonce,
      opaque: params.get('opaque'),
      algorithm: (params.get('algorithm') ?? 'MD5').toUpperCase(),
      qopAuth: qop.includes('auth'),
      stale: (params.get('stale') ?? '').toLowerCase() === 'true',
    };
  }
  return undefined;
}

function hasher(algorithm: string): ((text: string) => string) | undefined {
  const base = algorithm.replace(/-SESS$/, '');
  const name =
    base === 'MD5'
      ? 'md5'
      : base === 'SHA-256'
        ? 'sha256'
        : base === 'SHA-512-256'
          ? 'sha512-256'
          : undefined;
  if (name === undefined) return undefined;
  return (text) => createHash(name).update(text, 'utf8').digest('hex');
}

/** Whether tvc can answer this challenge's algorithm. */
export function digestSupported(challenge: DigestChallenge): boolean {
  return hasher(challenge.algorithm) !== undefined;
}

/**
 * Answers digest challenges: one `Authorization` value per request, counting the nonce's uses
 * (`nc`) so that the challenge can be reused without a new 401 for each request.
 */
export class DigestAuthenticator {
  readonly #user: string;
  readonly #password: string;
  #challenge: DigestChallenge | undefined;
  #count = 0;

  constructor(user: string, password: string) {
    this.#user = user;
    this.#password = password;
  }

  get ready(): boolean {
    return this.#challenge !== undefined;
  }

  /** Takes a new challenge (after a 401); the nonce count restarts. */
  accept(challenge: DigestChallenge): void {
    this.#challenge = challenge;
    this.#count = 0;
  }

  /** The `Authorization` header for `method uri` (the request-target: path and query). */
  authorization(method: string, uri: string, cnonce = randomBytes(8).toString('hex')): string | undefined {
    const challenge = this.#challenge;
    if (challenge === undefined) return undefined;
    const hash = hasher(challenge.algorithm);
    if (hash === undefined) return undefined;
    this.#count++;
    const nc = this.#count.toString(16).padStart(8, '0');
    let ha1 = hash(`${this.#user}:${challenge.realm}:${this.#password}`);
    if (challenge.algorithm.endsWith('-SESS')) ha1 = hash(`${ha1}:${challenge.nonce}:${cnonce}`);
    const ha2 = hash(`${method}:${uri}`);
    const response = challenge.qopAuth
      ? hash(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`)
      : hash(`${ha1}:${challenge.nonce}:${ha2}`);
    const quote = (text: string): string => `"${text.replace(/(["\\])/g, '\\$1')}"`;
    const parts = [
      `username=${quote(this.#user)}`,
      `realm=${quote(challenge.realm)}`,
      `nonce=${quote(challenge.nonce)}`,
      `uri=${quote(uri)}`,
      `algorithm=${challenge.algorithm}`,
      `response=${quote(response)}`,
    ];
    if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
    if (challenge.qopAuth) parts.push('qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`);
    return `Digest ${parts.join(', ')}`;
  }
}
