import type { CommandContext } from '../context';
import { writeLine } from '../io';

export interface PluginsOptions {
  readonly json?: boolean;
}

/** `tvc plugins`: which plugins are applied, what each hook is tapped by, which commands they add. */
export default async function plugins(context: CommandContext, options: PluginsOptions): Promise<number> {
  const tvc = await context.tvc();
  const report = {
    config: tvc.configFile ?? null,
    plugins: tvc.plugins,
    hooks: tvc.describeHooks().filter((hook) => hook.taps.length > 0),
    commands: tvc
      .commands()
      .map((command) => ({ name: command.name, plugin: command.plugin, description: command.description })),
  };
  if (options.json) {
    writeLine(context.io.stdout, JSON.stringify(report, null, 2));
    return 0;
  }
  const out = context.io.stdout;
  writeLine(out, `config: ${report.config ?? '(none)'}`);
  writeLine(out, 'plugins:');
  for (const plugin of report.plugins) {
    writeLine(out, `  ${plugin.name}${plugin.preset ? ` (preset ${plugin.preset})` : ` (${plugin.source})`}`);
  }
  writeLine(out, 'hooks:');
  for (const hook of report.hooks) writeLine(out, `  ${hook.hook}: ${hook.taps.join(', ')}`);
  if (report.commands.length > 0) {
    writeLine(out, 'commands:');
    for (const command of report.commands)
      writeLine(out, `  ${command.name} (${command.plugin}): ${command.description}`);
  }
  return 0;
}
