export { byteCounter } from './byte-counter';
export {
  REMOTE_STORAGE_SPECIFICATION_VERSION,
  type RemoteStorage,
  type RemoteStorageFactory,
  type RemoteStorageRequest,
  type TransferOptions,
} from './contract';
export { RemoteError, type RemoteErrorCode, type RemoteErrorOptions } from './errors';
export { type ExistsOptions, type ObjectPlan, oidsExist, planOids, remoteHas } from './exists';
export { gcRemote, listRemoteOids, type RemoteGcOptions } from './gc';
export { DVC3_LAYOUT, isOid, LEGACY_LAYOUT, type ObjectLayout, objectKey, oidFromKey } from './keys';
export { MemoryStorage } from './memory-storage';
export { defaultJobs, eachLimited, type RetryOptions, withRetry } from './pool';
export { RemoteIndex } from './remote-index';
export {
  cachePath,
  type EngineOptions,
  fetchFiles,
  fetchObjects,
  type PlainFile,
  pushFiles,
  pushObjects,
  type TransferFailure,
  type TransferProgress,
  type TransferResult,
} from './transfer';
