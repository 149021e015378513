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
/** the file's bytes were also written into the cache as its object while they were read (`storeTo`) */
export const HASHED_STORED = 16;

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

/**
 * A directory's entries as DVC's walk sees them, sorted as their relpaths sort (a directory `d`
 * sorts as `d/`, which is where its files' relpaths fall).
 */
export interface DirectoryListing {
  dir: string;
  /** the names, joined by NUL (which no name holds) */
  names: string;
  /**
   * one character per name: `f` a file (or a symlink to anything but a directory, broken ones
   * included: hashing them fails as in DVC), `d` a directory, `x` a socket, FIFO or device
   */
  kinds: string;
}

/**
 * The hashes of a run of consecutive files of one directory (consecutive in manifest order), by
 * column: a few typed arrays clone far cheaper than an object per file, and the manifest text
 * travels as bytes in a transferred buffer (not copied, and outside the receiver's JS heap).
 */
export interface RunResult {
  kind: 'run';
  /** the directory's relpath ('' for the root) */
  dir: string;
  /** the run's index in its directory's plan */
  seg: number;
  /**
   * the index in the run of this result's first file: a run may come back in parts, when a
   * lane that only takes small files (the main thread's) hands the rest of it on
   */
  first: number;
  /** the names of the run it did not hash (see `maxBytes`), from `first + sizes.length` on */
  rest: string[];
  /**
   * the run's manifest text, ASCII: `, {"md5": …, "relpath": …}` per file, escaped as
   * json.dumps does (the entries are parsed back from it when asked for)
   */
  manifest: Uint8Array;
  sizes: Float64Array;
  /** HASHED_* flags */
  flags: Uint8Array;
  /** when the request asked for keys (for the memo): 32 hex digits per file; else empty */
  md5s: string;
  /** the stat key of each file, when the request asked for keys; else empty */
  keys: string[];
  /**
   * with `storeTo`: the stat key of each file's cache object as written ('' for a file not
   * written: known from the memo); else empty
   */
  objectKeys: string[];
  bytesRead: number;
}

/**
 * A directory's entries in manifest order, as a tree job reports it: a number is a run of that
 * many files (one RunResult each), a string a subdirectory's name.
 */
export type DirectoryPlan = (number | string)[];

/** What a tree job reports as it goes, in order. */
export type TreeRecord =
  | { kind: 'plan'; dir: string; plan: DirectoryPlan }
  | RunResult
  /**
   * subdirectories listed but not entered, for other lanes (whose plans follow later); `next`
   * when they come next in manifest order (handed back, rather than given away from the far end)
   */
  | { kind: 'dirs'; dirs: string[]; next: boolean }
  /**
   * files of a run not hashed, for another lane (`first`: the index in the run of the first);
   * `large` when they start with a file larger than what was left of the lane's `maxBytes`
   */
  | { kind: 'runs'; dir: string; seg: number; first: number; names: string[]; large: boolean };

export interface StoreItem {
  src: string;
  /** the object's path in the cache */
  dest: string;
  md5: string;
  size: number;
  /**
   * the memo's stat key for `dest` when the memo holds `md5` for it: an object already there with
   * this key is not read again (without one, an existing object is hashed before it is kept)
   */
  known?: string | undefined;
}

export interface StoreResult {
  /** false when the object was already there, intact */
  stored: boolean;
  /** stat key of the object now at dest, when its content was checked (for the memo) */
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

/**
 * The results of a store or place batch by column (one object per item cost the workers ~5% of
 * their time in structured cloning, on 50,000 small files): `stored` 1 per stored object, `texts`
 * each item's key (store) or link type (place) joined by newlines ('' for none).
 */
export interface PackedItems {
  stored: Uint8Array;
  texts: string;
  bytesRead: Float64Array;
  errors: Record<number, ItemError>;
}

export interface Operations {
  /** items are absolute paths; see WorkerRequest.known and .dos2unix */
  hash: { item: string; results: HashBatch };
  store: { item: StoreItem; results: PackedItems };
  place: { item: PlaceItem; results: PackedItems };
  /** size of each path, -1 when missing */
  stat: { item: string; results: number[] };
  /**
   * items are directory relpaths under `root`: each is listed, its files hashed and its
   * subdirectories entered, reported as TreeRecords in `partial` messages; work is handed back
   * (as `dirs` and `runs` records) while `hungry` is set
   */
  tree: { item: string; results: null };
  /** items are directory relpaths under `root`, listed only */
  list: { item: string; results: DirectoryListing[] };
  /** items are names in the directory `dir` under `root`; see `known` and `knownMd5s` */
  run: { item: string; results: RunResult };
  /** items are relpaths under `root` (files or directories, directories walked), stat'ed only */
  digest: { item: string; results: DigestResult };
  /** the stat keys of the cache objects a manifest lists, in its order (part = `d<hex>` of them) */
  objdigest: { item: ObjectDigestItem; results: DigestResult };
}

/** A digest of stat keys (see digest.ts): what changed files or objects would change. */
export interface DigestResult {
  /** per item: `f<stat key>` for a file, `d<hex>` for a directory's digest, '' for what cannot be digested */
  parts: string[];
  files: number;
  size: number;
  /**
   * false when the digest must not vouch for anything: a file changed in the last two seconds
   * (racy), a special file, a symlink to a directory, a `.dvcignore` or a name the walk always
   * leaves out (`.git`, `.hg`, `.dvc`), a missing object
   */
  trusted: boolean;
}

/** Part of a `.dir` manifest's objects to digest: entries `from` to `to` (exclusive; -1: the end). */
export interface ObjectDigestItem {
  manifest: string;
  /** `<cache>/files/md5/` */
  objects: string;
  from: number;
  to: number;
}

export type Operation = keyof Operations;

export interface WorkerRequest<K extends Operation = Operation> {
  id: number;
  op: K;
  items: Operations[K]['item'][];
  /** the process umask, for files created by `place` */
  umask: number;
  /** hash: items are posix paths relative to this directory (else absolute); tree, list, run: the directory hashed */
  root?: string | undefined;
  /** hash, run: return each file's stat key (for the memo) */
  keys?: boolean | undefined;
  /**
   * hash: the memo's stat key of each path ('' when none); a file that still matches its key is
   * not read. Parallel arrays rather than objects: cheaper to clone.
   */
  known?: string[] | undefined;
  /** run: the md5 of each file in `known` (so a known file's manifest entry can be written) */
  knownMd5s?: string[] | undefined;
  /** run: the directory the names are in, relative to `root` */
  dir?: string | undefined;
  /** run: the index of the run in its directory's plan */
  seg?: number | undefined;
  /** run: the index in the run of the first name given */
  first?: number | undefined;
  /**
   * run: the names come as one item joined by NUL, `known` as one string joined by newlines and
   * `knownMd5s` as one string of 32 characters per name (zeros when none): three strings clone
   * far cheaper than three arrays of strings
   */
  packed?: boolean | undefined;
  /** tree: element 0 is non-zero while some worker could take more work */
  hungry?: Int32Array | undefined;
  /** tree: hand back what is left after hashing this many files (the main thread's slices) */
  budget?: number | undefined;
  /**
   * tree, run: read at most this many bytes, handing back the files from the first one larger
   * than what is left (the main thread's lane)
   */
  maxBytes?: number | undefined;
  /** hash: DVC 2's md5-dos2unix instead of plain MD5 */
  dos2unix?: boolean | undefined;
  /**
   * run (with `keys`): the cache's `files/md5` directory. Each file read is copied, as it is
   * hashed, into a temporary file there, renamed to its object's name once its md5 is known:
   * `add` reads each file once (HASHED_STORED, `objectKeys`).
   */
  storeTo?: string | undefined;
  /** element 0 becomes non-zero when the job is cancelled */
  cancel?: Int32Array | undefined;
}

export type WorkerResponse =
  | { id: number; type: 'done'; results: unknown }
  | { id: number; type: 'progress'; bytes: number }
  | { id: number; type: 'partial'; records: TreeRecord[] }
  | { id: number; type: 'failed'; error: ItemError };
