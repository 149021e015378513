import type { HashMemo } from './memo.js';

export interface FileHash {
  md5: string;
  size: number;
  /** an execute bit is set (DVC records `isexec: true` for such file outputs) */
  isexec: boolean;
}

export interface DirEntry {
  /** posix, relative to the directory */
  relpath: string;
  md5: string;
  size: number;
  /** an execute bit is set; DVC does not record it in `.dir` manifests */
  isexec: boolean;
}

export interface DirHash {
  /** `<hex>.dir` */
  md5: string;
  size: number;
  nfiles: number;
  /** sorted by relpath in code-point order, as in the manifest */
  entries: DirEntry[];
}

export type PathHash = ({ kind: 'file' } & FileHash) | ({ kind: 'directory' } & DirHash);

export interface HashProgress {
  /** files finished */
  files: number;
  /** bytes of the files finished, and of large files as they are read */
  bytes: number;
}

export interface HashOptions {
  memo?: HashMemo;
  /** relpath is posix, relative to the hashed directory */
  ignore?: (relpath: string, isDirectory: boolean) => boolean;
  onProgress?: (progress: HashProgress) => void;
  signal?: AbortSignal;
  /**
   * With a memo, a directory's files that are read are written into the cache as they are
   * hashed (one read per file instead of a read to hash and another to save): `objects` is the
   * cache's `files/md5` directory, `onStored` hears of each object written and its stat key.
   * See {@link ObjectCache.storeWhileHashing}.
   */
  store?: StoreWhileHashing;
}

export interface StoreWhileHashing {
  readonly objects: string;
  onStored(md5: string, objectKey: string): void;
}

export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';

export type ObjectStatus = 'ok' | 'missing' | 'corrupt';
