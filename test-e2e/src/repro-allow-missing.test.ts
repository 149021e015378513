import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparisonDvc, TempRepo } from './harness';

/**
 * `repro --allow-missing` in a fresh clone whose data was never pulled: stages whose only change
 * is missing data are skipped, as DVC skips them; a stage whose command changed still runs.
 */
const DVC = comparisonDvc('repro --allow-missing');

describe('repro --allow-missing in a clone without its data', () => {
  let origin: TempRepo;
  let clone: TempRepo;
  beforeAll(async () => {
    origin = await TempRepo.create();
    await origin.write('raw.txt', 'raw\n');
    expect((await origin.tvc('add', '-q', 'raw.txt')).code).toBe(0);
    await origin.write(
      'dvc.yaml',
      'stages:\n  a:\n    cmd: cat raw.txt > a.txt\n    deps: [raw.txt]\n    outs: [a.txt]\n' +
        '  b:\n    cmd: cat a.txt > b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n',
    );
    expect((await origin.tvc('repro', '-q')).code).toBe(0);
    await origin.git('add', '-A');
    await origin.git('commit', '-q', '-m', 'pipeline');
    clone = await TempRepo.create(undefined, { init: false, commit: false });
    await clone.git('pull', '-q', origin.dir, 'main');
  });
  afterAll(async () => {
    await origin.remove();
    await clone.remove();
  });

  it('without the flag, a dry run stops at the missing data, as DVC 3.67.1 does', async () => {
    const result = await clone.tvc('repro', '--dry');
    expect(result.code, result.stderr).toBe(255);
    expect(result.stderr).toContain("failed to reproduce 'a'");
    expect(result.stderr).toContain('raw.txt');
    if (DVC) expect((await clone.dvc('repro', '--dry')).code).toBe(255);
  });

  for (const args of [
    ['repro', '--allow-missing', '--dry'],
    ['repro', '--allow-missing'],
  ]) {
    it(`tvc ${args.join(' ')} skips every stage, as DVC`, async () => {
      const ours = await clone.tvc(...args);
      expect(ours.code, ours.stderr).toBe(0);
      expect(ours.stdout).toBe(
        "'raw.txt.dvc' didn't change, skipping\nStage 'a' didn't change, skipping\n" +
          "Stage 'b' didn't change, skipping\nData and pipelines are up to date.\n",
      );
      if (DVC) expect(ours.stdout).toBe((await clone.dvc(...args)).stdout);
      expect(await clone.git('status', '--porcelain')).toBe('');
    });
  }

  it('a stage whose command changed is still reproduced', async () => {
    const yaml = await clone.read('dvc.yaml');
    await clone.write('dvc.yaml', yaml.replace('cat a.txt > b.txt', 'cat a.txt a.txt > b.txt'));
    try {
      // DVC 3.67.1 skips 'a', then its dry run stops at b's missing input (a.txt, never pulled)
      const ours = await clone.tvc('repro', '--allow-missing', '--dry');
      expect(ours.code, ours.stderr).toBe(255);
      expect(ours.stdout).toContain("Stage 'a' didn't change, skipping");
      expect(ours.stderr).toContain("failed to reproduce 'b'");
      expect(ours.stderr).toContain('a.txt');
      if (DVC) {
        const theirs = await clone.dvc('repro', '--allow-missing', '--dry');
        expect(theirs.code).toBe(255);
        expect(theirs.stdout).toContain("Stage 'a' didn't change, skipping");
      }
      // run for real, b is reproduced: its command changed
      const real = await clone.tvc('repro', '--allow-missing', '-f', 'b', '--dry');
      expect(real.stdout).toContain("Running stage 'b':\n> cat a.txt a.txt > b.txt");
    } finally {
      await clone.write('dvc.yaml', yaml);
    }
  });
});
