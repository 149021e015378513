export type { Digest } from './digest.js';
export { digestDirectory, digestObjects, TreeMemo } from './digest.js';
export type { HashErrorCode, HashErrorOptions } from './errors.js';
export { HashError } from './errors.js';
export { hashDirectory, hashFile, hashPath, md5Dos2Unix } from './hash.js';
export { compareRelpaths, manifestMd5, serializeManifest } from './manifest.js';
export type { MemoStats } from './memo.js';
export { HashMemo } from './memo.js';
export type { CheckoutOptions, ObjectCacheOptions, VerifyOptions } from './object-cache.js';
export { ObjectCache, VERIFY_BY_CONTENT_BELOW } from './object-cache.js';
export { terminateHashWorkers } from './pool.js';
export type {
  DirEntry,
  DirHash,
  FileHash,
  HashOptions,
  HashProgress,
  LinkType,
  ObjectStatus,
  PathHash,
  StoreWhileHashing,
} from './types.js';
