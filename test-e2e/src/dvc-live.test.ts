import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dvcBinary, EXPECTED, GOLDEN_FIXTURES, TempRepo } from './harness';

/**
 * The differential suite: the same commands through the real DVC and through tvc, on the same
 * fixture projects, must print the same bytes. CI installs DVC (.ci/run); locally it is skipped
 * unless DVC is found.
 */
const binary = dvcBinary();
if (!binary) {
  if (process.env.CI)
    throw new Error('CI must run the differential suite, but DVC is not installed (.ci/run installs it)');
  console.log(
    'differential tests against DVC skipped: run `.ci/run` once (it installs DVC in .venv) or set TVC_DVC=/path/to/dvc',
  );
}

const fixtures = GOLDEN_FIXTURES;

describe.skipIf(!binary)('tvc and the real DVC print the same', () => {
  for (const fixture of fixtures) {
    describe(fixture, () => {
      let repo: TempRepo;
      beforeAll(async () => {
        repo = await TempRepo.create(fixture);
      });
      afterAll(() => repo.remove());

      const cases = readFileSync(path.join(EXPECTED, fixture, 'cases.tsv'), 'utf8')
        .split('\n')
        .filter(Boolean);
      for (const line of cases) {
        const [, cwd, args] = line.split('\t') as [string, string, string];
        it(`${cwd === '.' ? '' : `(in ${cwd}) `}${args}`, async () => {
          const dir = path.join(repo.dir, cwd);
          const { dvc, tvc } = await import('./harness');
          const [theirs, ours] = await Promise.all([
            dvc(dir, ...args.split(' ')),
            tvc(dir, ...args.split(' ')),
          ]);
          expect(ours.code).toBe(theirs.code);
          if (theirs.code === 0) expect(ours.stdout).toBe(theirs.stdout);
        });
      }
    });
  }
});
