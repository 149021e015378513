import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dvcBinary, type RunResult, TempRepo, TVC_BIN } from './harness';

// Issue 14 ("Integrity first"), items 9-14: hostile and malformed input. Each command runs with a
// kill timer, so that a hang (item 9) or a heap blow-up (item 12) fails the test in seconds.

const KILL_AFTER_MS = 20_000;

interface TimedResult extends RunResult {
  readonly killed: boolean;
  readonly ms: number;
}

function run(command: string, args: readonly string[], cwd: string): Promise<TimedResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', DVC_NO_ANALYTICS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? -1, killed, ms: Date.now() - started });
    });
  });
}

/** The built tvc, killed after {@link KILL_AFTER_MS}. */
async function tvc(repo: TempRepo, ...args: string[]): Promise<TimedResult> {
  const result = await run(process.execPath, [TVC_BIN, ...args], repo.dir);
  expect(result.killed, `tvc ${args.join(' ')} was killed after ${KILL_AFTER_MS} ms`).toBe(false);
  expect(result.stderr).not.toMatch(/unexpected error|FATAL ERROR|Maximum call stack/);
  return result;
}

const DVC = dvcBinary();

async function dvc(repo: TempRepo, ...args: string[]): Promise<TimedResult> {
  return run(DVC!, args, repo.dir);
}

/** The "billion laughs" YAML of item 12 (342 bytes; 9^9 strings once expanded). */
function aliasBomb(indent = ''): string {
  const lines = [`${indent}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  let previous = 'a';
  for (const name of 'bcdefghi') {
    lines.push(`${indent}${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    previous = name;
  }
  return `${lines.join('\n')}\n`;
}

const STAGE_WITH_PARAMS = (file: string, key = 'a') =>
  `stages:\n  s:\n    cmd: echo hi\n    params:\n      - ${file}:\n        - ${key}\n`;

let repo: TempRepo;
let outside: string;

beforeEach(async () => {
  repo = await TempRepo.create();
  outside = await mkdtemp(path.join(tmpdir(), 'tvc-e2e-outside-'));
  await writeFile(path.join(outside, 'secret.json'), '{"secret": 424242}');
});

afterEach(async () => {
  await repo.remove();
  await rm(outside, { recursive: true, force: true });
});

describe('paths leading out of the repository (items 9-10)', () => {
  it('item 9: an absolute top-level plot does not hang `plots show`, and is not read', async () => {
    await repo.write('dvc.yaml', `plots:\n  - ${path.join(outside, 'secret.json')}\n`);
    const result = await tvc(repo, 'plots', 'show', '--json');
    expect(result.stdout).not.toContain('424242');
    const shown = JSON.parse(result.stdout) as { errors?: { type: string }[] };
    for (const error of shown.errors ?? []) expect(error.type).toBe('FileNotFoundError');
  });

  it('item 9: a top-level plot climbing out (`../x`) is not read: FileNotFoundError, as DVC', async () => {
    const relative = path.relative(repo.dir, path.join(outside, 'secret.json'));
    await repo.write('dvc.yaml', `plots:\n  - ${relative}\n`);
    const result = await tvc(repo, 'plots', 'show', '--json');
    expect(result.stdout).not.toContain('424242');
    const shown = JSON.parse(result.stdout) as { errors: { type: string; name: string }[] };
    expect(shown.errors.map((error) => [error.name, error.type])).toEqual([[relative, 'FileNotFoundError']]);
    if (DVC) {
      const theirs = JSON.parse((await dvc(repo, 'plots', 'show', '--json')).stdout) as typeof shown;
      expect(theirs.errors.map((error) => [error.name, error.type])).toEqual([
        [relative, 'FileNotFoundError'],
      ]);
    }
  });

  it('item 10: top-level metrics climbing out or absolute are refused by metrics show and exp show', async () => {
    const secret = path.join(outside, 'secret.json');
    const relative = path.relative(repo.dir, secret);
    await repo.write('dvc.yaml', `metrics:\n  - ${relative}\n  - ${secret}\n  - m.json\n`);
    await repo.write('m.json', '{"inside": 1}');
    const result = await tvc(repo, 'metrics', 'show', '--json');
    expect(result.stdout).not.toContain('424242');
    const shown = JSON.parse(result.stdout) as Record<
      string,
      { data: Record<string, { error?: { type: string } }> }
    >;
    const files = shown['']!.data;
    expect(Object.keys(files).sort()).toEqual([relative, 'm.json'].sort());
    expect(files[relative]!.error?.type).toBe('FileNotFoundError');
    expect(files['m.json']).toEqual({ data: { inside: 1 } });
    if (DVC) {
      const theirs = JSON.parse((await dvc(repo, 'metrics', 'show', '--json')).stdout) as typeof shown;
      expect(Object.keys(theirs['']!.data).sort()).toEqual(Object.keys(files).sort());
      expect(theirs['']!.data[relative]!.error?.type).toBe('FileNotFoundError');
    }
    await repo.git('add', '-A');
    await repo.git('commit', '-qm', 'metrics');
    const table = await tvc(repo, 'exp', 'show', '--json');
    expect(table.stdout).toContain('inside');
    expect(table.stdout).not.toContain('424242');
  });
});

describe('an output below a symlink leading out of the repository (item 11)', () => {
  it('stops the stage as DVC does: no .gitignore outside, nothing locked, non-zero exit', async () => {
    await symlink(outside, repo.path('link'));
    await repo.write(
      'dvc.yaml',
      'stages:\n  s:\n    cmd: echo hi > link/out.txt\n    outs:\n      - link/out.txt\n',
    );
    await repo.git('add', '-A');
    await repo.git('commit', '-qm', 'stage');
    const result = await tvc(repo, 'repro');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `'${repo.path('link', 'out.txt')}' is outside of git repository '${repo.dir}'`,
    );
    expect(existsSync(path.join(outside, '.gitignore'))).toBe(false);
    expect(existsSync(repo.path('dvc.lock'))).toBe(false);
    expect(existsSync(repo.path('.dvc', 'cache'))).toBe(false);
    if (DVC) {
      await rm(path.join(outside, 'out.txt'), { force: true });
      const theirs = await dvc(repo, 'repro');
      expect(theirs.code).not.toBe(0);
      expect(theirs.stderr).toContain('is outside of git repository');
    }
  });
});

describe('an alias bomb (item 12)', () => {
  it('in dvc.yaml: refused at once, located', async () => {
    await repo.write('params.yaml', 'a: 1\n');
    const vars = `vars:\n  - ${aliasBomb('    ').trimStart()}`;
    await repo.write('dvc.yaml', `${STAGE_WITH_PARAMS('params.yaml')}${vars}`);
    const result = await tvc(repo, 'status');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ERROR: dvc\.yaml:\d+:\d+: malformed YAML: aliases expand to more than/);
    expect(result.ms).toBeLessThan(KILL_AFTER_MS);
  });

  it('in params.yaml: refused at once, located', async () => {
    await repo.write('params.yaml', aliasBomb());
    await repo.write('dvc.yaml', STAGE_WITH_PARAMS('params.yaml'));
    const result = await tvc(repo, 'repro');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ERROR: params\.yaml:6:8: .*aliases expand to more than/);
  });

  it('in dvc.lock: refused at once, located', async () => {
    await repo.write('dvc.yaml', 'stages:\n  s:\n    cmd: echo hi\n');
    await repo.write(
      'dvc.lock',
      `schema: '2.0'\nstages:\n  s:\n    cmd: echo hi\n    x:\n${aliasBomb('      ')}`,
    );
    const result = await tvc(repo, 'status');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ERROR: dvc\.lock:\d+:\d+: malformed YAML: aliases expand to more than/);
  });
});

describe('deeply nested params (item 13)', () => {
  const cases: [string, string][] = [
    ['params.json', `{"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
    ['params.toml', `a = ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
    ['params.yaml', `a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
    ['deep.yaml', `a:\n  ${'- '.repeat(50_000)}x\n`],
    ['params.py', `a = ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
  ];
  for (const [file, text] of cases) {
    it(`${file}: an ordinary located error, not a stack overflow`, async () => {
      await repo.write(file, text);
      await repo.write('dvc.yaml', STAGE_WITH_PARAMS(file));
      const result = await tvc(repo, 'repro');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(
        new RegExp(`ERROR: ${file.replace('.', '\\.')}:\\d+:\\d+: nesting deeper than 1000 levels`),
      );
    });
  }
});

describe('invalid UTF-8, NUL and control characters (item 14)', () => {
  const bad = (text: string, byte: number) => {
    const [before, after] = text.split('@');
    return Buffer.concat([Buffer.from(before!), Buffer.from([byte]), Buffer.from(after!)]);
  };

  const cases: { file: string; content: Buffer; dvcYaml: string; message: RegExp; command: string }[] = [
    {
      file: 'dvc.yaml',
      content: bad('stages:\n  s:\n    cmd: echo @\n', 0xff),
      dvcYaml: '',
      message: /ERROR: dvc\.yaml:3:15: unable to read: 'dvc\.yaml', is not valid utf-8/,
      command: 'status',
    },
    {
      file: 'dvc.yaml',
      content: bad('stages:\n  s:\n    cmd: echo @\n', 0x01),
      dvcYaml: '',
      message:
        /ERROR: dvc\.yaml:3:15: malformed YAML: unacceptable character #x0001: special characters are not allowed/,
      command: 'status',
    },
    {
      file: 'params.yaml',
      content: bad('a: "x@y"\n', 0xff),
      dvcYaml: STAGE_WITH_PARAMS('params.yaml'),
      message: /ERROR: params\.yaml:1:6: unable to read: 'params\.yaml', is not valid utf-8/,
      command: 'repro',
    },
    {
      file: 'params.yaml',
      content: bad('a: "x@y"\n', 0x00),
      dvcYaml: STAGE_WITH_PARAMS('params.yaml'),
      message: /ERROR: params\.yaml:1:6: .*unacceptable character #x0000: special characters are not allowed/,
      command: 'repro',
    },
    {
      file: 'dvc.lock',
      content: bad("schema: '2.0'\nstages:\n  s:\n    cmd: echo @\n", 0xff),
      dvcYaml: 'stages:\n  s:\n    cmd: echo hi\n',
      message: /ERROR: dvc\.lock:4:15: unable to read: 'dvc\.lock', is not valid utf-8/,
      command: 'status',
    },
    {
      file: 'dvc.lock',
      content: bad("schema: '2.0'\nstages:\n  s:\n    cmd: echo @\n", 0x00),
      dvcYaml: 'stages:\n  s:\n    cmd: echo hi\n',
      message: /ERROR: dvc\.lock:4:15: malformed YAML: unacceptable character #x0000/,
      command: 'status',
    },
    {
      file: 'params.json',
      content: bad('{"a": "x@y"}', 0xff),
      dvcYaml: STAGE_WITH_PARAMS('params.json'),
      message: /ERROR: params\.json:1:9: unable to read: 'params\.json', is not valid utf-8/,
      command: 'repro',
    },
    {
      file: 'params.toml',
      content: bad('a = "x@y"\n', 0x01),
      dvcYaml: STAGE_WITH_PARAMS('params.toml'),
      message: /ERROR: params\.toml:1:7: invalid TOML: control characters/,
      command: 'repro',
    },
    {
      file: 'params.py',
      content: bad('a = "x@y"\n', 0x00),
      dvcYaml: STAGE_WITH_PARAMS('params.py'),
      message: /ERROR: params\.py:1:7: source code cannot contain null bytes/,
      command: 'repro',
    },
  ];
  for (const { file, content, dvcYaml, message, command } of cases) {
    it(`${file} with byte 0x${content.find((byte) => byte < 0x09 || byte > 0x7e)?.toString(16)}: refused by name, nothing of it written`, async () => {
      if (dvcYaml) await repo.write('dvc.yaml', dvcYaml);
      await writeFile(repo.path(file), content);
      const result = await tvc(repo, command);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(message);
      // Nothing decoded lossily reaches the lock file.
      if (file !== 'dvc.lock' && existsSync(repo.path('dvc.lock')))
        expect(await repo.read('dvc.lock')).not.toContain('\ufffd');
    });
  }

  it('DVC refuses the same files by name', async () => {
    if (!DVC) return;
    await repo.write('dvc.yaml', 'stages:\n  s:\n    cmd: echo hi\n');
    await writeFile(repo.path('params.yaml'), bad('a: "x@y"\n', 0xff));
    const theirs = await dvc(repo, 'status');
    expect(theirs.stderr).toContain("unable to read: 'params.yaml', is not valid utf-8");
    await writeFile(repo.path('params.yaml'), bad('a: "x@y"\n', 0x00));
    expect((await dvc(repo, 'status')).stderr).toContain('special characters are not allowed');
  });
});
