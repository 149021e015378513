import { HOOK_STAGE, type Tvc } from '@tvc/core';
import { openHttpStorage } from './http-storage';

/** Serves `http://` and `https://` remotes. */
export class HttpRemotePlugin {
  static readonly PLUGIN_NAME = 'tvc:remote-http';
  readonly name = HttpRemotePlugin.PLUGIN_NAME;

  apply(tvc: Tvc): void {
    for (const scheme of ['http', 'https']) {
      tvc.hooks.remoteStorage
        .for(scheme)
        .tapPromise({ name: HttpRemotePlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN }, (request) =>
          openHttpStorage(request),
        );
    }
  }
}
