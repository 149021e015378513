import { afterEach, describe, expect, it } from 'vitest';
import { TempRepo } from './harness';

let repo: TempRepo | undefined;
afterEach(async () => {
  await repo?.remove();
  repo = undefined;
});

describe('templated pipelines through the CLI', () => {
  it('repro and status of a foreach group name every generated stage', async () => {
    repo = await TempRepo.create('foreach');
    const dry = await repo.tvc('repro', '--dry', 'build');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("Running stage 'build@us':\n> echo build us > build-us.txt\n");
    expect(dry.stdout).toContain("Running stage 'build@eu':\n> echo build eu > build-eu.txt\n");
    expect(dry.stdout).not.toContain('convert@');

    const run = await repro(repo, 'build@eu');
    expect(run).toContain("Running stage 'build@eu'");
    expect(run).not.toContain("Running stage 'build@us'");
    const status = await repo.tvc('status', '--json', 'build');
    expect(Object.keys(JSON.parse(status.stdout))).toEqual(['build@us']);

    const rest = await repro(repo);
    expect(rest).toContain("Stage 'build@eu' didn't change, skipping");
    expect(rest).toContain("Running stage 'model@1':\n> sh train.sh rnn 2 > rnn.txt");
    expect(await repo.read('work/rnn.txt')).toBe('model rnn size 2\n');
    expect(await repo.read('dvc.lock')).toContain('  model@0:\n    cmd: sh train.sh cnn 1 > cnn.txt\n');
  });

  it('a changed var reruns only the stages whose command used it', async () => {
    repo = await TempRepo.create('matrix');
    await repro(repo);
    await repo.write('params.yaml', (await repo.read('params.yaml')).replace('depth: 8', 'depth: 9'));
    const status = await repo.tvc('status', '--json');
    expect(JSON.parse(status.stdout)).toEqual({
      'eval@cfg1-train': ['changed command'],
      'eval@cfg1-test': ['changed command'],
    });
    const again = await repro(repo);
    expect(again).toContain("Running stage 'eval@cfg1-test':\n> echo big 9 test > eval-cfg1-test.txt");
    expect(again).toContain("Stage 'eval@cfg0-test' didn't change, skipping");
  });

  it('a missing group member is not found, as DVC says', async () => {
    repo = await TempRepo.create('foreach');
    const result = await repo.tvc('stage', 'list', 'build@nope');
    expect(result.code).toBe(255);
    expect(result.stderr).toContain("ERROR: Stage 'build@nope' not found inside 'dvc.yaml' file");
  });
});

async function repro(current: TempRepo, ...targets: string[]): Promise<string> {
  const result = await current.tvc('repro', ...targets);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** Bad templating: DVC's message, with the file, line and column, and a non-zero exit. */
describe('templating problems through the CLI', () => {
  async function stageList(files: Record<string, string>) {
    repo = await TempRepo.create();
    for (const [file, text] of Object.entries(files)) await repo.write(file, text);
    return repo.tvc('stage', 'list');
  }

  it('a key defined in two vars files names both', async () => {
    const result = await stageList({
      'params.yaml': 'lr: 1\n',
      'extra.yaml': 'lr: 2\n',
      'dvc.yaml': 'vars:\n- extra.yaml\nstages:\n  a:\n    cmd: echo ${lr}\n',
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      "ERROR: dvc.yaml:2:3: failed to parse 'vars' in 'dvc.yaml':\ncannot redefine 'lr' from 'extra.yaml' as it already exists in 'params.yaml'",
    );
  });

  it('a missing key names the expression and the stage field', async () => {
    const result = await stageList({
      'params.yaml': 'train: {lr: 1}\n',
      'dvc.yaml': 'stages:\n  a:\n    cmd: echo ${train.epochs}\n',
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      "ERROR: dvc.yaml:3:10: failed to parse 'stages.a.cmd' in 'dvc.yaml': Could not find 'train.epochs'",
    );
  });

  it('a list interpolated into text, and every problem of the file together', async () => {
    const result = await stageList({
      'params.yaml': 'layers: [1, 2]\n',
      'dvc.yaml':
        'stages:\n  a:\n    cmd: echo x ${layers}\n  b:\n    foreach: [x]\n    do:\n      cmd: echo ${nope}\n',
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain(
      "dvc.yaml:3:10: failed to parse 'stages.a.cmd' in 'dvc.yaml':\nCannot interpolate data of type 'list'",
    );
    expect(result.stderr).toContain(
      "dvc.yaml:7:12: failed to parse 'stages.b@x.cmd' in 'dvc.yaml': Could not find 'nope'",
    );
  });
});
