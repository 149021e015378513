import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, comparisonDvc, FIXTURES, TempRepo } from './harness';

/**
 * Projects shaped like public DVC repositories (issue 17): each fixture under `fixtures/wild/`
 * reproduces one thing real projects do, and every command below must print what the real DVC
 * prints there, with the same exit code. A new fixture directory is picked up by itself.
 */
const binary = comparisonDvc('real-world-shaped projects');
const WILD = path.join(FIXTURES, 'wild');
const fixtures = readdirSync(WILD).sort();

const COMMANDS: readonly (readonly string[])[] = [
  ['stage', 'list'],
  // The plain `dag` drawing is tvc's own layered layout (DVC's grandalf layout routes edges
  // differently), so only its machine-readable forms are compared.
  ['dag', '--md'],
  ['dag', '--dot'],
  ['status'],
  ['status', '--json'],
  ['repro', '--dry'],
  ['repro', '--dry', '-f'],
  ['metrics', 'show', '--json'],
  ['plots', 'show', '--json'],
  // DVC orders params files and keys from Python sets here: `PYTHONHASHSEED=1…4` gives three
  // different orders of the same JSON, so it is compared with sorted keys (see `unordered`).
  ['params', 'diff', '--all', '--json'],
  ['exp', 'show', '--json'],
  ['exp', 'show', '--csv'],
];

/**
 * A deliberate difference is taken out: DVC ends a repro that did something with a push hint (tvc
 * with its own).
 * A fixture whose stages form a chain holds the intermediate files: DVC's `repro --dry` fails with
 * "No such file or directory" on a dependency that only an earlier stage would make.
 */
function comparable(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('Use `dvc push`') && !line.startsWith('Use `tvc push`'))
    .join('\n');
}

/** Commands whose JSON DVC prints in a hash-seed-dependent order. */
const UNORDERED = new Set(['params diff --all --json']);

describe.skipIf(!binary)('real-world-shaped projects: tvc prints what DVC prints', () => {
  for (const fixture of fixtures) {
    describe(fixture, () => {
      let repo: TempRepo;
      beforeAll(async () => {
        repo = await TempRepo.create(`wild/${fixture}`);
      });
      afterAll(() => repo.remove());

      for (const args of COMMANDS) {
        it(args.join(' '), async () => {
          const theirs = await repo.dvc(...args);
          const ours = await repo.tvc(...args);
          if (UNORDERED.has(args.join(' ')) && theirs.code === 0 && ours.code === 0) {
            expect(canonicalJson(ours.stdout)).toBe(canonicalJson(theirs.stdout));
            return;
          }
          expect({ code: ours.code, stdout: comparable(ours.stdout) }).toEqual({
            code: theirs.code,
            stdout: comparable(theirs.stdout),
          });
        });
      }
    });
  }
});
