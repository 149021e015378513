import { readFile, writeFile } from 'node:fs/promises';
import { REMOTE_STORAGE_SPECIFICATION_VERSION, type RemoteStorage, type TransferOptions } from './contract';
import { RemoteError } from './errors';

/**
 * A remote kept in memory, for tests of the engine and of plugins' callers. `calls` counts each
 * method's uses; `failures` makes the next calls of a method on a key fail (a flaky network).
 */
export class MemoryStorage implements RemoteStorage {
  readonly specificationVersion = REMOTE_STORAGE_SPECIFICATION_VERSION;
  readonly kind: string;
  readonly url: string;
  readonly canList: boolean;
  readonly objects = new Map<string, Buffer>();
  readonly calls = { list: 0, exists: 0, upload: 0, download: 0, remove: 0 };
  /** `method key` → errors to throw, first first (`upload files/md5/ab/…`). */
  readonly failures = new Map<string, RemoteError[]>();
  /** Every upload started, in order. */
  readonly uploads: string[] = [];

  constructor(options: { kind?: string; url?: string; canList?: boolean } = {}) {
    this.kind = options.kind ?? 'memory';
    this.url = options.url ?? 'memory://';
    this.canList = options.canList ?? true;
  }

  /** Makes the next `times` calls of `method` on `key` fail with `error`. */
  failNext(method: string, key: string, error: RemoteError, times = 1): void {
    const list = this.failures.get(`${method} ${key}`) ?? [];
    for (let index = 0; index < times; index++) list.push(error);
    this.failures.set(`${method} ${key}`, list);
  }

  #fail(method: string, key: string): void {
    const error = this.failures.get(`${method} ${key}`)?.shift();
    if (error) throw error;
  }

  async *list(prefix: string): AsyncIterable<string> {
    this.calls.list++;
    this.#fail('list', prefix);
    for (const key of [...this.objects.keys()]) if (key.startsWith(prefix)) yield key;
  }

  async exists(key: string): Promise<boolean> {
    this.calls.exists++;
    this.#fail('exists', key);
    return this.objects.has(key);
  }

  async upload(localPath: string, key: string, options?: TransferOptions): Promise<void> {
    this.calls.upload++;
    this.uploads.push(key);
    const bytes = await readFile(localPath);
    await Promise.resolve();
    this.#fail('upload', key);
    options?.onProgress?.(bytes.length);
    this.objects.set(key, bytes);
  }

  async download(key: string, localPath: string, options?: TransferOptions): Promise<void> {
    this.calls.download++;
    this.#fail('download', key);
    const bytes = this.objects.get(key);
    if (!bytes) throw new RemoteError('NOT_FOUND', `'${key}' is not on the remote`, { path: key });
    await writeFile(localPath, bytes);
    options?.onProgress?.(bytes.length);
  }

  async remove(key: string): Promise<void> {
    this.calls.remove++;
    this.objects.delete(key);
  }

  async close(): Promise<void> {}
}
