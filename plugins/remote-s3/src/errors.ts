import { RemoteError, type RemoteErrorCode } from '@tvc/remote';

/** What was being done when an S3 call failed, for the message. */
export interface S3ErrorContext {
  /** the remote's name in the config (`''` for a URL given directly) */
  readonly remote: string;
  /** `read`, `write`, `list`, `check`, `remove` */
  readonly action: 'read' | 'write' | 'list' | 'check' | 'remove';
  /** the object's or prefix's URL (`s3://bucket/files/md5/ab/…`) */
  readonly target: string;
  readonly bucket: string;
  /** the endpoint, when a custom one is configured */
  readonly endpoint?: string | undefined;
}

const AUTH_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'AllAccessDisabled',
  'AccountProblem',
  'CredentialsProviderError',
  'ExpiredTokenException',
]);

const THROTTLE_CODES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'TransactionInProgressException',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
]);

/** Server-side failures and timeouts a retry may cure. */
const TRANSIENT_CODES = new Set([
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'RequestTimeTooSkewed',
  'TimeoutError',
  'IncompleteBody',
  'BadDigest',
  'XAmzContentSHA256Mismatch',
]);

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

const CONFIG_CODES = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
  'InvalidBucketName',
  'InvalidArgument',
  'InvalidRequest',
  'InvalidEncryptionAlgorithmError',
  'KMS.NotFoundException',
  'NotImplemented',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  errno?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $fault?: unknown;
  $retryable?: unknown;
}

function shape(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
}

/** The error's code: the S3 error code, else a Node socket code, looked for down the cause chain. */
export function s3ErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const e = shape(current);
    for (const candidate of [e.Code, e.code]) {
      if (typeof candidate === 'string' && candidate !== '') return candidate;
    }
    if (
      typeof e.name === 'string' &&
      e.name !== 'Error' &&
      e.name !== 'TypeError' &&
      e.name !== 'S3ServiceException'
    ) {
      return e.name;
    }
    current = e.cause;
  }
  return undefined;
}

function httpStatus(error: unknown): number | undefined {
  const status = shape(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Which RemoteError code an S3 SDK (or socket) error is. */
export function classifyS3Error(error: unknown): RemoteErrorCode {
  const code = s3ErrorCode(error);
  const status = httpStatus(error);
  const e = shape(error);
  if (code === 'AbortError' || code === 'ABORT_ERR' || code === 'RequestAbortedError') return 'ABORTED';
  if (code === 'NoSuchKey' || code === 'NoSuchBucket' || code === 'NotFound' || code === 'NoSuchUpload')
    return 'NOT_FOUND';
  if (code !== undefined && AUTH_CODES.has(code)) return 'AUTH';
  if (code !== undefined && THROTTLE_CODES.has(code)) return 'THROTTLED';
  if (code !== undefined && (SOCKET_CODES.has(code) || TRANSIENT_CODES.has(code))) return 'NETWORK';
  if (code !== undefined && (TLS_CODES.has(code) || CONFIG_CODES.has(code))) return 'CONFIG';
  if (status === 404) return 'NOT_FOUND';
  if (status === 401 || status === 403) return 'AUTH';
  if (status === 429 || status === 503) return 'THROTTLED';
  if (status !== undefined && status >= 500) return 'NETWORK';
  if (status === 301 || status === 307 || status === 400) return 'CONFIG';
  if (e.$retryable || (typeof e.message === 'string' && /socket hang up|timed? ?out/i.test(e.message)))
    return 'NETWORK';
  return 'OTHER';
}

const ACTIONS: Readonly<Record<S3ErrorContext['action'], string>> = {
  read: 'reading',
  write: 'writing',
  list: 'listing',
  check: 'checking',
  remove: 'removing',
};

/** Turns an S3 SDK error into a RemoteError with a stable code, the object concerned and a hint. */
export function toRemoteError(error: unknown, context: S3ErrorContext): RemoteError {
  if (error instanceof RemoteError) return error;
  const kind = classifyS3Error(error);
  const code = s3ErrorCode(error);
  const status = httpStatus(error);
  const rawMessage = shape(error).message;
  const message = typeof rawMessage === 'string' ? rawMessage : undefined;
  // Node's socket messages already start with their code (`connect ECONNREFUSED 127.0.0.1:9`).
  const detail = [code && message?.includes(code) ? undefined : code, message !== code ? message : undefined]
    .filter((part): part is string => !!part && part !== 'UnknownError' && part !== 'Unknown')
    .join(': ');
  // A HEAD's error has no body (no S3 code): the HTTP status says what there is.
  const statusText = status && !detail.includes(String(status)) ? `HTTP ${status}` : '';
  const suffix = detail || statusText ? ` (${[detail, statusText].filter(Boolean).join(', ')})` : '';
  // The message says what failed; the object is the error's `path`, and the caller prefixes
  // the remote's name (`remote 'NAME': …`).
  const when = ` when ${ACTIONS[context.action]}`;
  const modify = context.remote ? `tvc remote modify --local ${context.remote}` : 'the remote options';
  switch (kind) {
    case 'NOT_FOUND':
      if (code === 'NoSuchBucket') {
        return new RemoteError('NOT_FOUND', `the bucket '${context.bucket}' does not exist`, {
          path: `s3://${context.bucket}`,
          hint: `create the bucket, or point the remote's url at an existing one${context.endpoint ? ` (endpoint ${context.endpoint})` : ''}`,
          cause: error,
        });
      }
      return new RemoteError('NOT_FOUND', 'no such object', { path: context.target, cause: error });
    case 'AUTH':
      return new RemoteError('AUTH', `access denied${when}${suffix}`, {
        path: context.target,
        hint:
          code === 'CredentialsProviderError'
            ? `no AWS credentials were found: set them with \`${modify} access_key_id …\` and \`secret_access_key …\`, a 'profile', or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`
            : `check the remote's credentials (\`${modify} access_key_id …\`, 'profile', 'credentialpath') and that they may access the bucket '${context.bucket}'`,
        cause: error,
      });
    case 'THROTTLED':
      return new RemoteError('THROTTLED', `the server asked to slow down${when}${suffix}`, {
        path: context.target,
        hint: 'retry later, or with fewer jobs (-j)',
        cause: error,
      });
    case 'NETWORK':
      return new RemoteError('NETWORK', `network error${when}${suffix}`, {
        path: context.target,
        hint: context.endpoint
          ? `check that the endpoint ${context.endpoint} is up and reachable ('endpointurl')`
          : "check the network connection and the remote's region",
        cause: error,
      });
    case 'CONFIG': {
      const tls = code !== undefined && TLS_CODES.has(code);
      return new RemoteError('CONFIG', `the server refused the request${when}${suffix}`, {
        path: context.target,
        hint: tls
          ? `the server's certificate was not accepted: give a CA bundle with \`${modify} ssl_verify /path/ca.pem\`, or check 'endpointurl'`
          : code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed'
            ? `the bucket is in another region: set it with \`${modify} region …\``
            : "check the remote's options (endpointurl, region, sse, acl)",
        cause: error,
      });
    }
    case 'ABORTED':
      return new RemoteError('ABORTED', `interrupted${when}`, { path: context.target, cause: error });
    default:
      return new RemoteError('OTHER', `failed${when}${suffix}`, {
        path: context.target,
        cause: error,
      });
  }
}
