import { RemoteError } from '@tvc/remote';

/**
 * DVC's s3 remote options turned into what the S3 client and each request need. Pure: no SDK, no
 * file system (the AWS config file's `s3` section is read by the caller and passed in), so that
 * the mapping is unit-tested without a server.
 */

/** How requests are signed. */
export type S3Credentials =
  | {
      readonly kind: 'static';
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken?: string | undefined;
    }
  /** The AWS SDK's default chain (environment, shared files, SSO, process, instance metadata). */
  | {
      readonly kind: 'chain';
      readonly profile?: string | undefined;
      /** the shared credentials file (`credentialpath`) */
      readonly filepath?: string | undefined;
      /** the shared config file (`configpath`) */
      readonly configFilepath?: string | undefined;
    }
  /** `allow_anonymous_login`: unsigned requests. */
  | { readonly kind: 'anonymous' };

/** Extra parameters of every write (PutObject, CreateMultipartUpload). */
export interface S3WriteParams {
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
  SSECustomerAlgorithm?: string;
  SSECustomerKey?: string;
  ACL?: string;
  GrantFullControl?: string;
  GrantRead?: string;
  GrantReadACP?: string;
  GrantWriteACP?: string;
}

/** Extra parameters of every read of an object (GetObject, HeadObject): the SSE-C key. */
export interface S3ReadParams {
  SSECustomerAlgorithm?: string;
  SSECustomerKey?: string;
}

export interface S3Settings {
  /** the remote's name in the config, for messages */
  readonly name: string;
  /** `s3://bucket/prefix` as shown to the user */
  readonly url: string;
  readonly bucket: string;
  /** the key prefix of the remote's root: `''` or `path/to/root/` (always ending in `/`) */
  readonly prefix: string;
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly forcePathStyle: boolean;
  readonly useAccelerateEndpoint: boolean;
  /** `use_ssl`: https for the default endpoints (an `endpointurl` keeps its own scheme, as boto's) */
  readonly tls: boolean;
  readonly credentials: S3Credentials;
  /** `ssl_verify`: verify the server's certificate, against the system's CAs or a bundle file */
  readonly sslVerify: boolean | { readonly caBundle: string };
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** `listobjects`: list with ListObjects (v1) instead of ListObjectsV2 */
  readonly listObjectsV1: boolean;
  /** files of this size or more are uploaded in parts */
  readonly multipartThreshold: number;
  readonly multipartChunkSize: number;
  /** parts of one multipart upload sent at once */
  readonly multipartConcurrency: number;
  readonly writeParams: Readonly<S3WriteParams>;
  readonly readParams: Readonly<S3ReadParams>;
}

/** The `s3` sub-section of the profile in the AWS config file (`addressing_style`, `multipart_threshold`, …). */
export type AwsS3ProfileSection = Readonly<Record<string, string | undefined>>;

export interface S3SettingsContext {
  /** the profile's `s3` sub-section in the AWS config file */
  readonly profileS3?: AwsS3ProfileSection | undefined;
  /** the profile's `region` in the AWS config file */
  readonly profileRegion?: string | undefined;
  /** the process environment (AWS_REGION, AWS_DEFAULT_REGION, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE) */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** boto3's TransferConfig defaults (DVC reads the same `s3` keys of the AWS config file). */
export const DEFAULT_MULTIPART_THRESHOLD = 8 * 1024 * 1024;
export const DEFAULT_MULTIPART_CHUNKSIZE = 8 * 1024 * 1024;
export const DEFAULT_MULTIPART_CONCURRENCY = 4;
/** botocore's defaults: 60 s to connect, 60 s without a byte read. */
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** S3's limits on parts: at least 5 MiB each (but the last), at most 10,000 of them. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;

const GRANTS: Readonly<Record<string, keyof S3WriteParams>> = {
  grant_full_control: 'GrantFullControl',
  grant_read: 'GrantRead',
  grant_read_acp: 'GrantReadACP',
  grant_write_acp: 'GrantWriteACP',
};

function configError(request: { name: string }, message: string, key: string, hint?: string): RemoteError {
  // The caller prefixes the remote's name (`remote 'NAME': …`); the message says what is wrong.
  return new RemoteError('CONFIG', message, {
    path: key,
    hint:
      hint ??
      (request.name
        ? `fix it with \`tvc remote modify ${request.name} ${key} …\``
        : `fix the '${key}' option`),
  });
}

/** `s3://bucket/a/b` → bucket `bucket`, prefix `a/b/`. */
export function parseS3Url(url: string, name = ''): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(url.trim());
  const bucket = match?.[1] ?? '';
  if (!match || bucket === '') {
    throw configError({ name }, `'${url}' is not an s3 URL (s3://bucket/path)`, 'url');
  }
  const path = (match[2] ?? '')
    .split('/')
    .filter((part) => part !== '')
    .join('/');
  return { bucket, prefix: path === '' ? '' : `${path}/` };
}

function optionString(options: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = options[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** DVC's `Bool`: true/false in any case (the config holds strings; a caller may pass booleans). */
function optionBool(
  request: { name: string; options: Readonly<Record<string, unknown>> },
  key: string,
  fallback: boolean,
): boolean {
  const value = request.options[key];
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw configError(request, `'${key}' must be true or false, not '${String(value)}'`, key);
}

function optionSeconds(
  request: { name: string; options: Readonly<Record<string, unknown>> },
  key: string,
): number | undefined {
  const value = request.options[key];
  if (value === undefined || value === null || value === '') return undefined;
  const parsed = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(parsed) || parsed < 0) {
    throw configError(request, `'${key}' must be a number of seconds, not '${String(value)}'`, key);
  }
  return parsed;
}

const SIZE_MULTIPLIERS: Readonly<Record<string, number>> = {
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** The AWS CLI's sizes (`8MB`, `24MiB`, `1048576`), as DVC reads them from the AWS config file. */
export function parseHumanSize(value: string): number | undefined {
  const match = /^\s*(\d+)\s*(kb|mb|gb|tb|kib|mib|gib|tib)?\s*$/i.exec(value);
  if (!match) return undefined;
  const multiplier = match[2] ? (SIZE_MULTIPLIERS[match[2].toLowerCase()] ?? 1) : 1;
  return Number(match[1]) * multiplier;
}

function profileSize(
  request: { name: string },
  section: AwsS3ProfileSection | undefined,
  key: string,
  fallback: number,
): number {
  const raw = section?.[key];
  if (raw === undefined || raw === '') return fallback;
  const size = parseHumanSize(raw);
  if (size === undefined || size <= 0) {
    throw configError(
      request,
      `the AWS config file's s3 '${key}' must be a size (8MB, 16MiB, 1048576), not '${raw}'`,
      'configpath',
      "fix the 's3' section of the AWS config file",
    );
  }
  return size;
}

/** Every DVC s3 option mapped onto the client and request settings; throws RemoteError('CONFIG'). */
export function s3Settings(
  request: { name: string; url: string; options: Readonly<Record<string, unknown>> },
  context: S3SettingsContext = {},
): S3Settings {
  const options = request.options;
  const env = context.env ?? {};
  const { bucket, prefix } = parseS3Url(request.url, request.name);

  // Cloud-versioned remotes (DVC's version_aware/worktree) keep objects under their workspace
  // paths, not files/md5: refuse them rather than push to the wrong layout.
  for (const key of ['version_aware', 'worktree']) {
    if (optionBool(request, key, false)) {
      throw configError(
        request,
        `'${key}' remotes (cloud versioning) are not supported yet`,
        key,
        request.name
          ? `unset it with \`tvc remote modify --unset ${request.name} ${key}\``
          : `unset '${key}'`,
      );
    }
  }

  const endpoint = optionString(options, 'endpointurl');
  if (endpoint !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(endpoint);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw configError(
        request,
        `'endpointurl' must be an http(s) URL such as https://s3.example.com, not '${endpoint}'`,
        'endpointurl',
      );
    }
  }

  // Credentials: keys given in the config win; else the SDK's chain with the profile and the
  // files DVC passes through AWS_SHARED_CREDENTIALS_FILE/AWS_CONFIG_FILE (an already set
  // environment variable wins over the option, as DVC's os.environ.setdefault does).
  const accessKeyId = optionString(options, 'access_key_id');
  const secretAccessKey = optionString(options, 'secret_access_key');
  const sessionToken = optionString(options, 'session_token');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = accessKeyId === undefined ? 'access_key_id' : 'secret_access_key';
    throw configError(
      request,
      "'access_key_id' and 'secret_access_key' go together; only one of them is set",
      missing,
      request.name
        ? `set it with \`tvc remote modify --local ${request.name} ${missing} …\``
        : `set '${missing}' too`,
    );
  }
  let credentials: S3Credentials;
  if (optionBool(request, 'allow_anonymous_login', false) && accessKeyId === undefined) {
    credentials = { kind: 'anonymous' };
  } else if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    credentials = { kind: 'static', accessKeyId, secretAccessKey, sessionToken };
  } else {
    credentials = {
      kind: 'chain',
      profile: optionString(options, 'profile'),
      filepath: env.AWS_SHARED_CREDENTIALS_FILE || optionString(options, 'credentialpath'),
      configFilepath: env.AWS_CONFIG_FILE || optionString(options, 'configpath'),
    };
  }

  const region =
    optionString(options, 'region') ??
    (env.AWS_REGION || undefined) ??
    (env.AWS_DEFAULT_REGION || undefined) ??
    context.profileRegion ??
    'us-east-1';

  // ssl_verify: true/false, or the path of a CA bundle.
  let sslVerify: S3Settings['sslVerify'] = true;
  const rawVerify = options.ssl_verify;
  if (typeof rawVerify === 'boolean') sslVerify = rawVerify;
  else if (typeof rawVerify === 'string' && rawVerify !== '') {
    const lower = rawVerify.trim().toLowerCase();
    if (lower === 'true') sslVerify = true;
    else if (lower === 'false') sslVerify = false;
    else sslVerify = { caBundle: rawVerify };
  }

  // Encryption: SSE-S3/KMS (`sse`, `sse_kms_key_id`) or SSE-C (`sse_customer_key`, base64).
  const writeParams: S3WriteParams = {};
  const readParams: S3ReadParams = {};
  const sse = optionString(options, 'sse');
  const kmsKey = optionString(options, 'sse_kms_key_id');
  const customerKey = optionString(options, 'sse_customer_key');
  if (customerKey !== undefined && kmsKey !== undefined) {
    throw configError(
      request,
      "'sse_kms_key_id' and 'sse_customer_key' are mutually exclusive",
      'sse_customer_key',
      'keep one of them',
    );
  }
  if (sse !== undefined) writeParams.ServerSideEncryption = sse;
  if (kmsKey !== undefined) writeParams.SSEKMSKeyId = kmsKey;
  if (customerKey !== undefined) {
    const key = Buffer.from(customerKey, 'base64');
    if (key.length === 0) {
      throw configError(request, "'sse_customer_key' must be a base64-encoded key", 'sse_customer_key');
    }
    const algorithm = optionString(options, 'sse_customer_algorithm') ?? 'AES256';
    // The SDK takes a base64-encoded 256-bit key as it is and adds its MD5 itself.
    const raw = key.toString('base64');
    writeParams.SSECustomerAlgorithm = algorithm;
    writeParams.SSECustomerKey = raw;
    readParams.SSECustomerAlgorithm = algorithm;
    readParams.SSECustomerKey = raw;
  } else {
    const algorithm = optionString(options, 'sse_customer_algorithm');
    if (algorithm !== undefined) writeParams.SSECustomerAlgorithm = algorithm;
  }

  const acl = optionString(options, 'acl');
  if (acl !== undefined) writeParams.ACL = acl;
  for (const [option, param] of Object.entries(GRANTS)) {
    const grant = optionString(options, option);
    if (grant === undefined) continue;
    if (acl !== undefined) {
      throw configError(request, `'acl' and '${option}' are mutually exclusive`, option, 'keep one of them');
    }
    writeParams[param] = grant;
  }

  const connectTimeout = optionSeconds(request, 'connect_timeout') ?? DEFAULT_TIMEOUT_SECONDS;
  const readTimeout = optionSeconds(request, 'read_timeout') ?? DEFAULT_TIMEOUT_SECONDS;

  const section = context.profileS3;
  const addressing = section?.addressing_style?.toLowerCase();
  // boto's 'auto' sends path-style requests to a custom endpoint (moto, MinIO, Ceph answer those).
  const forcePathStyle = addressing === 'path' || (addressing !== 'virtual' && endpoint !== undefined);
  const multipartChunkSize = Math.max(
    MIN_PART_SIZE,
    profileSize(request, section, 'multipart_chunksize', DEFAULT_MULTIPART_CHUNKSIZE),
  );
  const multipartThreshold = profileSize(
    request,
    section,
    'multipart_threshold',
    DEFAULT_MULTIPART_THRESHOLD,
  );
  const concurrencyRaw = section?.max_concurrent_requests;
  const multipartConcurrency =
    concurrencyRaw && /^\s*\d+\s*$/.test(concurrencyRaw) && Number(concurrencyRaw) > 0
      ? Number(concurrencyRaw)
      : DEFAULT_MULTIPART_CONCURRENCY;

  return {
    name: request.name,
    url: `s3://${bucket}${prefix === '' ? '' : `/${prefix.slice(0, -1)}`}`,
    bucket,
    prefix,
    endpoint,
    region,
    forcePathStyle,
    useAccelerateEndpoint: section?.use_accelerate_endpoint?.toLowerCase() === 'true',
    tls: optionBool(request, 'use_ssl', true),
    credentials,
    sslVerify,
    connectTimeoutMs: connectTimeout * 1000,
    readTimeoutMs: readTimeout * 1000,
    listObjectsV1: optionBool(request, 'listobjects', false),
    multipartThreshold,
    multipartChunkSize,
    multipartConcurrency,
    writeParams,
    readParams,
  };
}

/** The part size of a multipart upload of `size` bytes: the chunk size, grown to stay within 10,000 parts. */
export function partSizeFor(size: number, chunkSize: number): number {
  return Math.max(chunkSize, MIN_PART_SIZE, Math.ceil(size / MAX_PARTS));
}
