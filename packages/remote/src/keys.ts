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

/**
 * Where objects live, on a remote and in the local cache: DVC 3's `files/md5/ab/…`, or DVC 2's
 * legacy `ab/…` at the root (objects hashed `md5-dos2unix`, which DVC 3 still reads and writes
 * for outputs recorded by DVC 2).
 */
export interface ObjectLayout {
  readonly name: 'md5' | 'md5-dos2unix';
  /** The key of an object on a remote. */
  key(oid: string): string;
  /** The object a key names, or undefined. */
  oid(key: string): string | undefined;
  /** The key prefix listing the objects whose ids start with `prefix` (all of them without one). */
  listPrefix(prefix?: string): string;
}

export const DVC3_LAYOUT: ObjectLayout = {
  name: 'md5',
  key: objectKey,
  oid: oidFromKey,
  listPrefix: (prefix) =>
    prefix === undefined
      ? 'files/md5/'
      : prefix.length <= 2
        ? `files/md5/${prefix}/`
        : `files/md5/${prefix.slice(0, 2)}/${prefix.slice(2)}`,
};

const LEGACY_KEY = /^([0-9a-f]{2})\/([0-9a-f]{30}(?:\.dir)?)$/;

export const LEGACY_LAYOUT: ObjectLayout = {
  name: 'md5-dos2unix',
  key: (oid) => objectKey(oid).slice('files/md5/'.length),
  oid: (key) => {
    const match = LEGACY_KEY.exec(key);
    return match ? `${match[1]}${match[2]}` : undefined;
  },
  listPrefix: (prefix) =>
    prefix === undefined
      ? ''
      : prefix.length <= 2
        ? `${prefix}/`
        : `${prefix.slice(0, 2)}/${prefix.slice(2)}`,
};
