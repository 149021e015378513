import { RemoteError } from './errors';

/** An object id: 32 hex digits, `.dir` for a directory manifest. */
const OID = /^[0-9a-f]{32}(\.dir)?$/;
/** A key of DVC 3's layout: `files/md5/ab/<30 hex>[.dir]`. */
const KEY = /^files\/md5\/([0-9a-f]{2})\/([0-9a-f]{30}(?:\.dir)?)$/;

/** Where DVC 3 stores the object `oid` on a remote: `files/md5/ab/cdef…` (`.dir` kept). */
export function objectKey(oid: string): string {
  const id = typeof oid === 'string' ? oid.toLowerCase() : '';
  if (!OID.test(id)) {
    throw new RemoteError('OTHER', `Not an object id: ${JSON.stringify(oid)}`, {
      hint: 'An object id is 32 hexadecimal digits, followed by .dir for a directory.',
    });
  }
  return `files/md5/${id.slice(0, 2)}/${id.slice(2)}`;
}

/** The object id a key names, or undefined for anything else (temporary files, other layouts). */
export function oidFromKey(key: string): string | undefined {
  const match = KEY.exec(key);
  return match ? `${match[1]}${match[2]}` : undefined;
}

export function isOid(oid: string): boolean {
  return OID.test(oid);
}
