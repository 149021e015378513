import { HOOK_STAGE, type Tvc } from '@tvc/core';
import type { RemoteStorage, RemoteStorageRequest } from '@tvc/remote';

/**
 * Serves `s3://` remotes. The AWS SDK (several MB of modules) is imported only when an s3 remote
 * is opened, so that commands that touch no remote (`tvc status`, `repro`) pay nothing for it.
 */
export class S3RemotePlugin {
  static readonly PLUGIN_NAME = 'tvc:remote-s3';
  readonly name = S3RemotePlugin.PLUGIN_NAME;

  apply(tvc: Tvc): void {
    tvc.hooks.remoteStorage
      .for('s3')
      .tapPromise({ name: S3RemotePlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN }, (request) =>
        openS3Remote(request),
      );
  }
}

/** Opens an s3 remote directly (without a Tvc instance), loading the SDK on first use. */
export async function openS3Remote(request: RemoteStorageRequest): Promise<RemoteStorage> {
  const { openS3Storage } = await import('./s3-storage');
  return openS3Storage(request);
}
