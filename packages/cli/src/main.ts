import { type CommandSpec, PluginError, type Tvc, TvcError } from '@tvc/core';
import { terminateHashWorkers } from '@tvc/hash';
import { Command, CommanderError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { CommandContext, openIfInRepository } from './context';
import { reportError } from './errors';
import { type Io, processIo } from './io';
import { registerConfigCommands } from './register-config';
import { registerDataCommands } from './register-data';
import { registerExperimentCommands } from './register-experiments';
import { registerImportCommands } from './register-imports';
import { registerLintCommands } from './register-lint';
import { registerMetricsCommands } from './register-metrics';
import { registerPlotsCommands } from './register-plots';
import { registerQueueCommands } from './register-queue';
import { registerRemoteDataCommands } from './register-remote-data';
import type { Action } from './registrar';

/** DVC's exit codes: 255 for an error, 254 for bad usage, 252 for an interrupt. */
export const EXIT = Object.freeze({ OK: 0, ERROR: 255, USAGE: 254, INTERRUPTED: 252 });

export const VERSION: string = packageJson.version;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Adds `-q` and `-v` to a command, as every DVC command has them. */
function common(command: Command): Command {
  return command
    .addOption(new Option('-q, --quiet', 'be quiet').conflicts('verbose'))
    .option('-v, --verbose', 'be verbose (print stack traces of errors)');
}

/**
 * Builds the program. Commands are declared here and their modules imported only when run, so
 * `tvc --help` stays fast. Plugin commands (from the repository's config) are added at the end.
 */
export function createProgram(
  io: Io,
  tvc: Promise<Tvc> | undefined,
  pluginCommands: readonly CommandSpec[],
): {
  program: Command;
  result: { code: number };
} {
  const result: { code: number } = { code: EXIT.OK };
  const program = new Command('tvc');
  const run =
    (load: () => Promise<{ default: Action }>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const options = command.optsWithGlobals() as { verbose?: boolean };
      const context = new CommandContext(io, options.verbose === true, tvc);
      const action = (await load()).default;
      result.code = (await action(context, ...args.slice(0, -1))) ?? EXIT.OK;
    };

  program
    .description('tvc — reproducible ML pipelines and experiments, compatible with DVC 3')
    .version(VERSION, '-V, --version', "show tvc's version")
    .helpOption('-h, --help', 'show this help')
    .helpCommand(false)
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`ERROR: ${text.replace(/^error: /, '')}`),
    })
    .exitOverride();
  common(program);

  common(program.command('init'))
    .description('initialize a DVC repository (.dvc/config, .dvc/.gitignore, .dvcignore)')
    .argument('[directory]', 'directory to initialize (default: the current one)')
    .option('--no-scm', 'initialize without git')
    .option('-f, --force', 'overwrite an existing repository (its cache is kept)')
    .option('--subdir', 'initialize in a subdirectory of a git repository')
    .action(run(() => import('./commands/init')));

  common(program.command('dag'))
    .description('draw the pipeline: ASCII, Graphviz dot or mermaid')
    .argument('[target]', 'stage or output to show the pipeline of (default: all)')
    .option('--dot', 'print the graph in Graphviz dot format')
    .option('--mermaid', 'print the graph in mermaid format')
    .option('--md', 'print the mermaid graph inside a Markdown block')
    .option('--full', 'show the whole pipeline the target belongs to, not only its ancestors')
    .option('-o, --outs', 'show outputs instead of stages')
    .action(run(() => import('./commands/dag')));

  const stage = program.command('stage').description('list and create stages').helpCommand(false);
  common(stage.command('list'))
    .description('list stages with what they produce')
    .argument('[targets...]', "dvc.yaml or .dvc files, stages or directories (default: 'dvc.yaml')")
    .option('--all', 'list every stage of the repository')
    .option('--fail', 'fail on the first file that does not load')
    .option('-R, --recursive', 'list every stage in the directories given')
    .option('--name-only', 'list only the names')
    .addOption(new Option('--names-only').hideHelp())
    .option('--json', 'print JSON for scripts')
    .action(run(() => import('./commands/stage-list')));
  common(stage.command('add'))
    .description('add a stage to dvc.yaml')
    .passThroughOptions()
    .argument('<command...>', 'the command the stage runs')
    .requiredOption('-n, --name <name>', 'name of the stage')
    .option('-f, --force', 'overwrite an existing stage of that name')
    .option('-d, --deps <path>', 'a dependency (repeatable)', collect, [])
    .option('-p, --params <[file:]keys>', 'params the stage reads, comma-separated (repeatable)', collect, [])
    .option('-o, --outs <path>', 'an output, cached (repeatable)', collect, [])
    .option('-O, --outs-no-cache <path>', 'an output, not cached', collect, [])
    .option('--outs-persist <path>', 'an output kept between runs', collect, [])
    .option('--outs-persist-no-cache <path>', 'an output kept between runs, not cached', collect, [])
    .option('-m, --metrics <path>', 'a metrics file', collect, [])
    .option('-M, --metrics-no-cache <path>', 'a metrics file, not cached', collect, [])
    .option('--plots <path>', 'a plots file', collect, [])
    .option('--plots-no-cache <path>', 'a plots file, not cached', collect, [])
    .option('-w, --wdir <path>', 'directory the command runs in')
    .option('--always-changed', 'always consider this stage changed')
    .option('--desc <text>', 'a description of the stage')
    .option('--run', 'run the stage at once, after adding it (and record it in dvc.lock)')
    .action(run(() => import('./commands/stage-add')));

  common(program.command('status'))
    .description('show which stages changed: commands, dependencies, params, outputs')
    .argument('[targets...]', 'stages, pipeline files or outputs (default: all)')
    .option('--json', "print DVC's JSON for scripts")
    .option('-R, --recursive', 'every stage in the directories given')
    .option('--with-deps', "also the targets' upstream stages")
    .option('--no-updates', 'do not check imports from other repositories for updates')
    .option('-c, --cloud', 'compare the cache with the default remote')
    .option('-r, --remote <name>', 'compare the cache with this remote')
    .option('-j, --jobs <number>', 'concurrent remote queries (default: 4 × CPUs)')
    .option('-a, --all-branches', 'with -c: the data of every branch too')
    .option('-T, --all-tags', 'with -c: the data of every tag too')
    .option('-A, --all-commits', 'with -c: the data of every commit too')
    .action(run(() => import('./commands/status')));

  common(program.command('repro'))
    .description('reproduce the stages whose command, dependencies or params changed')
    .argument('[targets...]', "stages, dvc.yaml or .dvc files (default: 'dvc.yaml')")
    .option('-f, --force', 'reproduce even if nothing changed')
    .option('-s, --single-item', 'only the targets, not their dependencies')
    .option('--downstream', 'the targets and the stages that depend on them')
    .option('-p, --pipeline', 'the whole pipelines the targets belong to')
    .option('-P, --all-pipelines', 'every pipeline of the repository')
    .option('--dry', 'print the commands that would run, change nothing')
    .option('-k, --keep-going', 'continue past a failure with stages that do not depend on it')
    .option('--ignore-errors', 'ignore failures, run even the stages that depend on them')
    .option('--force-downstream', 'reproduce every stage downstream of one that ran')
    .option('-i, --interactive', 'ask before each stage')
    .option('--no-run-cache', 'do not restore outputs from the run-cache')
    .option('--glob', 'stage names are glob patterns')
    .option('-R, --recursive', 'every stage in the directories given')
    .option('-j, --jobs <n>', 'run up to n independent stages at the same time')
    .option('--json', 'print what happened to each stage as JSON')
    .option('--pull', 'first pull the missing data of the stages from the default remote')
    .option('--allow-missing', 'skip stages whose only change is missing data (a clone not yet pulled)')
    .option('--trace', 'run each stage under strace and report files read or written but not declared')
    .option('--no-commit', 'record dvc.lock but put no outputs into the cache (`tvc commit` does it later)')
    .action(run(() => import('./commands/repro')));

  const params = program.command('params').description('compare and show params').helpCommand(false);
  common(params.command('diff'))
    .description('show params that changed between two commits, or a commit and the workspace')
    .argument('[a_rev]', 'old git revision (default: HEAD)')
    .argument('[b_rev]', 'new git revision (default: the workspace)')
    .option('--targets <paths...>', 'params files to compare, whole (default: the params of the pipeline)')
    .option('--all', 'show unchanged params as well')
    .option('--deps', 'only params that are stage dependencies')
    .option('--json', "print DVC's JSON for scripts")
    .option('--md', 'print a Markdown table')
    .option('--no-path', 'leave out the Path column')
    .action(run(() => import('./commands/params-diff')));
  common(params.command('show'))
    .description('show the params of the workspace and of git revisions (not in DVC 3)')
    .argument('[revisions...]', 'git revisions to show beside the workspace')
    .option('-a, --all-branches', 'every branch too')
    .option('--targets <paths...>', 'params files to show, whole (default: the params of the pipeline)')
    .option('--deps', 'only params that are stage dependencies')
    .option('--json', 'print JSON for scripts')
    .option('--md', 'print a Markdown table')
    .action(run(() => import('./commands/params-show')));

  // Command groups declared in their own modules.
  registerDataCommands(program, { run, common, collect });
  registerMetricsCommands(program, { run, common, collect });
  registerExperimentCommands(program, { run, common, collect });
  registerQueueCommands(program, { run, common, collect });
  registerPlotsCommands(program, { run, common, collect });
  registerConfigCommands(program, { run, common, collect });
  registerImportCommands(program, { run, common, collect });
  registerRemoteDataCommands(program, { run, common, collect });
  registerLintCommands(program, { run, common, collect });

  common(program.command('plugins'))
    .description('list the plugins applied, the hooks they tap and the commands they add')
    .option('--json', 'print JSON for scripts')
    .action(run(() => import('./commands/plugins')));

  program
    .command('completion')
    .description('print the shell completion script: bash, zsh or fish (`source <(tvc completion bash)`)')
    .argument('<shell>', 'bash, zsh or fish')
    .action(async (shell: string) => {
      const { completionScript } = await import('./completion');
      io.stdout.write(completionScript(program, shell));
    });

  for (const spec of pluginCommands) addPluginCommand(program, spec, io, tvc, result);
  return { program, result };
}

function addPluginCommand(
  program: Command,
  spec: CommandSpec & { plugin?: string; configFile?: string | undefined },
  io: Io,
  tvc: Promise<Tvc> | undefined,
  result: { code: number },
): void {
  const names = spec.name.split(' ');
  let parent = program;
  for (const group of names.slice(0, -1)) {
    parent =
      parent.commands.find((command) => command.name() === group) ?? parent.command(group).helpCommand(false);
  }
  const leaf = names[names.length - 1]!;
  if (parent.commands.some((command) => command.name() === leaf || command.aliases().includes(leaf))) {
    throw new PluginError(
      spec.plugin ?? 'unknown plugin',
      'commands',
      new Error(`'${spec.name}' is a tvc command already; give the plugin's command another name`),
      spec.configFile,
    );
  }
  const command = common(parent.command(leaf)).description(
    spec.plugin ? `${spec.description} (plugin ${spec.plugin})` : spec.description,
  );
  for (const argument of spec.arguments ?? []) {
    const name = `${argument.name}${argument.variadic ? '...' : ''}`;
    command.argument(argument.required ? `<${name}>` : `[${name}]`, argument.description ?? '');
  }
  for (const option of spec.options ?? [])
    command.option(option.flags, option.description, option.defaultValue);
  command.action(async (...args: unknown[]) => {
    const self = args[args.length - 1] as Command;
    const positional = args
      .slice(0, -2)
      .flatMap((value) => (Array.isArray(value) ? value : value === undefined ? [] : [value]));
    const context = new CommandContext(io, self.optsWithGlobals().verbose === true, tvc);
    const opened = await context.tvc();
    try {
      result.code =
        (await spec.run({ tvc: opened, args: positional.map(String), options: self.opts(), io })) ?? 0;
    } catch (error) {
      // the plugin's fault, not tvc's: named with the plugin and its config file
      if (error instanceof TvcError) throw error;
      const plugin = spec.plugin ?? 'unknown plugin';
      throw new PluginError(plugin, `command ${spec.name}`, error, opened.pluginConfigFile(plugin));
    }
  });
}

/** Runs tvc with `argv` (without `node` and the script); returns the exit code. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const tvc = openIfInRepository(io.cwd);
  let pluginCommands: CommandSpec[] = [];
  let commandsError: unknown;
  if (tvc) {
    const opened = await tvc.catch(() => undefined);
    // Not opened: the error surfaces when a command needs the repository; built-in commands still work.
    try {
      pluginCommands = (opened?.commands() ?? []).map((spec) => ({
        ...spec,
        configFile: opened?.pluginConfigFile(spec.plugin),
      }));
    } catch (error) {
      commandsError = error; // two plugins adding one command: the config is at fault
    }
  }
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  try {
    if (commandsError) throw commandsError;
    const { program, result } = createProgram(io, tvc, pluginCommands);
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return EXIT.OK;
      }
      return EXIT.USAGE;
    }
    return reportError(error, io, verbose);
  } finally {
    if (tvc) await tvc.then((opened) => opened.hooks.shutdown.promise()).catch(() => {});
    await terminateHashWorkers();
  }
}
