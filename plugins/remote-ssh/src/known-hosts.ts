import { createHmac } from 'node:crypto';
import fs from 'node:fs/promises';

/** What known_hosts says of a server's key. */
export type HostKeyVerdict =
  /** a line for the host lists this key */
  | 'match'
  /** lines for the host with this key type list other keys: the key changed (or an attacker) */
  | 'mismatch'
  /** a `@revoked` line lists this key */
  | 'revoked'
  /** no line for the host with this key type */
  | 'unknown';

/** The key type (`ssh-ed25519`, `ecdsa-sha2-nistp256`, …) of a key blob in SSH wire format. */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length <= 0 || 4 + length > blob.length) return undefined;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** The name known_hosts lists a server under: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Whether one entry's host field (comma-separated patterns, maybe hashed, maybe negated) names `name`. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (wildcardToRegExp(pattern).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Checks a server's key (its wire-format blob) against known_hosts text. */
export function checkHostKey(text: string, name: string, blob: Buffer): HostKeyVerdict {
  const type = keyTypeOf(blob);
  const encoded = blob.toString('base64');
  let sameTypeSeen = false;
  let matched = false;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]?.startsWith('@')) marker = fields.shift();
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) continue;
    if (!hostFieldMatches(hosts, name)) continue;
    if (marker === '@cert-authority') continue;
    if (marker === '@revoked') {
      if (key === encoded) return 'revoked';
      continue;
    }
    if (keyType !== type) continue;
    sameTypeSeen = true;
    if (key === encoded) matched = true;
  }
  if (matched) return 'match';
  return sameTypeSeen ? 'mismatch' : 'unknown';
}

/** Checks a server's key against every readable known_hosts file (a missing file is empty). */
export async function checkHostKeyInFiles(
  files: readonly string[],
  name: string,
  blob: Buffer,
): Promise<{ verdict: HostKeyVerdict; file?: string }> {
  let result: { verdict: HostKeyVerdict; file?: string } = { verdict: 'unknown' };
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      continue;
    }
    const verdict = checkHostKey(text, name, blob);
    if (verdict === 'revoked') return { verdict, file };
    if (verdict === 'match') return { verdict, file };
    if (verdict === 'mismatch') result = { verdict, file };
  }
  return result;
}
