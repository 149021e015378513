import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Upload } from '@aws-sdk/lib-storage';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import {
  byteCounter,
  REMOTE_STORAGE_SPECIFICATION_VERSION,
  RemoteError,
  type RemoteStorage,
  type RemoteStorageRequest,
  type TransferOptions,
} from '@tvc/remote';
import { classifyS3Error, type S3ErrorContext, toRemoteError } from './errors';
import { type AwsS3ProfileSection, partSizeFor, type S3Settings, s3Settings } from './options';

/** Reads the profile's `region` and `s3` sub-section from the AWS config file (missing file: none). */
async function loadProfile(
  request: RemoteStorageRequest,
): Promise<{ region?: string | undefined; s3?: AwsS3ProfileSection | undefined }> {
  const env = process.env;
  const configpath = typeof request.options.configpath === 'string' ? request.options.configpath : undefined;
  const credentialpath =
    typeof request.options.credentialpath === 'string' ? request.options.credentialpath : undefined;
  const profileName =
    (typeof request.options.profile === 'string' && request.options.profile) || env.AWS_PROFILE || 'default';
  try {
    const files = await loadSharedConfigFiles({
      ...((env.AWS_CONFIG_FILE || configpath) && { configFilepath: env.AWS_CONFIG_FILE || configpath }),
      ...((env.AWS_SHARED_CREDENTIALS_FILE || credentialpath) && {
        filepath: env.AWS_SHARED_CREDENTIALS_FILE || credentialpath,
      }),
    });
    const profile = files.configFile?.[profileName] ?? {};
    const s3: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(profile)) {
      if (key.startsWith('s3.')) s3[key.slice(3)] = value;
    }
    return { region: profile.region, s3 };
  } catch {
    return {};
  }
}

/** Builds the S3 client for the settings. Exported for tests. */
export async function createS3Client(settings: S3Settings): Promise<S3Client> {
  // tvc supports Node 20, on which the SDK prints a multi-line NodeVersionSupportWarning to the
  // user's terminal on the first request; the user can still ask for it by setting the variable.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const agentOptions = { keepAlive: true, maxSockets: 256 };
  let httpsAgent: HttpsAgent;
  if (settings.sslVerify === false) {
    httpsAgent = new HttpsAgent({ ...agentOptions, rejectUnauthorized: false });
  } else if (typeof settings.sslVerify === 'object') {
    let ca: Buffer;
    try {
      ca = await readFile(settings.sslVerify.caBundle);
    } catch (error) {
      throw new RemoteError(
        'CONFIG',
        `cannot read the CA bundle ${settings.sslVerify.caBundle} ('ssl_verify')`,
        {
          path: settings.sslVerify.caBundle,
          hint: "'ssl_verify' is true, false, or the path of a PEM file of CA certificates",
          cause: error,
        },
      );
    }
    httpsAgent = new HttpsAgent({ ...agentOptions, ca });
  } else {
    httpsAgent = new HttpsAgent(agentOptions);
  }
  const config: S3ClientConfig = {
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    useAccelerateEndpoint: settings.useAccelerateEndpoint,
    tls: settings.tls,
    // S3-compatible servers (moto, MinIO, Ceph, …) do not all take the SDK's newer default
    // checksums; DVC checks every object's md5 itself.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: settings.connectTimeoutMs,
      socketTimeout: settings.readTimeoutMs,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent,
    }),
  };
  if (settings.endpoint !== undefined) config.endpoint = settings.endpoint;
  const credentials = settings.credentials;
  if (credentials.kind === 'static') {
    config.credentials = {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken !== undefined && { sessionToken: credentials.sessionToken }),
    };
  } else if (credentials.kind === 'chain') {
    config.credentials = fromNodeProviderChain({
      ...(credentials.profile !== undefined && { profile: credentials.profile }),
      ...(credentials.filepath !== undefined && { filepath: credentials.filepath }),
      ...(credentials.configFilepath !== undefined && { configFilepath: credentials.configFilepath }),
    });
  } else {
    // Anonymous: requests go out unsigned.
    config.signer = { sign: async (request) => request };
    config.credentials = { accessKeyId: '', secretAccessKey: '' };
  }
  return new S3Client(config);
}

/** A `RemoteStorage` on one S3 bucket and prefix. */
export class S3Storage implements RemoteStorage {
  readonly specificationVersion = REMOTE_STORAGE_SPECIFICATION_VERSION;
  readonly kind = 's3';
  readonly canList = true;
  readonly url: string;
  readonly settings: S3Settings;
  readonly #client: S3Client;
  #bucketChecked: Promise<void> | undefined;

  constructor(settings: S3Settings, client: S3Client) {
    this.settings = settings;
    this.url = settings.url;
    this.#client = client;
  }

  #key(key: string): string {
    return this.settings.prefix + key.replace(/^\/+/, '');
  }

  #target(key: string): string {
    return `s3://${this.settings.bucket}/${this.#key(key)}`;
  }

  #error(error: unknown, action: S3ErrorContext['action'], key: string): RemoteError {
    return toRemoteError(error, {
      remote: this.settings.name,
      action,
      target: this.#target(key),
      bucket: this.settings.bucket,
      endpoint: this.settings.endpoint,
    });
  }

  /**
   * A HEAD that answers 404 does not tell a missing object from a missing bucket; the first such
   * answer checks the bucket once, so that a wrong bucket is an error and not "nothing pushed".
   */
  #checkBucket(signal?: AbortSignal): Promise<void> {
    this.#bucketChecked ??= this.#client
      .send(new HeadBucketCommand({ Bucket: this.settings.bucket }), { abortSignal: signal })
      .then(
        () => undefined,
        (error: unknown) => {
          const kind = classifyS3Error(error);
          if (kind === 'NOT_FOUND') {
            throw this.#error(Object.assign(error as object, { Code: 'NoSuchBucket' }), 'check', '');
          }
          // Only a missing bucket matters here: credentials allowed to read objects but not to
          // HEAD the bucket (no s3:ListBucket) still read a missing object as missing.
          if (kind === 'NETWORK' || kind === 'THROTTLED' || kind === 'ABORTED') {
            this.#bucketChecked = undefined;
            throw this.#error(error, 'check', '');
          }
        },
      );
    return this.#bucketChecked;
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<string> {
    const fullPrefix = this.#key(prefix);
    const strip = this.settings.prefix.length;
    let token: string | undefined;
    let marker: string | undefined;
    for (;;) {
      let keys: string[];
      let more: boolean;
      try {
        if (this.settings.listObjectsV1) {
          const page = await this.#client.send(
            new ListObjectsCommand({ Bucket: this.settings.bucket, Prefix: fullPrefix, Marker: marker }),
            { abortSignal: signal },
          );
          keys = (page.Contents ?? []).map((object) => object.Key ?? '').filter((key) => key !== '');
          more = page.IsTruncated === true && keys.length > 0;
          marker = page.NextMarker ?? keys.at(-1);
        } else {
          const page = await this.#client.send(
            new ListObjectsV2Command({
              Bucket: this.settings.bucket,
              Prefix: fullPrefix,
              ContinuationToken: token,
            }),
            { abortSignal: signal },
          );
          keys = (page.Contents ?? []).map((object) => object.Key ?? '').filter((key) => key !== '');
          token = page.NextContinuationToken;
          more = page.IsTruncated === true && token !== undefined;
        }
      } catch (error) {
        throw this.#error(error, 'list', prefix);
      }
      for (const key of keys) {
        // A "directory marker" (a key ending in /) is no object.
        if (!key.endsWith('/')) yield key.slice(strip);
      }
      if (!more) return;
    }
  }

  async exists(key: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#client.send(
        new HeadObjectCommand({
          Bucket: this.settings.bucket,
          Key: this.#key(key),
          ...this.settings.readParams,
        }),
        { abortSignal: signal },
      );
      return true;
    } catch (error) {
      if (classifyS3Error(error) === 'NOT_FOUND') {
        await this.#checkBucket(signal);
        return false;
      }
      throw this.#error(error, 'check', key);
    }
  }

  async upload(localPath: string, key: string, options: TransferOptions = {}): Promise<void> {
    let size = options.size;
    if (size === undefined) {
      try {
        size = (await stat(localPath)).size;
      } catch (error) {
        throw new RemoteError('OTHER', `cannot read ${localPath}`, { path: localPath, cause: error });
      }
    }
    const params = { Bucket: this.settings.bucket, Key: this.#key(key), ...this.settings.writeParams };
    const { signal, onProgress } = options;
    try {
      if (size < this.settings.multipartThreshold) {
        // One PutObject: S3 stores it whole or not at all.
        const counter = onProgress ? byteCounter(onProgress) : undefined;
        const file = createReadStream(localPath);
        const body = counter ? file.pipe(counter) : file;
        if (counter) file.on('error', (error) => counter.destroy(error));
        await this.#client.send(
          new PutObjectCommand({ ...(params as PutObjectParams), Body: body, ContentLength: size }),
          { abortSignal: signal },
        );
        return;
      }
      // Multipart: the object appears only when CompleteMultipartUpload succeeds; a failed or
      // aborted upload is aborted on the server (its parts removed).
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      const body = createReadStream(localPath);
      let upload: Upload | undefined;
      try {
        upload = new Upload({
          client: this.#client,
          params: { ...(params as PutObjectParams), Body: body },
          partSize: partSizeFor(size, this.settings.multipartChunkSize),
          queueSize: this.settings.multipartConcurrency,
          leavePartsOnError: false,
          abortController: controller,
        });
        if (onProgress) {
          let reported = 0;
          upload.on('httpUploadProgress', (progress) => {
            const loaded = progress.loaded ?? 0;
            if (loaded > reported) {
              onProgress(loaded - reported);
              reported = loaded;
            }
          });
        }
        await upload.done();
      } catch (error) {
        // lib-storage rejects at once on abort but aborts the multipart upload on the server only
        // later, in the background: abort it here, so that no parts are left once this rejects.
        await this.#abortMultipart(upload, params.Key);
        throw error;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        body.destroy();
      }
    } catch (error) {
      if (signal?.aborted)
        throw new RemoteError('ABORTED', 'upload interrupted', {
          path: this.#target(key),
          cause: error,
        });
      throw this.#error(error, 'write', key);
    }
  }

  async #abortMultipart(upload: Upload | undefined, key: string): Promise<void> {
    const uploadId = (upload as { uploadId?: unknown } | undefined)?.uploadId;
    if (typeof uploadId !== 'string') return;
    try {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key: key, UploadId: uploadId }),
      );
    } catch {
      // Already aborted by lib-storage (NoSuchUpload), or the server is gone: the upload was
      // never completed, so no object appeared either way.
    }
  }

  async download(key: string, localPath: string, options: TransferOptions = {}): Promise<void> {
    const { signal, onProgress } = options;
    let body: NodeJS.ReadableStream;
    try {
      const response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.settings.bucket,
          Key: this.#key(key),
          ...this.settings.readParams,
        }),
        { abortSignal: signal },
      );
      if (!response.Body)
        throw new RemoteError('OTHER', 'the server sent no body', { path: this.#target(key) });
      body = response.Body as NodeJS.ReadableStream;
    } catch (error) {
      throw this.#error(error, 'read', key);
    }
    const counter = onProgress ? byteCounter(onProgress) : undefined;
    try {
      const streams: (NodeJS.ReadableStream | NodeJS.WritableStream)[] = [body];
      if (counter) streams.push(counter);
      streams.push(createWriteStream(localPath));
      await pipeline(streams, { signal });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && ['ENOENT', 'EACCES', 'ENOSPC', 'EROFS', 'EISDIR'].includes(code)) {
        throw new RemoteError('OTHER', `cannot write ${localPath} (${code})`, {
          path: localPath,
          cause: error,
        });
      }
      throw this.#error(error, 'read', key);
    }
  }

  async remove(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#client.send(
        new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.#key(key) }),
        {
          abortSignal: signal,
        },
      );
    } catch (error) {
      if (classifyS3Error(error) === 'NOT_FOUND' && (error as { name?: unknown }).name !== 'NoSuchBucket')
        return;
      throw this.#error(error, 'remove', key);
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}

type PutObjectParams = ConstructorParameters<typeof PutObjectCommand>[0];

/** Opens the S3 storage a remote request names (the plugin calls this after a lazy import). */
export async function openS3Storage(request: RemoteStorageRequest): Promise<S3Storage> {
  const profile = await loadProfile(request);
  const settings = s3Settings(request, {
    profileRegion: profile.region,
    profileS3: profile.s3,
    env: process.env,
  });
  return new S3Storage(settings, await createS3Client(settings));
}
