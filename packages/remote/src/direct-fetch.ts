import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { type FileHandle, open, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { RemoteError } from './errors';

/**
 * Objects up to this size are read whole and hashed in memory (no stream, no second read to check
 * the hash: a third of the file-system calls of a download, a chmod and a re-read). Larger ones
 * are streamed through the hash.
 */
const WHOLE_READ_MAX = 4 * 2 ** 20;
/** Chunk size of the streamed copy of a large object. */
const STREAM_CHUNK = 2 ** 20;

/** The directories made so far (the cache's 256 prefix directories), so each is made once. */
export class DirectoryMaker {
  readonly #made = new Set<string>();

  make(directory: string): void {
    if (this.#made.has(directory)) return;
    mkdirSync(directory, { recursive: true });
    this.#made.add(directory);
  }
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** A filesystem error reading the remote's file as the RemoteError a storage would throw. */
function readError(error: unknown, source: string, key: string): RemoteError {
  if (error instanceof RemoteError) return error;
  const code = errnoCode(error);
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new RemoteError('NOT_FOUND', `'${source}' does not exist`, { path: key, cause: error });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new RemoteError('AUTH', `permission denied while reading '${source}'`, {
      path: key,
      hint: 'check the permissions of the remote directory',
      cause: error,
    });
  }
  const retryable =
    code === 'EMFILE' || code === 'ENFILE' || code === 'EBUSY' || code === 'EAGAIN' || code === 'EIO';
  return new RemoteError(
    'OTHER',
    `reading '${source}' failed: ${(error as Error)?.message ?? String(error)}`,
    {
      path: key,
      retryable,
      cause: error,
    },
  );
}

/**
 * Copies the remote's file `source` (the object `key`) to `temporary` (created read-only, never
 * overwriting) and returns the MD5 of what was written, reading the source once: whole when small,
 * streamed through the hash when large. `temporary`'s directory must exist. Reports the bytes.
 */
export async function copyHashing(
  source: string,
  key: string,
  temporary: string,
  onBytes: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(source, 'r');
  } catch (error) {
    throw readError(error, source, key);
  }
  let data: Buffer | undefined;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    if (stats.size <= WHOLE_READ_MAX) data = await handle.readFile();
  } catch (error) {
    await handle.close();
    throw readError(error, source, key);
  }
  if (data) {
    await handle.close();
    await writeFile(temporary, data, { flag: 'wx', mode: 0o444 });
    onBytes(data.length);
    return createHash('md5').update(data).digest('hex');
  }
  // large: one streamed pass, hashed on the way (the read stream owns and closes fd)
  const hash = createHash('md5');
  try {
    await pipeline(
      handle.createReadStream({ highWaterMark: STREAM_CHUNK, signal }),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          onBytes(chunk.length);
          yield chunk;
        }
      },
      createWriteStream(temporary, { flags: 'wx', mode: 0o444, highWaterMark: STREAM_CHUNK }),
    );
  } catch (error) {
    throw readError(error, source, key);
  }
  return hash.digest('hex');
}
