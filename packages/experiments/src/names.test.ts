import { TvcError } from '@tvc/core';
import { afterAll, describe, expect, it } from 'vitest';
import { checkName, experimentExists, randomName, unusedRandomName } from './names';
import { TestRepo } from './test-git-repo';
import { ADJECTIVES, NOUNS } from './words';

describe('experiment names', () => {
  const repo = TestRepo.create();
  afterAll(() => repo.remove());

  it('draws adjective-noun names from DVC’s word lists', () => {
    for (let index = 0; index < 50; index++) {
      const name = randomName();
      const [adjective, ...rest] = name.split('-');
      expect(ADJECTIVES).toContain(adjective);
      expect(NOUNS).toContain(rest.join('-'));
    }
  });

  it('never returns a name already taken under the baseline', () => {
    const taken = new Set(Array.from({ length: 200 }, () => randomName()));
    for (let index = 0; index < 200; index++) expect(taken.has(unusedRandomName(taken))).toBe(false);
  });

  it('accepts names git can hold as refs', async () => {
    for (const name of ['exp-1', 'my_exp', 'v1.2', 'UPPER']) {
      await expect(checkName(repo.git, repo.head(), name)).resolves.toBeUndefined();
    }
  });

  it('refuses what git check-ref-format refuses, and `/`, with DVC’s message', async () => {
    for (const name of ['a..b', 'x/y', 'with space', 'end.lock', 'a~1', 'colon:', '', 'q?']) {
      const error = await checkName(repo.git, repo.head(), name).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(name)).toBeInstanceOf(TvcError);
      expect((error as TvcError).code).toBe('EXP_INVALID_NAME');
      expect((error as TvcError).message).toBe(
        `Invalid exp name ${name}, the exp name must follow rules in https://git-scm.com/docs/git-check-ref-format`,
      );
    }
  });

  it('names the command to force in the conflict error', () => {
    expect(experimentExists('x', 'save').message).toContain('tvc exp save -f ...');
    expect(experimentExists('x').message).toBe(
      "Experiment conflicts with existing experiment 'x'. To overwrite the existing experiment run:\n\n\ttvc exp run -f ...\n",
    );
  });
});
