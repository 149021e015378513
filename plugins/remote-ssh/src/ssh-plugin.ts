import { HOOK_STAGE, type Tvc } from '@tvc/core';

/**
 * Serves `ssh://` remotes. The storage module (and the ssh2 library behind it) is imported only
 * when an ssh remote is opened, so a project without one pays nothing for it at start-up.
 */
export class SshRemotePlugin {
  static readonly PLUGIN_NAME = 'tvc:remote-ssh';

  apply(tvc: Tvc): void {
    tvc.hooks.remoteStorage
      .for('ssh')
      .tapPromise({ name: SshRemotePlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN }, async (request) => {
        const { createSshStorage } = await import('./ssh-storage');
        return createSshStorage(request);
      });
  }
}
