import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  REMOTE_STORAGE_SPECIFICATION_VERSION,
  RemoteError,
  type RemoteStorage,
  type RemoteStorageRequest,
  type Tvc,
} from '@tvc/core';

/**
 * Extension point 5: a remote storage for `folder:///absolute/path` URLs (`tvc remote add -d store
 * folder:///mnt/share`). A storage only moves opaque keys (`files/md5/ab/cdef…`) between the local
 * disk and the remote; the transfer engine decides what to move, retries errors marked retryable
 * and checks md5s. Uploads are atomic: a reader never sees half an object.
 */
export function openFolderStorage(request: RemoteStorageRequest): RemoteStorage {
  const root = fileURLToPath(request.url.replace(/^folder:/, 'file:'));
  const place = (key: string) => path.join(root, ...key.split('/'));
  return {
    specificationVersion: REMOTE_STORAGE_SPECIFICATION_VERSION,
    kind: 'folder',
    url: request.url,
    canList: true,
    async *list(prefix) {
      const walk = async function* (directory: string, key: string): AsyncGenerator<string> {
        const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
        for (const entry of entries) {
          const child = key ? `${key}/${entry.name}` : entry.name;
          if (entry.isDirectory()) yield* walk(path.join(directory, entry.name), child);
          else if (!entry.name.endsWith('.tmp')) yield child;
        }
      };
      yield* walk(place(prefix), prefix.replace(/\/$/, ''));
    },
    async exists(key) {
      return (await stat(place(key)).catch(() => undefined))?.isFile() === true;
    },
    async upload(localPath, key) {
      const target = place(key);
      const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      await mkdir(path.dirname(target), { recursive: true });
      await copyFile(localPath, temporary);
      await rename(temporary, target); // atomic: the object appears whole or not at all
    },
    async download(key, localPath) {
      await mkdir(path.dirname(localPath), { recursive: true });
      await copyFile(place(key), localPath).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT')
          throw new RemoteError('NOT_FOUND', `no object '${key}' in ${request.url}`);
        throw error;
      });
    },
    async remove(key) {
      await rm(place(key), { force: true });
    },
    async close() {},
  };
}

export class FolderStoragePlugin {
  static readonly PLUGIN_NAME = 'folder-storage';

  apply(tvc: Tvc): void {
    tvc.hooks.remoteStorage
      .for('folder')
      .tapPromise(FolderStoragePlugin.PLUGIN_NAME, async (request) => openFolderStorage(request));
  }
}
