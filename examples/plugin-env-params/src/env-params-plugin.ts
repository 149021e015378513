import type { Tvc } from '@tvc/core';
import { envParamsFormat } from './env-format';

/** Extension points 1 and 2: a params format for `.env` files, and a command `tvc env show FILE`. */
export class EnvParamsPlugin {
  static readonly PLUGIN_NAME = 'env-params';

  apply(tvc: Tvc): void {
    // the first plugin that returns a format reads the file; a user plugin is asked before the built-ins
    tvc.hooks.paramsFormat.tap(EnvParamsPlugin.PLUGIN_NAME, (request) =>
      request.extension === '.env' ? envParamsFormat : undefined,
    );
    tvc.hooks.commands.tap(EnvParamsPlugin.PLUGIN_NAME, (registry) => {
      registry.add(EnvParamsPlugin.PLUGIN_NAME, {
        name: 'env show',
        description: 'print a .env params file as JSON',
        arguments: [{ name: 'file', required: true }],
        options: [{ flags: '--key <key>', description: 'print only this key' }],
        async run({ tvc, args, options, io }) {
          const tree = await tvc.readParams(args[0]!);
          const key = options.key as string | undefined;
          io.stdout.write(`${JSON.stringify(key ? tree[key] : tree)}\n`);
          return 0;
        },
      });
    });
  }
}
