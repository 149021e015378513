// The messages between the main thread and the hash workers (see worker.ts and pool.ts).
import type { ItemError } from './errors.js';
import type { LinkType } from './types.js';

/** Flags of one file in a HashBatch. */
export const HASHED_EXECUTABLE = 1;
/** the stat key may be memoised (the file did not change too recently) */
export const HASHED_CACHEABLE = 2;
/** the file matched `known`: not read, its md5 is the memo's */
export const HASHED_KNOWN = 4;
export const HASHED_FAILED = 8;

/**
 * The results of a batch of files to hash, by column: structured-cloning one object per file cost
 * the main thread ~3x more than these arrays (measured on 50k files).
 */
export interface HashBatch {
  sizes: Float64Array;
  flags: Uint8Array;
  /** 32 hex digits per file, in order; zeros for known and failed files */
  md5s: string;
  /** `<inode>:<mtime ns>:<size>` per file, when the request asked for keys; else empty */
  keys: string[];
  bytesRead: number;
  errors: Record<number, ItemError>;
}

export interface StoreItem {
  src: string;
  /** the object's path in the cache */
  dest: string;
  md5: string;
  size: number;
}

export interface StoreResult {
  /** false when the object was already there */
  stored: boolean;
  /** stat key of the new object (for the memo) */
  key?: string | undefined;
  bytesRead: number;
  error?: ItemError | undefined;
}

export interface PlaceItem {
  src: string;
  dest: string;
  linkTypes: readonly LinkType[];
  isexec: boolean;
  size: number;
}

export interface PlaceResult {
  link?: LinkType | undefined;
  error?: ItemError | undefined;
}

export interface Operations {
  /** items are absolute paths; see WorkerRequest.known and .dos2unix */
  hash: { item: string; results: HashBatch };
  store: { item: StoreItem; results: StoreResult[] };
  place: { item: PlaceItem; results: PlaceResult[] };
  /** size of each path, -1 when missing */
  stat: { item: string; results: number[] };
}

export type Operation = keyof Operations;

export interface WorkerRequest<K extends Operation = Operation> {
  id: number;
  op: K;
  items: Operations[K]['item'][];
  /** the process umask, for files created by `place` */
  umask: number;
  /** hash: items are posix paths relative to this directory (else absolute) */
  root?: string | undefined;
  /** hash: return each file's stat key (for the memo) */
  keys?: boolean | undefined;
  /**
   * hash: the memo's stat key of each path ('' when none); a file that still matches its key is
   * not read. Parallel arrays rather than objects: cheaper to clone.
   */
  known?: string[] | undefined;
  /** hash: DVC 2's md5-dos2unix instead of plain MD5 */
  dos2unix?: boolean | undefined;
  /** element 0 becomes non-zero when the job is cancelled */
  cancel?: Int32Array | undefined;
}

export type WorkerResponse =
  | { id: number; type: 'done'; results: unknown }
  | { id: number; type: 'progress'; bytes: number }
  | { id: number; type: 'failed'; error: ItemError };
