import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dvcBinary, listFiles, type RunResult, TempRepo } from './harness';

/**
 * The differential suite: each fixture is reproduced by the real DVC in one copy and by tvc in
 * another; after the first run and after each edit (a param, a dependency, a command, a deleted
 * output) both copies must hold the same bytes — every dvc.lock, .dvc file and .gitignore, the
 * cache objects and run-cache entries — report the same `status --json`, and each tool must
 * agree with the other's result. `dag --dot` and `--mermaid` are compared too.
 */
const binary = dvcBinary();

type Edit = { readonly name: string; readonly apply: (repo: TempRepo) => Promise<void> };

const replaceIn =
  (file: string, from: string, to: string): Edit['apply'] =>
  async (repo) => {
    const text = await repo.read(file);
    if (!text.includes(from)) throw new Error(`${file} has no '${from}'`);
    await repo.write(file, text.replace(from, to));
  };
const appendTo =
  (file: string, text: string): Edit['apply'] =>
  async (repo) => {
    await repo.write(file, (await repo.read(file)) + text);
  };
const remove =
  (file: string): Edit['apply'] =>
  async (repo) => {
    await rm(repo.path(file), { recursive: true, force: true });
  };

interface Case {
  readonly fixture: string;
  readonly edits: readonly Edit[];
  /** Both tools fail to reproduce it (a frozen stage without outputs, a missing dependency). */
  readonly fails?: boolean;
}

const cases: readonly Case[] = [
  {
    fixture: 'chain',
    edits: [
      {
        name: 'a declared param',
        apply: replaceIn('params.yaml', 'learning_rate: 0.01', 'learning_rate: 0.03'),
      },
      { name: 'an undeclared param', apply: replaceIn('params.yaml', 'log_every: 5', 'log_every: 7') },
      { name: 'a dependency', apply: appendTo('raw.txt', 'more\n') },
      { name: 'a command', apply: replaceIn('dvc.yaml', 'cmd: sh evaluate.sh', 'cmd: sh ./evaluate.sh') },
      { name: 'a deleted output', apply: remove('model.txt') },
    ],
  },
  {
    fixture: 'dir-outputs',
    edits: [
      { name: 'a JSON param', apply: replaceIn('config.json', '"threshold": 1.0', '"threshold": 2.5') },
      { name: 'a whole-file YAML param', apply: replaceIn('whole.yaml', 'rate: 1e-05', 'rate: 2e-05') },
      { name: 'a dependency', apply: appendTo('input.txt', 'zeta\n') },
      { name: 'a deleted directory output', apply: remove('parts') },
    ],
  },
  {
    fixture: 'data-source',
    edits: [
      { name: 'a tracked file', apply: appendTo('data/raw.csv', '4,40\n') },
      { name: 'a tracked directory', apply: appendTo('images/img1.txt', 'more\n') },
      { name: 'a deleted output', apply: remove('summary.txt') },
    ],
  },
  {
    fixture: 'wdir-stages',
    edits: [
      { name: 'a param beside the wdir', apply: replaceIn('src/params.yaml', 'lr: 0.3', 'lr: 0.4') },
      { name: 'a dependency outside the wdir', apply: appendTo('conf/base.txt', 'more\n') },
      { name: 'a deleted output', apply: remove('package.txt') },
    ],
  },
  {
    fixture: 'flags',
    edits: [
      { name: 'a dependency', apply: appendTo('input.txt', 'more\n') },
      { name: 'a deleted metric', apply: remove('metrics.json') },
      {
        name: 'a command',
        apply: replaceIn('dvc.yaml', 'cmd: echo entry >> history.txt', 'cmd: echo entry2 >> history.txt'),
      },
    ],
  },
  {
    fixture: 'fan-out',
    edits: [
      { name: 'the source', apply: appendTo('seed.txt', '2\n') },
      { name: 'a command', apply: replaceIn('dvc.yaml', "awk '$1 % 2 == 0'", "awk '$1 % 2 == 0 && $1 > 2'") },
      { name: 'a deleted output', apply: remove('squares.txt') },
    ],
  },
  {
    fixture: 'pipelines-in-subdirs',
    edits: [
      {
        name: 'a command in a sub-pipeline',
        apply: replaceIn('sub/dvc.yaml', 'echo solo > solo.txt', 'echo solo2 > solo.txt'),
      },
      { name: 'a deleted output upstream', apply: remove('a2.txt') },
    ],
  },
  {
    fixture: 'legacy-lock',
    edits: [
      { name: 'a CRLF dependency', apply: appendTo('crlf.txt', 'c\r\n') },
      { name: 'a deleted output', apply: remove('upper.txt') },
    ],
  },
  {
    fixture: 'params-python',
    edits: [
      { name: 'a declared Python param', apply: replaceIn('params.py', 'LR = 0.001', 'LR = 0.002') },
      {
        name: 'an attribute set in __init__',
        apply: replaceIn('params.py', 'self.momentum = 0.9', 'self.momentum = 0.95'),
      },
      {
        name: 'a key only the whole-file stage reads',
        apply: replaceIn('params.py', "NAME = 'baseline'", "NAME = 'other'"),
      },
    ],
  },
  {
    fixture: 'params-toml',
    edits: [
      { name: 'a declared TOML param', apply: replaceIn('config.toml', 'lr = 0.001', 'lr = 0.002') },
      { name: 'a key inside a declared table', apply: replaceIn('config.toml', 'depth = 3', 'depth = 4') },
      {
        name: 'a key only the whole-file stage reads',
        apply: replaceIn('config.toml', 'split = 0.2', 'split = 0.3'),
      },
    ],
  },
  {
    fixture: 'templating',
    edits: [
      {
        name: 'a var used in a command and as a param',
        apply: replaceIn('params.yaml', 'epochs: 3', 'epochs: 4'),
      },
      { name: 'a var used only in a command', apply: replaceIn('config/data.yaml', 'seed: 42', 'seed: 7') },
      { name: 'a dict expanded into a command', apply: replaceIn('params.yaml', 'depth: 2', 'depth: 3') },
      {
        name: 'an unused key of a vars file',
        apply: replaceIn('config/data.yaml', 'unused: 1', 'unused: 2'),
      },
      { name: 'a dependency', apply: appendTo('raw.txt', 'gamma\n') },
      { name: 'a deleted output', apply: remove('model.bin') },
    ],
  },
  {
    fixture: 'foreach',
    edits: [
      { name: 'a foreach item used in a command', apply: replaceIn('params.yaml', 'size: 2', 'size: 5') },
      { name: 'a param named by ${item}', apply: replaceIn('work/params.yaml', 'lr: 0.1', 'lr: 0.3') },
      { name: 'a dependency of a generated stage', apply: appendTo('a.txt', 'more\n') },
      { name: 'a deleted output', apply: remove('build-us.txt') },
    ],
  },
  {
    fixture: 'matrix',
    edits: [
      { name: 'a matrix value used in a command', apply: replaceIn('params.yaml', 'depth: 8', 'depth: 9') },
      {
        name: 'a matrix axis',
        apply: replaceIn('dvc.yaml', 'split: [train, test]', 'split: [train, test, dev]'),
      },
      { name: 'a deleted upstream output', apply: remove('train-cnn-0.1.txt') },
    ],
  },
  { fixture: 'diamond', edits: [{ name: 'a deleted output', apply: remove('b.txt') }] },
  {
    fixture: 'skip-edge',
    edits: [{ name: 'a command', apply: replaceIn('dvc.yaml', 'echo p > p.txt', 'echo pp > p.txt') }],
  },
  { fixture: 'frozen', edits: [], fails: true },
  { fixture: 'dir-deps', edits: [], fails: true },
  { fixture: 'empty', edits: [], fails: true },
  { fixture: 'third-party-plugin', edits: [], fails: true },
  { fixture: 'get-started', edits: [], fails: true },
];

/** Every file DVC's format covers: lock files, .dvc files, .gitignore files, cache objects and run-cache entries. */
async function state(repo: TempRepo): Promise<Record<string, string>> {
  const files = (await listFiles(repo.dir)).filter(
    (file) =>
      !file.startsWith('.git/') &&
      !file.startsWith('.dvc/tmp/') &&
      (file.endsWith('dvc.lock') ||
        file.endsWith('.dvc') ||
        file.endsWith('.gitignore') ||
        file.startsWith('.dvc/cache/')),
  );
  const entries = await Promise.all(
    files.map(
      async (file) =>
        [file, file.startsWith('.dvc/cache/files/') ? '' : await readFile(repo.path(file), 'utf8')] as const,
    ),
  );
  return Object.fromEntries(entries);
}

function describeRun(result: RunResult): string {
  return `exit ${result.code}\n${result.stdout}\n${result.stderr}`;
}

describe.skipIf(!binary)('differential: the real DVC and tvc on the same projects', () => {
  for (const testCase of cases) {
    describe(testCase.fixture, () => {
      let theirs: TempRepo;
      let ours: TempRepo;

      const reproBoth = async () => {
        const [dvcRun, tvcRun] = await Promise.all([theirs.dvc('repro'), ours.tvc('repro')]);
        if (testCase.fails) {
          expect(dvcRun.code, describeRun(dvcRun)).not.toBe(0);
          expect(tvcRun.code, describeRun(tvcRun)).not.toBe(0);
        } else {
          expect(dvcRun.code, describeRun(dvcRun)).toBe(0);
          expect(tvcRun.code, describeRun(tvcRun)).toBe(0);
        }
      };

      const expectSame = async () => {
        expect(await state(ours)).toEqual(await state(theirs));
        if (testCase.fails) return;
        const [dvcOnOurs, tvcOnTheirs] = await Promise.all([
          ours.dvc('status', '--json'),
          theirs.tvc('status', '--json'),
        ]);
        expect(dvcOnOurs.stdout, 'dvc status on what tvc wrote').toBe(
          (await theirs.dvc('status', '--json')).stdout,
        );
        expect(tvcOnTheirs.stdout, 'tvc status on what dvc wrote').toBe(
          (await ours.tvc('status', '--json')).stdout,
        );
      };

      beforeAll(async () => {
        [theirs, ours] = await Promise.all([
          TempRepo.create(testCase.fixture),
          TempRepo.create(testCase.fixture),
        ]);
      });
      afterAll(async () => {
        await Promise.all([theirs.remove(), ours.remove()]);
      });

      it('status before anything ran', async () => {
        const [dvcStatus, tvcStatus] = await Promise.all([
          theirs.dvc('status', '--json'),
          ours.tvc('status', '--json'),
        ]);
        expect(tvcStatus.stdout).toBe(dvcStatus.stdout);
      });

      it('dag --dot and --mermaid', async () => {
        for (const flag of ['--dot', '--mermaid']) {
          const [dvcDag, tvcDag] = await Promise.all([theirs.dvc('dag', flag), ours.tvc('dag', flag)]);
          expect(tvcDag.stdout, flag).toBe(dvcDag.stdout);
        }
      });

      it('the first repro writes the same files', async () => {
        await reproBoth();
        await expectSame();
      });

      for (const edit of testCase.edits) {
        it(`after editing ${edit.name}: the same status, then the same files after repro`, async () => {
          await Promise.all([edit.apply(theirs), edit.apply(ours)]);
          const [dvcStatus, tvcStatus] = await Promise.all([
            theirs.dvc('status', '--json'),
            ours.tvc('status', '--json'),
          ]);
          expect(tvcStatus.stdout).toBe(dvcStatus.stdout);
          await reproBoth();
          await expectSame();
        });
      }
    });
  }
});
