import { RemoteError } from '@tvc/remote';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MULTIPART_CHUNKSIZE,
  DEFAULT_MULTIPART_THRESHOLD,
  MIN_PART_SIZE,
  parseHumanSize,
  parseS3Url,
  partSizeFor,
  s3Settings,
} from './options';

function settings(options: Record<string, unknown>, context: Parameters<typeof s3Settings>[1] = {}) {
  const url = typeof options.url === 'string' ? options.url : 's3://bucket/path';
  return s3Settings({ name: 'store', url, options: { url, ...options } }, { env: {}, ...context });
}

function configError(fn: () => unknown): RemoteError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RemoteError) return error;
    throw error;
  }
  throw new Error('expected a RemoteError');
}

describe('parseS3Url', () => {
  it('splits bucket and prefix, normalising slashes', () => {
    expect(parseS3Url('s3://bucket')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(parseS3Url('s3://bucket/')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(parseS3Url('s3://bucket/a/b')).toEqual({ bucket: 'bucket', prefix: 'a/b/' });
    expect(parseS3Url('s3://bucket//a//b/')).toEqual({ bucket: 'bucket', prefix: 'a/b/' });
    expect(parseS3Url('S3://Bucket.x/p')).toEqual({ bucket: 'Bucket.x', prefix: 'p/' });
  });

  it('refuses a URL without a bucket as CONFIG', () => {
    const error = configError(() => parseS3Url('s3:///path', 'store'));
    expect(error.code).toBe('CONFIG');
    expect(error.hint).toContain('tvc remote modify store url');
    expect(configError(() => parseS3Url('http://bucket/x')).code).toBe('CONFIG');
  });
});

describe('s3Settings', () => {
  it('has DVC/boto defaults', () => {
    const s = settings({});
    expect(s.url).toBe('s3://bucket/path');
    expect(s.bucket).toBe('bucket');
    expect(s.prefix).toBe('path/');
    expect(s.region).toBe('us-east-1');
    expect(s.endpoint).toBeUndefined();
    expect(s.forcePathStyle).toBe(false);
    expect(s.tls).toBe(true);
    expect(s.sslVerify).toBe(true);
    expect(s.listObjectsV1).toBe(false);
    expect(s.connectTimeoutMs).toBe(60_000);
    expect(s.readTimeoutMs).toBe(60_000);
    expect(s.multipartThreshold).toBe(DEFAULT_MULTIPART_THRESHOLD);
    expect(s.multipartChunkSize).toBe(DEFAULT_MULTIPART_CHUNKSIZE);
    expect(s.credentials).toEqual({ kind: 'chain' });
    expect(s.writeParams).toEqual({});
    expect(s.readParams).toEqual({});
  });

  it('maps endpointurl, region, timeouts, use_ssl and listobjects (config strings and booleans)', () => {
    const s = settings({
      endpointurl: 'http://127.0.0.1:9000',
      region: 'eu-west-3',
      read_timeout: '5',
      connect_timeout: 7,
      use_ssl: 'False',
      listobjects: true,
    });
    expect(s.endpoint).toBe('http://127.0.0.1:9000');
    expect(s.forcePathStyle).toBe(true);
    expect(s.region).toBe('eu-west-3');
    expect(s.readTimeoutMs).toBe(5000);
    expect(s.connectTimeoutMs).toBe(7000);
    expect(s.tls).toBe(false);
    expect(s.listObjectsV1).toBe(true);
  });

  it('takes the region from the environment, then the profile, then us-east-1', () => {
    expect(settings({}, { env: { AWS_DEFAULT_REGION: 'ca-central-1' }, profileRegion: 'x' }).region).toBe(
      'ca-central-1',
    );
    expect(settings({}, { env: { AWS_REGION: 'sa-east-1', AWS_DEFAULT_REGION: 'y' } }).region).toBe(
      'sa-east-1',
    );
    expect(settings({}, { profileRegion: 'ap-south-1' }).region).toBe('ap-south-1');
    expect(settings({ region: 'eu-north-1' }, { env: { AWS_REGION: 'sa-east-1' } }).region).toBe(
      'eu-north-1',
    );
  });

  it('picks static keys, a profile with its files, or anonymous access', () => {
    expect(
      settings({ access_key_id: 'AK', secret_access_key: 'SK', session_token: 'T' }).credentials,
    ).toEqual({
      kind: 'static',
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      sessionToken: 'T',
    });
    expect(
      settings({ profile: 'dev', credentialpath: '/c/credentials', configpath: '/c/config' }).credentials,
    ).toEqual({ kind: 'chain', profile: 'dev', filepath: '/c/credentials', configFilepath: '/c/config' });
    // An environment variable already set wins over the option, as DVC's os.environ.setdefault.
    expect(
      settings({ credentialpath: '/c/credentials' }, { env: { AWS_SHARED_CREDENTIALS_FILE: '/env/creds' } })
        .credentials,
    ).toMatchObject({ kind: 'chain', filepath: '/env/creds' });
    expect(settings({ allow_anonymous_login: 'true' }).credentials).toEqual({ kind: 'anonymous' });
  });

  it('refuses half a key pair', () => {
    const error = configError(() => settings({ access_key_id: 'AK' }));
    expect(error.code).toBe('CONFIG');
    expect(error.path).toBe('secret_access_key');
    expect(error.hint).toBe('set it with `tvc remote modify --local store secret_access_key …`');
  });

  it('maps ssl_verify: booleans, strings, a CA bundle path', () => {
    expect(settings({ ssl_verify: 'false' }).sslVerify).toBe(false);
    expect(settings({ ssl_verify: false }).sslVerify).toBe(false);
    expect(settings({ ssl_verify: 'True' }).sslVerify).toBe(true);
    expect(settings({ ssl_verify: '/etc/ssl/ca.pem' }).sslVerify).toEqual({ caBundle: '/etc/ssl/ca.pem' });
  });

  it('maps sse, sse_kms_key_id, acl and grants onto every write', () => {
    expect(
      settings({ sse: 'aws:kms', sse_kms_key_id: 'key-1', acl: 'bucket-owner-full-control' }).writeParams,
    ).toEqual({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-1', ACL: 'bucket-owner-full-control' });
    expect(
      settings({
        grant_read: 'id=r',
        grant_read_acp: 'id=ra',
        grant_write_acp: 'id=wa',
        grant_full_control: 'id=f',
      }).writeParams,
    ).toEqual({ GrantRead: 'id=r', GrantReadACP: 'id=ra', GrantWriteACP: 'id=wa', GrantFullControl: 'id=f' });
  });

  it('sends an SSE-C key on reads and writes, AES256 by default', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const s = settings({ sse_customer_key: key });
    expect(s.writeParams).toEqual({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key });
    expect(s.readParams).toEqual({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: key });
  });

  it('refuses the combinations DVC refuses', () => {
    const acl = configError(() => settings({ acl: 'private', grant_read: 'id=x' }));
    expect(acl.code).toBe('CONFIG');
    expect(acl.message).toBe("'acl' and 'grant_read' are mutually exclusive");
    const sse = configError(() => settings({ sse_kms_key_id: 'k', sse_customer_key: 'AAAA' }));
    expect(sse.message).toContain("'sse_kms_key_id' and 'sse_customer_key' are mutually exclusive");
  });

  it('refuses cloud-versioned remotes (version_aware, worktree) instead of using the wrong layout', () => {
    const error = configError(() => settings({ version_aware: 'true' }));
    expect(error.code).toBe('CONFIG');
    expect(error.path).toBe('version_aware');
    expect(error.hint).toBe('unset it with `tvc remote modify --unset store version_aware`');
    expect(configError(() => settings({ worktree: true })).path).toBe('worktree');
    expect(settings({ version_aware: 'false', worktree: 'false' }).bucket).toBe('bucket');
  });

  it('refuses bad values with the key and a fix', () => {
    expect(configError(() => settings({ endpointurl: 'localhost:9000' })).path).toBe('endpointurl');
    expect(configError(() => settings({ use_ssl: 'maybe' })).message).toContain(
      "'use_ssl' must be true or false",
    );
    expect(configError(() => settings({ read_timeout: 'soon' })).path).toBe('read_timeout');
  });

  it("reads the AWS config file's s3 section: addressing style, multipart sizes, concurrency", () => {
    const s = settings(
      { endpointurl: 'https://s3.example.com' },
      {
        profileS3: {
          addressing_style: 'virtual',
          multipart_threshold: '64MB',
          multipart_chunksize: '16MiB',
          max_concurrent_requests: '10',
          use_accelerate_endpoint: 'true',
        },
      },
    );
    expect(s.forcePathStyle).toBe(false);
    expect(s.multipartThreshold).toBe(64 * 1024 * 1024);
    expect(s.multipartChunkSize).toBe(16 * 1024 * 1024);
    expect(s.multipartConcurrency).toBe(10);
    expect(s.useAccelerateEndpoint).toBe(true);
    expect(settings({}, { profileS3: { addressing_style: 'path' } }).forcePathStyle).toBe(true);
    // Parts are never smaller than S3 allows.
    expect(settings({}, { profileS3: { multipart_chunksize: '1MB' } }).multipartChunkSize).toBe(
      MIN_PART_SIZE,
    );
    expect(configError(() => settings({}, { profileS3: { multipart_threshold: 'big' } })).code).toBe(
      'CONFIG',
    );
  });
});

describe('sizes', () => {
  it('reads the AWS CLI size syntax', () => {
    expect(parseHumanSize('1048576')).toBe(1048576);
    expect(parseHumanSize('8MB')).toBe(8 * 1024 * 1024);
    expect(parseHumanSize('24MiB')).toBe(24 * 1024 * 1024);
    expect(parseHumanSize('1gb')).toBe(1024 ** 3);
    expect(parseHumanSize('8 XB')).toBeUndefined();
  });

  it('grows the part size to stay within 10,000 parts', () => {
    expect(partSizeFor(100 * 1024 * 1024, 8 * 1024 * 1024)).toBe(8 * 1024 * 1024);
    const huge = 200 * 1024 ** 3;
    const part = partSizeFor(huge, 8 * 1024 * 1024);
    expect(Math.ceil(huge / part)).toBeLessThanOrEqual(10_000);
  });
});
