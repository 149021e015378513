export {
  REMOTE_STORAGE_SPECIFICATION_VERSION,
  type RemoteStorage,
  type RemoteStorageFactory,
  type RemoteStorageRequest,
  type TransferOptions,
} from './contract';
export { RemoteError, type RemoteErrorCode, type RemoteErrorOptions } from './errors';
