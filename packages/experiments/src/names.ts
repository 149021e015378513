import { randomInt } from 'node:crypto';
import { TvcError } from '@tvc/core';
import type { Git } from './git';
import { expRefName } from './refs';
import { ADJECTIVES, NOUNS } from './words';

/** A random `adjective-noun` name from DVC's word lists. */
export function randomName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}`;
}

/** A random name not yet used under `baseline` (`taken` holds the names used there). */
export function unusedRandomName(taken: ReadonlySet<string>): string {
  for (;;) {
    const name = randomName();
    if (!taken.has(name)) return name;
  }
}

/** Refuses a name git cannot hold as a ref, or one with `/` (DVC forbids it too). */
export async function checkName(git: Git, baseline: string, name: string): Promise<void> {
  const { code } = await git.withInput(['check-ref-format', expRefName(baseline, name)], '');
  if (code !== 0 || name.includes('/') || name.length === 0) {
    throw new TvcError(
      'EXP_INVALID_NAME',
      `Invalid exp name ${name}, the exp name must follow rules in https://git-scm.com/docs/git-check-ref-format`,
    );
  }
}

/**
 * The name an experiment gets: `requested` once it is a valid ref name and not taken under the
 * baseline (unless `force`), else a random unused `adjective-noun`. `command` names the command in
 * the error for a taken name.
 */
export async function chooseName(
  git: Git,
  baseline: string,
  taken: ReadonlySet<string>,
  requested: string | undefined,
  options: { readonly force?: boolean | undefined; readonly command?: string } = {},
): Promise<string> {
  if (requested === undefined) return unusedRandomName(taken);
  await checkName(git, baseline, requested);
  if (taken.has(requested) && !options.force) throw experimentExists(requested, options.command);
  return requested;
}

/** DVC's error for a name already used under the baseline. */
export function experimentExists(name: string, command = 'run'): TvcError {
  return new TvcError(
    'EXP_EXISTS',
    `Experiment conflicts with existing experiment '${name}'. To overwrite the existing experiment run:\n\n\ttvc exp ${command} -f ...\n`,
  );
}
