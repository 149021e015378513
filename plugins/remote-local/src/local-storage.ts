import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOOK_STAGE, type Tvc } from '@tvc/core';
import {
  REMOTE_STORAGE_SPECIFICATION_VERSION,
  RemoteError,
  type RemoteStorage,
  type RemoteStorageRequest,
  type TransferOptions,
} from '@tvc/remote';

/** A temporary name an upload writes before its rename (never listed as an object). */
const TEMPORARY = /^\..+\.\d+-[0-9a-f]{12}\.tmp$/;

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** A filesystem error as a RemoteError naming `where`. */
function remoteError(error: unknown, where: string, doing: string): RemoteError {
  if (error instanceof RemoteError) return error;
  const code = errnoCode(error);
  const reason = (error as Error)?.message ?? String(error);
  if (code === 'ENOENT')
    return new RemoteError('NOT_FOUND', `'${where}' does not exist`, { path: where, cause: error });
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new RemoteError(
      'CONFIG',
      `'${where}' cannot be created: a file is in the way of the remote's directories`,
      {
        path: where,
        hint: "point the remote's url at a directory (`tvc remote modify NAME url DIR`)",
        cause: error,
      },
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new RemoteError('AUTH', `permission denied while ${doing} '${where}'`, {
      path: where,
      hint: 'check the permissions of the remote directory',
      cause: error,
    });
  }
  // a busy or exhausted system may recover: worth a retry
  const retryable =
    code === 'EMFILE' || code === 'ENFILE' || code === 'EBUSY' || code === 'EAGAIN' || code === 'EIO';
  return new RemoteError('OTHER', `${doing} '${where}' failed: ${reason}`, {
    path: where,
    retryable,
    cause: error,
  });
}

/** The directory a local remote's URL names: absolute, `file://`, or relative to `baseDir`. */
export function localRoot(url: string, baseDir: string): string {
  if (url.startsWith('file://')) return fileURLToPath(url);
  return path.resolve(baseDir, url);
}

/**
 * DVC's `local` remote: a directory (on a local disk or a mounted share) holding the objects at
 * `<dir>/files/md5/ab/…`. Uploads are copied to a temporary name beside their place, made
 * read-only (0444, as DVC leaves them) and renamed, so a reader never sees half an object.
 */
export class LocalStorage implements RemoteStorage {
  readonly specificationVersion = REMOTE_STORAGE_SPECIFICATION_VERSION;
  readonly kind = 'local';
  readonly canList = true;
  readonly url: string;
  readonly root: string;
  /** Directories known to exist (the remote's 256 prefix directories), each made once. */
  readonly #made = new Set<string>();

  constructor(root: string, url = root) {
    this.root = path.resolve(root);
    this.url = url;
  }

  #path(key: string): string {
    const parts = key.split('/');
    if (key === '' || parts.some((part) => part === '' || part === '.' || part === '..')) {
      throw new RemoteError('OTHER', `Not a remote key: ${JSON.stringify(key)}`, { path: key });
    }
    return path.join(this.root, ...parts);
  }

  async *list(prefix: string): AsyncIterable<string> {
    const slash = prefix.lastIndexOf('/');
    const directoryKey = prefix.slice(0, slash + 1);
    const directory = directoryKey === '' ? this.root : this.#path(directoryKey.slice(0, -1));
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true, recursive: true });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return;
      throw remoteError(error, directory, 'listing');
    }
    for (const entry of entries) {
      if (!entry.isFile() || TEMPORARY.test(entry.name)) continue;
      const relative = path
        .relative(this.root, path.join(entry.parentPath, entry.name))
        .split(path.sep)
        .join('/');
      if (relative.startsWith(prefix)) yield relative;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.#path(key))).isFile();
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false;
      throw remoteError(error, this.#path(key), 'checking');
    }
  }

  async upload(localPath: string, key: string, options?: TransferOptions): Promise<void> {
    const destination = this.#path(key);
    const temporary = path.join(
      path.dirname(destination),
      `.${path.basename(destination)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      const directory = path.dirname(destination);
      if (!this.#made.has(directory)) {
        await mkdir(directory, { recursive: true });
        this.#made.add(directory);
      }
      // a reflink where the filesystem has them, a streaming copy otherwise
      await copyFile(localPath, temporary, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      await chmod(temporary, 0o444);
      await rename(temporary, destination);
      options?.onProgress?.(options.size ?? (await stat(destination)).size);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => {});
      if (errnoCode(error) === 'ENOENT') {
        throw new RemoteError(
          'OTHER',
          `uploading '${localPath}' to '${destination}' failed: ${(error as Error).message}`,
          {
            path: localPath,
            cause: error,
          },
        );
      }
      throw remoteError(error, destination, 'uploading to');
    }
  }

  async download(key: string, localPath: string, options?: TransferOptions): Promise<void> {
    const source = this.#path(key);
    try {
      await copyFile(source, localPath, constants.COPYFILE_FICLONE);
      await chmod(localPath, 0o644);
      options?.onProgress?.((await stat(localPath)).size);
    } catch (error) {
      throw remoteError(error, source, 'downloading');
    }
  }

  /** Objects are plain files here: the engine reads them directly (one pass, hashed on the way). */
  filePath(key: string): string {
    return this.#path(key);
  }

  async remove(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  async close(): Promise<void> {}
}

/** Opens a local remote for a request (DVC: a relative URL is relative to its config file's directory). */
export function openLocalStorage(request: RemoteStorageRequest): LocalStorage {
  return new LocalStorage(localRoot(request.url, request.baseDir), request.url);
}

/** Serves the `local` scheme (a directory path) through `tvc.hooks.remoteStorage`. */
export class LocalRemotePlugin {
  readonly name = 'tvc:remote-local';

  apply(tvc: Tvc): void {
    tvc.hooks.remoteStorage
      .for('local')
      .tapPromise({ name: this.name, stage: HOOK_STAGE.BUILTIN }, async (request) =>
        openLocalStorage(request),
      );
  }
}
