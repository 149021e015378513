import { RemoteError } from '@tvc/remote';
import { describe, expect, it } from 'vitest';
import { classifyS3Error, s3ErrorCode, toRemoteError } from './errors';

/** An error shaped as the AWS SDK v3 throws them (name = the S3 error code, $metadata). */
function sdkError(name: string, status?: number, message = name): Error {
  const error = new Error(message) as Error & { $metadata: object; $fault: string };
  error.name = name;
  error.$metadata = { httpStatusCode: status };
  error.$fault = status !== undefined && status >= 500 ? 'server' : 'client';
  return error;
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
}

const context = {
  remote: 'store',
  action: 'read' as const,
  target: 's3://bucket/files/md5/ab/cd',
  bucket: 'bucket',
  endpoint: 'http://127.0.0.1:9000',
};

describe('classifyS3Error', () => {
  it.each([
    ['NoSuchKey', 404, 'NOT_FOUND'],
    ['NotFound', 404, 'NOT_FOUND'],
    ['NoSuchBucket', 404, 'NOT_FOUND'],
    ['InvalidAccessKeyId', 403, 'AUTH'],
    ['SignatureDoesNotMatch', 403, 'AUTH'],
    ['AccessDenied', 403, 'AUTH'],
    ['ExpiredToken', 400, 'AUTH'],
    ['Forbidden', 403, 'AUTH'],
    ['SlowDown', 503, 'THROTTLED'],
    ['ServiceUnavailable', 503, 'THROTTLED'],
    ['Unknown', 503, 'THROTTLED'],
    ['TooManyRequestsException', 429, 'THROTTLED'],
    ['InternalError', 500, 'NETWORK'],
    ['RequestTimeout', 400, 'NETWORK'],
    ['Unknown', 502, 'NETWORK'],
    ['PermanentRedirect', 301, 'CONFIG'],
    ['AuthorizationHeaderMalformed', 400, 'CONFIG'],
    ['AbortError', undefined, 'ABORTED'],
  ])('%s (HTTP %s) is %s', (name, status, expected) => {
    expect(classifyS3Error(sdkError(name, status))).toBe(expected);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'])(
    'a socket %s is NETWORK',
    (code) => {
      expect(classifyS3Error(socketError(code))).toBe('NETWORK');
    },
  );

  it('finds a socket code down the cause chain, and the SDK TimeoutError', () => {
    expect(classifyS3Error(new Error('wrapped', { cause: socketError('ECONNRESET') }))).toBe('NETWORK');
    expect(classifyS3Error(sdkError('TimeoutError'))).toBe('NETWORK');
    expect(s3ErrorCode(new Error('wrapped', { cause: socketError('ECONNRESET') }))).toBe('ECONNRESET');
  });

  it('takes a certificate problem for CONFIG, and no credentials at all for AUTH', () => {
    expect(classifyS3Error(socketError('SELF_SIGNED_CERT_IN_CHAIN'))).toBe('CONFIG');
    expect(classifyS3Error(sdkError('CredentialsProviderError'))).toBe('AUTH');
  });

  it('leaves anything else OTHER', () => {
    expect(classifyS3Error(new Error('boom'))).toBe('OTHER');
    expect(classifyS3Error('a string')).toBe('OTHER');
  });
});

describe('toRemoteError', () => {
  it('names the remote, the object and the S3 code; retryable only for network and throttling', () => {
    const auth = toRemoteError(sdkError('InvalidAccessKeyId', 403, 'The key does not exist'), context);
    expect(auth).toBeInstanceOf(RemoteError);
    expect(auth.code).toBe('AUTH');
    expect(auth.retryable).toBe(false);
    expect(auth.path).toBe(context.target);
    expect(auth.message).toBe(
      'access denied when reading (InvalidAccessKeyId: The key does not exist, HTTP 403)',
    );
    expect(auth.hint).toContain('tvc remote modify --local store access_key_id');

    const slow = toRemoteError(sdkError('SlowDown', 503), { ...context, action: 'write' });
    expect(slow.code).toBe('THROTTLED');
    expect(slow.retryable).toBe(true);
    expect(slow.message).toContain('when writing');

    const down = toRemoteError(socketError('ECONNREFUSED'), { ...context, action: 'list' });
    expect(down.code).toBe('NETWORK');
    expect(down.retryable).toBe(true);
    expect(down.hint).toContain('http://127.0.0.1:9000');
  });

  it('gives the HTTP status alone for a HEAD without an error body', () => {
    const head = toRemoteError(sdkError('Unknown', 403, 'Unknown'), { ...context, action: 'check' });
    expect(head.code).toBe('AUTH');
    expect(head.message).toBe('access denied when checking (HTTP 403)');
  });

  it('says which bucket is missing', () => {
    const error = toRemoteError(sdkError('NoSuchBucket', 404), context);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe("the bucket 'bucket' does not exist");
    expect(error.path).toBe('s3://bucket');
  });

  it('points a wrong region and a refused certificate at the option to change', () => {
    expect(toRemoteError(sdkError('PermanentRedirect', 301), context).hint).toContain('region');
    expect(toRemoteError(socketError('DEPTH_ZERO_SELF_SIGNED_CERT'), context).hint).toContain('ssl_verify');
  });

  it('tells the user where credentials come from when none were found', () => {
    const error = toRemoteError(
      sdkError('CredentialsProviderError', undefined, 'Could not load credentials'),
      {
        ...context,
        remote: '',
      },
    );
    expect(error.code).toBe('AUTH');
    expect(error.message).toBe(
      'access denied when reading (CredentialsProviderError: Could not load credentials)',
    );
    expect(error.hint).toContain('AWS_ACCESS_KEY_ID');
  });

  it('passes a RemoteError through unchanged', () => {
    const original = new RemoteError('CORRUPT', 'bad');
    expect(toRemoteError(original, context)).toBe(original);
  });
});
