export {
  REMOTE_STORAGE_SPECIFICATION_VERSION,
  type RemoteStorage,
  type RemoteStorageFactory,
  type RemoteStorageRequest,
  type TransferOptions,
} from './contract';
export { RemoteError, type RemoteErrorCode, type RemoteErrorOptions } from './errors';
export { type ExistsOptions, type ObjectPlan, oidsExist, planOids, remoteHas } from './exists';
export { isOid, objectKey, oidFromKey } from './keys';
export { MemoryStorage } from './memory-storage';
export { defaultJobs, eachLimited, type RetryOptions, withRetry } from './pool';
export { RemoteIndex } from './remote-index';
export {
  cachePath,
  type EngineOptions,
  fetchObjects,
  pushObjects,
  type TransferFailure,
  type TransferProgress,
  type TransferResult,
} from './transfer';
