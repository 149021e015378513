export { classifyS3Error, type S3ErrorContext, s3ErrorCode, toRemoteError } from './errors';
export {
  type AwsS3ProfileSection,
  parseHumanSize,
  parseS3Url,
  partSizeFor,
  type S3Credentials,
  type S3ReadParams,
  type S3Settings,
  type S3SettingsContext,
  type S3WriteParams,
  s3Settings,
} from './options';
export { openS3Remote, S3RemotePlugin } from './s3-plugin';
