import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Io } from '../io';
import { main } from '../main';
import { joinCommand, shellQuote } from './stage-add';

describe('joinCommand (DVC parse_cmd)', () => {
  it.each([
    [['echo hi'], 'echo hi'],
    [['echo', 'hi'], 'echo hi'],
    [['python', 'train.py', 'a b', '--x=1', "it's"], 'python train.py "a b" --x=1 it\'s'],
    [['echo', '', 'say "hi" now', 'x'], 'echo "" say "hi" now x'],
    [[''], ''],
    [[], ''],
  ])('%j', (words, expected) => {
    expect(joinCommand(words)).toBe(expected);
  });
});

describe('shellQuote (Python shlex.quote)', () => {
  it.each([
    ['dvc.yaml', 'dvc.yaml'],
    ['sub/.gitignore', 'sub/.gitignore'],
    ['a b/.gitignore', "'a b/.gitignore'"],
    ["it's", "'it'\"'\"'s'"],
    ['', "''"],
  ])('%s', (value, expected) => {
    expect(shellQuote(value)).toBe(expected);
  });
});

/** Streams that remember what was written. */
function captureIo(cwd: string): Io & { out: () => string; err: () => string } {
  const chunks = { out: '', err: '' };
  const stream = (key: 'out' | 'err') =>
    new Writable({
      write(chunk, _encoding, done) {
        chunks[key] += String(chunk);
        done();
      },
    });
  return {
    stdout: stream('out'),
    stderr: stream('err'),
    cwd,
    env: process.env,
    isTTY: false,
    out: () => chunks.out,
    err: () => chunks.err,
  };
}

let repo: string;

async function tvc(args: string[], cwd = repo) {
  const io = captureIo(cwd);
  const code = await main(args, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
    cwd: repo,
    encoding: 'utf8',
  });
const read = (file: string) => readFileSync(path.join(repo, file), 'utf8');
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  writeFileSync(path.join(repo, file), text);
};

const HINT = (files: string) =>
  `\nTo track the changes with git, run:\n\n\tgit add ${files}\n\nTo enable auto staging, run:\n\n\ttvc config core.autostage true\n`;

beforeEach(async () => {
  repo = mkdtempSync(path.join(tmpdir(), 'tvc-stage-add-'));
  git('init', '-q');
  expect((await tvc(['init', '-q'])).code).toBe(0);
});

afterEach(() => {
  rmSync(repo, { recursive: true, force: true });
});

describe('tvc stage add', () => {
  it('the full-flag case, as DVC prints and writes it (05a add-full)', async () => {
    mkdirSync(path.join(repo, 'sub', 'src'), { recursive: true });
    const result = await tvc([
      'stage',
      'add',
      ...['-n', 'train', '-d', 'src/train.py', '-d', 'data', '-p', 'lr,epochs', '-p', 'other.yaml:a.b'],
      ...['-o', 'model.pkl', '-O', 'uncached.txt', '-m', 'metrics.json', '-M', 'metrics_nc.json'],
      ...[
        '--plots',
        'plots.csv',
        '--plots-no-cache',
        'p2.csv',
        '-w',
        'sub',
        '--desc',
        'Train it',
        '--always-changed',
      ],
      ...['python', 'train.py', '--lr', '0.1'],
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: `Added stage 'train' in 'dvc.yaml'\n${HINT('dvc.yaml sub/.gitignore')}`,
      stderr: '',
    });
    expect(read('dvc.yaml')).toBe(
      'stages:\n  train:\n    desc: Train it\n    cmd: python train.py --lr 0.1\n    wdir: sub\n    deps:\n    - data\n    - src/train.py\n    params:\n    - epochs\n    - lr\n    - other.yaml:\n      - a.b\n    outs:\n    - model.pkl\n    - uncached.txt:\n        cache: false\n    metrics:\n    - metrics.json\n    - metrics_nc.json:\n        cache: false\n    plots:\n    - p2.csv:\n        cache: false\n    - plots.csv\n    always_changed: true\n',
    );
    expect(read('sub/.gitignore')).toBe('/metrics.json\n/plots.csv\n/model.pkl\n');
  });

  it('the minimal case: no .gitignore to change (05a add-minimal)', async () => {
    expect(await tvc(['stage', 'add', '-n', 'only', 'echo', 'hi'])).toEqual({
      code: 0,
      stdout: `Added stage 'only' in 'dvc.yaml'\n${HINT('dvc.yaml')}`,
      stderr: '',
    });
    expect(read('dvc.yaml')).toBe('stages:\n  only:\n    cmd: echo hi\n');
  });

  it('-q prints nothing (05a add-quiet)', async () => {
    expect(await tvc(['stage', 'add', '-q', '-n', 'q', '-o', 'q.txt', 'echo q'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(read('.gitignore')).toBe('/q.txt\n');
  });

  it('stops adding .gitignore entries at a missing directory, with DVC warning (05a add-nested-outs-existing-parent-first)', async () => {
    const result = await tvc([
      'stage',
      'add',
      '-n',
      'n',
      '-o',
      'top.txt',
      '-o',
      'out/deep/x.txt',
      '-o',
      'top2.txt',
      'echo n',
    ]);
    expect(result.stderr).toBe(
      `Could not create .gitignore entry in ${path.join(repo, 'out', 'deep', '.gitignore')}. tvc will attempt to create .gitignore entry again when the stage is run.\n`,
    );
    expect(result.stdout).toBe(`Added stage 'n' in 'dvc.yaml'\n${HINT('dvc.yaml .gitignore')}`);
    expect(read('.gitignore')).toBe('/top.txt\n');
  });

  it('writes the dvc.yaml of the current directory, paths relative to it (real DVC run)', async () => {
    write('dvc.yaml', 'stages:\n  top:\n    cmd: echo top\n    outs:\n    - sub/deep/top.txt\n');
    const sub = path.join(repo, 'sub');
    mkdirSync(path.join(sub, 'deep'), { recursive: true });
    const result = await tvc(
      ['stage', 'add', '-n', 's2', '-d', 'deep/top.txt', '-o', 's2.txt', 'echo s2'],
      sub,
    );
    expect(result.stdout).toBe(`Added stage 's2' in 'dvc.yaml'\n${HINT('dvc.yaml .gitignore')}`);
    expect(read('sub/dvc.yaml')).toBe(
      'stages:\n  s2:\n    cmd: echo s2\n    deps:\n    - deep/top.txt\n    outs:\n    - s2.txt\n',
    );
    expect(read('sub/.gitignore')).toBe('/s2.txt\n');
  });

  it('-f on an existing stage keeps its place (05b add-force-first)', async () => {
    write(
      'dvc.yaml',
      'stages:\n  first:\n    cmd: echo first > first.txt  # keep me\n    outs:\n    - first.txt\n  second:\n    cmd: echo 2\n',
    );
    const result = await tvc([
      'stage',
      'add',
      '-f',
      '-n',
      'first',
      '-d',
      'new_dep.txt',
      '-o',
      'first.txt',
      'echo replaced > first.txt',
    ]);
    expect(result.code).toBe(0);
    expect(read('dvc.yaml')).toBe(
      'stages:\n  first:\n    cmd: echo replaced > first.txt  # keep me\n    outs:\n    - first.txt\n    deps:\n    - new_dep.txt\n  second:\n    cmd: echo 2\n',
    );
  });

  describe('refuses, leaving dvc.yaml as it was', () => {
    const before =
      'stages:\n  producer:\n    cmd: mkdir -p data\n    outs:\n    - data\n  single:\n    cmd: echo y > y.txt\n    outs:\n    - y.txt\n';
    beforeEach(() => write('dvc.yaml', before));

    const refused = async (args: string[], message: string, cwd = repo) => {
      const result = await tvc(['stage', 'add', ...args], cwd);
      expect(result).toEqual({ code: 255, stdout: '', stderr: `ERROR: ${message}\n` });
      expect(read('dvc.yaml')).toBe(before);
      expect(existsSync(path.join(repo, '.gitignore'))).toBe(false);
      expect(readdirSync(cwd).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    };

    it('an existing name without -f (05e exists-no-force)', () =>
      refused(
        ['-n', 'single', '-o', 'y.txt', 'echo y > y.txt'],
        "Stage 'single' already exists in 'dvc.yaml'. Use '--force' to overwrite.",
      ));

    it('an invalid name (05e name-colon)', () =>
      refused(
        ['-n', 'my:stage', '-o', 'a.txt', 'echo a'],
        'Stage name cannot contain punctuation characters.',
      ));

    it('an empty command (05c cmd-empty)', () => refused(['-n', 'e', ''], 'command is not specified'));

    it("an output inside another stage's output (05e out-inside-other-out)", () =>
      refused(
        ['-n', 'over', '-o', 'data/x.csv', 'echo over'],
        "The output paths:\n'data'('producer')\n'data/x.csv'('over')\noverlap and are thus in the same tracked directory.\nTo keep reproducibility, outputs should be in separate tracked directories or tracked individually.",
      ));

    it('an output listed twice (05e out-dup-same-stage)', () =>
      refused(
        ['-n', 'dup', '-o', 'z.txt', '-o', 'z.txt', 'echo dup'],
        `file '${path.join(repo, 'z.txt')}' is specified more than once.`,
      ));

    it('a dependency that is an output of the stage (05e dep-is-own-out)', () =>
      refused(
        ['-n', 'self', '-d', 'z.txt', '-o', 'z.txt', 'echo self'],
        `'${path.join(repo, 'z.txt')}' is specified as an output and as a dependency.`,
      ));

    it('a cached output outside the repository (05e out-outside-repo)', () =>
      refused(
        ['-n', 'ext', '-o', '../outside.txt', 'echo ext'],
        `Cached output(s) outside of DVC project: ${path.join(path.dirname(repo), 'outside.txt')}.\n  hint: the cache only holds outputs inside the project: move them in, or make them uncached (-O)`,
      ));

    it('an output in .dvc (05e out-dvc-dir)', () =>
      refused(
        ['-n', 'dd', '-o', '.dvc/x', 'echo x'],
        `Path '${path.join(repo, '.dvc', 'x')}' is ignored by :.dvc/`,
      ));

    it('a missing or outside working directory (05a add-wdir-missing, 05e wdir-outside)', async () => {
      await refused(
        ['-n', 'w', '-w', 'nope', '-o', 'x.txt', 'echo w'],
        `stage working dir '${path.join(repo, 'nope')}' does not exist`,
      );
      await refused(
        ['-n', 'wo', '-w', '..', '-o', 'x.txt', 'echo x'],
        `stage working dir '${path.dirname(repo)}' is outside of DVC repo`,
      );
    });

    it('an output git tracks (05e out-git-tracked; DVC writes dvc.yaml first, tvc does not)', async () => {
      write('tracked.txt', 'tracked\n');
      git('add', 'tracked.txt');
      await refused(
        ['-n', 'tr', '-o', 'tracked.txt', 'echo tracked'],
        " output 'tracked.txt' is already tracked by SCM (e.g. Git).\n    You can remove it from Git, then add to DVC.\n        To stop tracking from Git:\n            git rm -r --cached 'tracked.txt'\n            git commit -m \"stop tracking tracked.txt\" ",
      );
    });

    it('an output that overlaps one of another dvc.yaml, found by loading the whole pipeline', async () => {
      write('sub/dvc.yaml', 'stages:\n  inner:\n    cmd: echo\n    outs:\n    - out.txt\n');
      const result = await tvc(['stage', 'add', '-n', 'clash', '-o', 'sub/out.txt', 'echo clash']);
      expect(result.code).toBe(255);
      expect(result.stderr).toMatch(/out\.txt/);
      expect(read('dvc.yaml')).toBe(before);
      expect(readdirSync(repo).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    });

    it('a cycle made with -f (05e cycle-via-add)', async () => {
      expect(
        (await tvc(['stage', 'add', '-q', '-n', 'back', '-d', 'y.txt', '-o', 'data2', 'echo back'])).code,
      ).toBe(0);
      const after = read('dvc.yaml');
      const result = await tvc([
        'stage',
        'add',
        '-f',
        '-n',
        'single',
        '-d',
        'data2',
        '-o',
        'y.txt',
        'echo y',
      ]);
      expect(result.code).toBe(255);
      expect(result.stderr).toMatch(/cycle/);
      expect(read('dvc.yaml')).toBe(after);
    });
  });

  it('stages the files itself with core.autostage (05a add-autostage)', async () => {
    write('.dvc/config', '[core]\n    autostage = true\n');
    expect(await tvc(['stage', 'add', '-n', 'auto', '-o', 'auto.txt', 'echo auto'])).toEqual({
      code: 0,
      stdout: "Added stage 'auto' in 'dvc.yaml'\n",
      stderr: '',
    });
    expect(git('status', '--porcelain', '--', 'dvc.yaml', '.gitignore')).toBe('A  .gitignore\nA  dvc.yaml\n');
  });

  it('without git (init --no-scm): no .gitignore, no git hint (real DVC run)', async () => {
    const plain = mkdtempSync(path.join(tmpdir(), 'tvc-stage-add-noscm-'));
    try {
      expect((await tvc(['init', '-q', '--no-scm'], plain)).code).toBe(0);
      expect(await tvc(['stage', 'add', '-n', 'a', '-o', 'a.txt', 'echo a'], plain)).toEqual({
        code: 0,
        stdout: "Added stage 'a' in 'dvc.yaml'\n",
        stderr: '',
      });
      expect(readdirSync(plain).sort()).toEqual(['.dvc', '.dvcignore', 'dvc.yaml']);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
