/**
 * The contract a remote storage plugin implements. A storage knows nothing of DVC: it moves
 * opaque keys (`files/md5/ab/cdef…`, `/`-separated, relative to the remote's root) between the
 * local disk and somewhere else. The transfer engine decides what to move, in which order
 * (a `.dir` manifest only after every file it lists), with how many jobs, and retries what a
 * storage reports as retryable.
 */

/** Bumped when the contract changes incompatibly; a plugin states the version it implements. */
export const REMOTE_STORAGE_SPECIFICATION_VERSION = 1 as const;

/** What a plugin is asked to open: one remote of the configuration, or a URL given directly. */
export interface RemoteStorageRequest {
  /** The remote's name in the config (`''` when a URL was given directly, as `import-url` does). */
  readonly name: string;
  /** The URL as configured (`s3://bucket/path`, `ssh://user@host:22/path`, `/abs/dir`, `../rel`). */
  readonly url: string;
  /** The URL's scheme, lower case: `s3`, `ssh`, `http`, `https`, …; `local` for a filesystem path. */
  readonly scheme: string;
  /**
   * The remote's section of the merged config, values as DVC's schema typed them (`url`,
   * `endpointurl`, `region`, `port`, `keyfile`, `auth`, …), `url` included. Unknown keys are
   * passed through; a plugin reports a key it needs but finds wrong with a `RemoteError('CONFIG')`.
   */
  readonly options: Readonly<Record<string, unknown>>;
  /** The directory a relative local URL is relative to (DVC: the config file's directory). */
  readonly baseDir: string;
}

/** Options of one upload or download. */
export interface TransferOptions {
  /** The object's size in bytes when known (a storage may choose multipart uploads by it). */
  readonly size?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called with the bytes moved since the previous call. */
  readonly onProgress?: ((bytes: number) => void) | undefined;
}

/**
 * One opened remote. Keys are relative to the remote's root and use `/`. Every method may throw
 * a {@link RemoteError}; anything else is taken as a plugin bug and reported with the plugin's name.
 */
export interface RemoteStorage {
  readonly specificationVersion: typeof REMOTE_STORAGE_SPECIFICATION_VERSION;
  /** The plugin's name, for messages (`local`, `s3`, `ssh`, `http`). */
  readonly kind: string;
  /** The remote's URL as shown to the user (no secrets). */
  readonly url: string;
  /**
   * Whether {@link list} works. A storage that cannot list (HTTP) is asked with {@link exists}
   * one key at a time, as DVC does.
   */
  readonly canList: boolean;
  /**
   * Every key under `prefix` (`files/md5/ab/` or `files/md5/`); order does not matter. A prefix
   * that does not exist yields nothing (it is not an error).
   */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<string>;
  /** Whether a whole object is stored at `key`. */
  exists(key: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * Stores the local file at `key`, streaming (never the whole file in memory). Atomic: until it
   * resolves, no reader may see a partial object at `key` (upload to a temporary name and rename,
   * or use the storage's own atomic put). Overwrites an existing object.
   */
  upload(localPath: string, key: string, options?: TransferOptions): Promise<void>;
  /**
   * Writes the object at `key` to `localPath` (a temporary path the engine renames into the cache
   * after checking the hash), streaming. A missing key is a `RemoteError('NOT_FOUND')`.
   */
  download(key: string, localPath: string, options?: TransferOptions): Promise<void>;
  /**
   * Optional: the path of the object at `key` when the storage's objects are plain files on this
   * machine (a local directory remote). The engine then reads them directly in one pass — small
   * objects whole and hashed in memory, large ones hashed while they are copied — instead of a
   * {@link download} to a temporary file and a second read to check its hash.
   */
  filePath?(key: string): string;
  /** Removes the object at `key`; a key already missing is not an error. */
  remove(key: string, signal?: AbortSignal): Promise<void>;
  /** Releases connections. The storage is not used afterwards. */
  close(): Promise<void>;
}

/** How a plugin offers storages: it taps `tvc.hooks.remoteStorage.for(scheme)` with one. */
export type RemoteStorageFactory = (request: RemoteStorageRequest) => RemoteStorage | Promise<RemoteStorage>;
