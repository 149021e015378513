import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TempRepo } from './harness';

/**
 * A third party extends tvc from its project's config, without touching core: a params format,
 * an executor and CLI commands (fixtures/third-party-plugin/plugins).
 */
describe('third-party plugins from the project config', () => {
  let repo: TempRepo | undefined;
  afterEach(async () => {
    await repo?.remove();
    repo = undefined;
  });

  it('adds a params format that core reads files through', async () => {
    repo = await TempRepo.create('third-party-plugin');
    const result = await repo.tvc('ini', 'show', 'params.ini');
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ train: { lr: 0.01, epochs: 20, name: 'baseline' } });
    const key = await repo.tvc('ini', 'show', 'params.ini', '--key', 'train');
    expect(JSON.parse(key.stdout)).toEqual({ lr: 0.01, epochs: 20, name: 'baseline' });
  });

  it('adds an executor, reached by name through the executor hook', async () => {
    repo = await TempRepo.create('third-party-plugin');
    const result = await repo.tvc('echo-run', 'echo hello', 'echo world');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('[echo] hello\n[echo] world\n');
    const failing = await repo.tvc('echo-run', 'exit 3');
    expect(failing.code).toBe(3);
  });

  it('lists its commands in --help and its taps in `tvc plugins`', async () => {
    repo = await TempRepo.create('third-party-plugin');
    const help = await repo.tvc('--help');
    expect(help.stdout).toMatch(/ini\s+/);
    expect(help.stdout).toMatch(
      /echo-run \[options\] <commands\.\.\.>\s+run commands through the echo executor/,
    );
    const plugins = await repo.tvc('plugins', '--json');
    const report = JSON.parse(plugins.stdout) as {
      config: string;
      plugins: { name: string; source: string }[];
      hooks: { hook: string; taps: string[] }[];
    };
    expect(report.config).toMatch(/tvc\.config\.mjs$/);
    expect(report.plugins.slice(0, 2)).toEqual([
      { name: 'shellEchoExecutor', source: 'config' },
      { name: 'ini-params', source: 'config' },
    ]);
    expect(report.plugins.map((plugin) => plugin.name)).toContain('tvc:pipeline-files');
    // The user's plugin is asked first (stage 0), before the built-in formats (stage 100 and 1000).
    const paramsFormat = report.hooks.find((hook) => hook.hook === 'paramsFormat');
    expect(paramsFormat?.taps[0]).toBe('ini-params');
    expect(paramsFormat?.taps).toEqual(expect.arrayContaining(['tvc:params-yaml', 'tvc:params-json']));
    expect(report.hooks).toContainEqual({ hook: "executor.for('echo')", taps: ['shell-echo-executor'] });
  });

  it('the pipeline still loads with its INI params', async () => {
    repo = await TempRepo.create('third-party-plugin');
    const result = await repo.tvc('stage', 'list');
    expect(result.stdout).toBe('train  Outputs model.pkl\n');
  });

  it('a plugin that throws is named in the error', async () => {
    repo = await TempRepo.create();
    await repo.write(
      'broken.mjs',
      "export default { name: 'broken', apply() { throw new Error('boom'); } };\n",
    );
    await repo.write('.tvcrc.json', JSON.stringify({ plugins: ['./broken.mjs'] }));
    const result = await repo.tvc('stage', 'list');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("ERROR: .tvcrc.json: plugin 'broken' failed in 'apply': boom");
  });

  it('a plugin whose tap throws is named with the hook', async () => {
    repo = await TempRepo.create();
    await repo.write(
      'bad-format.mjs',
      "export default function badFormat(tvc) { tvc.hooks.paramsFormat.tap('bad-format', () => { throw new TypeError('oops'); }); }\n",
    );
    await repo.write(
      'package.json',
      JSON.stringify({ name: 'x', private: true, tvc: { plugins: ['./bad-format.mjs'] } }),
    );
    const result = await repo.tvc('plugins');
    expect(result.code).toBe(0);
    await repo.write('params.ini', '[a]\nb = 1\n');
    await repo.write(
      'reader.mjs',
      "export default { name: 'reader', apply(tvc) { tvc.hooks.commands.tap('reader', (r) => r.add('reader', { name: 'read', description: 'read', arguments: [{ name: 'file', required: true }], run: async ({ tvc, args }) => { await tvc.readParams(args[0]); return 0; } })); } };\n",
    );
    await repo.write(
      'package.json',
      JSON.stringify({ name: 'x', private: true, tvc: { plugins: ['./bad-format.mjs', './reader.mjs'] } }),
    );
    const read = await repo.tvc('read', 'params.ini');
    expect(read.code).toBe(255);
    expect(read.stderr).toContain("ERROR: package.json: plugin 'bad-format' failed in 'paramsFormat': oops");
  });

  it('a missing plugin and an unknown config key are clear errors', async () => {
    repo = await TempRepo.create();
    await repo.write('.tvcrc.json', JSON.stringify({ plugins: ['./nope.mjs'] }));
    const missing = await repo.tvc('stage', 'list');
    expect(missing.code).toBe(255);
    expect(missing.stderr).toContain("ERROR: .tvcrc.json: cannot find plugin './nope.mjs'");
    await repo.write('.tvcrc.json', JSON.stringify({ plugin: [] }));
    const unknown = await repo.tvc('stage', 'list');
    expect(unknown.stderr).toContain(
      "ERROR: .tvcrc.json: invalid tvc config: unknown key 'plugin' — did you mean 'plugins'?",
    );
  });

  it("a plugin's fault is the plugin's: named with the plugin and the config file, never 'unexpected error'", async () => {
    repo = await TempRepo.create();
    const run = async (...args: string[]) => {
      const result = await repo!.tvc(...args);
      expect(result.stderr).not.toMatch(/unexpected error|ERR_INTERNAL|node:internal/i);
      expect(result.code).toBe(255);
      return result.stderr;
    };
    await repo.write('.tvcrc.json', JSON.stringify({ plugins: [42, './p.mjs', ['x', 3]] }));
    expect(await run('stage', 'list')).toBe(
      "ERROR: .tvcrc.json: invalid tvc config: plugins[0]: expected a module path, a package name, [name, options] or a plugin, not the number 42; plugins[2]: the options of 'x' must be an object\n",
    );
    await repo.write('tvc.config.mjs', 'export default {\n  plugins: [\n  ]\n  bad: 1\n};\n');
    await rm(repo.path('.tvcrc.json'));
    expect(await run('stage', 'list')).toBe(
      "ERROR: tvc.config.mjs:4: cannot load the tvc config: syntax error: Unexpected identifier 'bad'\n",
    );
    const command = (plugin: string, name: string, body: string) =>
      `export default function ${plugin}(tvc) {\n  tvc.hooks.commands.tap('${plugin}', (registry) => registry.add('${plugin}', { name: '${name}', description: 'x', run() { ${body} } }));\n}\n`;
    await repo.write('tvc.config.mjs', "export default { plugins: ['./p.mjs'] };\n");
    await repo.write('p.mjs', command('p', 'boom', 'return null.x;'));
    expect(await run('boom')).toBe(
      "ERROR: tvc.config.mjs: plugin 'p' failed in 'command boom': Cannot read properties of null (reading 'x')\n",
    );
    await repo.write('p.mjs', command('p', 'status', 'return 0;'));
    expect(await run('status')).toBe(
      "ERROR: tvc.config.mjs: plugin 'p' failed in 'commands': 'status' is a tvc command already; give the plugin's command another name\n",
    );
    await repo.write('tvc.config.mjs', "export default { plugins: ['./p.mjs', './q.mjs'] };\n");
    await repo.write('p.mjs', command('p', 'go', 'return 0;'));
    await repo.write('q.mjs', command('q', 'go', 'return 0;'));
    expect(await run('go')).toBe(
      "ERROR: tvc.config.mjs: plugin 'q' failed in 'commands': command 'go' is already defined by plugin 'p'\n",
    );
    await repo.write('q.mjs', "export default function q(tvc) {\n  tvc.hooks.log.tap('q', () => {}));\n}\n");
    expect(await run('dag')).toMatch(
      /^ERROR: tvc\.config\.mjs: cannot load plugin '\.\/q\.mjs': syntax error in .*q\.mjs:2: Unexpected token '\)'\n$/,
    );
  });

  it('options reach a function plugin as its second argument and a class plugin through its constructor', async () => {
    repo = await TempRepo.create();
    await repo.write(
      'f.mjs',
      "export default function f(tvc, options) { tvc.hooks.commands.tap('f', (r) => r.add('f', { name: 'f', description: 'x', run({ io }) { io.stdout.write(`f ${options.greeting}\\n`); } })); }\n",
    );
    await repo.write(
      'c.mjs',
      "export default class C { static PLUGIN_NAME = 'c'; constructor(options) { this.options = options; } apply(tvc) { tvc.hooks.commands.tap('c', (r) => r.add('c', { name: 'c', description: 'x', run: ({ io }) => { io.stdout.write(`c ${this.options.greeting}\\n`); } })); } }\n",
    );
    await repo.write(
      'tvc.config.mjs',
      "export default { plugins: [['./f.mjs', { greeting: 'hi' }], ['./c.mjs', { greeting: 'hello' }]] };\n",
    );
    expect((await repo.tvc('f')).stdout).toBe('f hi\n');
    expect((await repo.tvc('c')).stdout).toBe('c hello\n');
  });

  it('an unknown executor lists the ones there are', async () => {
    repo = await TempRepo.create('third-party-plugin');
    await repo.write(
      'tvc.config.mjs',
      "import Ini from './plugins/ini-params.mjs';\nexport default { plugins: ['./plugins/shell-echo-executor.mjs', new Ini(), './want-gpu.mjs'] };\n",
    );
    await repo.write(
      'want-gpu.mjs',
      "export default { name: 'want-gpu', apply(tvc) { tvc.hooks.commands.tap('want-gpu', (r) => r.add('want-gpu', { name: 'gpu', description: 'x', run: ({ tvc }) => { tvc.executor('gpu'); return 0; } })); } };\n",
    );
    const result = await repo.tvc('gpu');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("ERROR: no executor named 'gpu'");
    expect(result.stderr).toContain('hint: available executors: echo');
  });
});
