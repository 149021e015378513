import { TvcError, type TvcErrorOptions } from '@tvc/core';

export type ImportErrorCode =
  | 'URL_UNAVAILABLE'
  | 'UNSUPPORTED_URL'
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_REPO_UNAVAILABLE'
  | 'DATA_NOT_IN_SOURCE_CACHE'
  | 'OUTPUT_EXISTS'
  | 'NOT_AN_IMPORT';

/** A user error of `tvc import-url`, `tvc import` or `tvc update`. */
export class ImportError extends TvcError {
  constructor(code: ImportErrorCode, message: string, options: TvcErrorOptions = {}) {
    super(code, message, options);
    this.name = 'ImportError';
  }
}
