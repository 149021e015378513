import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPECTED, GOLDEN_FIXTURES, TempRepo } from './harness';

/**
 * Each fixture's cases.tsv lists commands run once with the real DVC 3.67.1 (name, cwd, arguments,
 * exit code), and `<name>.stdout` what DVC printed. tvc must print the same bytes. The live
 * differential suite (dvc-live.test.ts) re-checks these against DVC itself when it is installed.
 */
const fixtures = GOLDEN_FIXTURES;

interface Case {
  readonly name: string;
  readonly cwd: string;
  readonly args: string[];
  readonly code: number;
}

function cases(fixture: string): Case[] {
  return readFileSync(path.join(EXPECTED, fixture, 'cases.tsv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, cwd, args, code] = line.split('\t') as [string, string, string, string];
      return { name, cwd, args: args.split(' '), code: Number(code) };
    });
}

for (const fixture of fixtures) {
  describe(`same output as DVC: ${fixture}`, () => {
    let repo: TempRepo;
    beforeAll(async () => {
      repo = await TempRepo.create(fixture);
    });
    afterAll(() => repo.remove());

    for (const testCase of cases(fixture)) {
      it(`${testCase.cwd === '.' ? '' : `(in ${testCase.cwd}) `}tvc ${testCase.args.join(' ')}`, async () => {
        const result = await repo.tvcIn(testCase.cwd, ...testCase.args);
        expect(result.code, result.stderr).toBe(testCase.code);
        if (testCase.code === 0) {
          const want = readFileSync(path.join(EXPECTED, fixture, `${testCase.name}.stdout`), 'utf8');
          expect(result.stdout).toBe(want);
        } else {
          expect(result.stderr).toMatch(/^ERROR: /);
        }
      });
    }
  });
}
