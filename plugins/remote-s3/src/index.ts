// Only the plugin is loaded with the preset: the option mapping, the error mapping and the AWS SDK
// come with the first s3 remote opened (a dynamic import in openS3Remote).
export type { S3ErrorContext } from './errors';
export type {
  AwsS3ProfileSection,
  S3Credentials,
  S3ReadParams,
  S3Settings,
  S3SettingsContext,
  S3WriteParams,
} from './options';
export { openS3Remote, S3RemotePlugin } from './s3-plugin';
