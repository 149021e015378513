import { TvcError } from '@tvc/core';
import type { Git } from './git';

/** Where DVC keeps experiments: `refs/exps/<baseline sha[:2]>/<baseline sha[2:]>/<name>`. */
export const EXPS_NAMESPACE = 'refs/exps';
/** Set by `exp apply` (DVC): the commit applied last. */
export const EXEC_APPLY = 'refs/exps/exec/EXEC_APPLY';
/** Set by `exp apply` (DVC): HEAD when the experiment was applied. */
export const APPLY_HEAD = 'refs/exps/apply/ORIG_HEAD';

/** Namespaces under refs/exps that hold no experiments (DVC's ITER_SKIP_NAMESPACES) and its stashes. */
const SKIPPED = ['refs/exps/apply/', 'refs/exps/celery/', 'refs/exps/exec/', 'refs/exps/temp/'];
const STASHES = new Set(['refs/exps/stash', 'refs/exps/celery/stash']);

/** An experiment: its ref, baseline, name and commit. */
export interface ExpRef {
  readonly ref: string;
  readonly baseline: string;
  readonly name: string;
  /** The experiment's commit. */
  readonly sha: string;
}

/** `refs/exps/ab/cdef…/<name>`. */
export function expRefName(baseline: string, name: string): string {
  return `${EXPS_NAMESPACE}/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`;
}

/** The baseline and name of an experiment ref, or undefined when `ref` is not one. */
export function parseExpRef(ref: string): { baseline: string; name: string } | undefined {
  if (STASHES.has(ref) || SKIPPED.some((prefix) => ref.startsWith(prefix))) return undefined;
  const parts = ref.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== EXPS_NAMESPACE) return undefined;
  return { baseline: `${parts[2]}${parts[3]}`, name: parts[4]! };
}

/** Every experiment of the repository, read with one `git for-each-ref`. */
export async function listExperiments(git: Git): Promise<ExpRef[]> {
  const out = await git.raw(['for-each-ref', '--format=%(objectname) %(refname)', `${EXPS_NAMESPACE}/`]);
  const experiments: ExpRef[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const space = line.indexOf(' ');
    const ref = line.slice(space + 1);
    const parsed = parseExpRef(ref);
    if (parsed) experiments.push({ ref, sha: line.slice(0, space), ...parsed });
  }
  return experiments;
}

/**
 * Finds an experiment as DVC does: a full ref (`refs/exps/…`), else a name (when several
 * baselines have it, the one based on HEAD; otherwise an error listing the refs), else a commit
 * (sha or prefix, or any revision) that is an experiment's tip. Undefined when nothing matches.
 */
export async function findExperiment(
  git: Git,
  query: string,
  experiments?: readonly ExpRef[],
): Promise<ExpRef | undefined> {
  const all = experiments ?? (await listExperiments(git));
  if (query.startsWith('refs/')) return all.find((exp) => exp.ref === query);
  const named = all.filter((exp) => exp.name === query);
  if (named.length === 1) return named[0];
  if (named.length > 1) {
    const head = await git.resolveCommit('HEAD');
    const onHead = named.find((exp) => exp.baseline === head);
    if (onHead) return onHead;
    throw new TvcError(
      'EXP_AMBIGUOUS',
      [
        `Ambiguous name '${query}' refers to multiple experiments. Use one of the following full refnames instead:`,
        '',
        ...named.map((exp) => `\t${exp.ref}`),
      ].join('\n'),
    );
  }
  if (/^[0-9a-f]{4,40}$/i.test(query)) {
    const bySha = all.filter((exp) => exp.sha.startsWith(query.toLowerCase()));
    const shas = new Set(bySha.map((exp) => exp.sha));
    if (shas.size === 1) return pickOne(query, bySha);
  }
  const sha = await git.resolveCommit(query);
  if (sha) {
    const tips = all.filter((exp) => exp.sha === sha);
    if (tips.length > 0) return pickOne(query, tips);
  }
  return undefined;
}

function pickOne(query: string, tips: readonly ExpRef[]): ExpRef {
  if (tips.length > 1) {
    throw new TvcError(
      'EXP_AMBIGUOUS',
      [
        `Ambiguous commit '${query.slice(0, 7)}' belongs to multiple experiment branches:`,
        '',
        ...tips.map((exp) => `\t${exp.ref}`),
      ].join('\n'),
    );
  }
  return tips[0]!;
}

/** {@link findExperiment}, with DVC's error when nothing matches. */
export async function resolveExperiment(
  git: Git,
  query: string,
  experiments?: readonly ExpRef[],
): Promise<ExpRef> {
  const found = await findExperiment(git, query, experiments);
  if (!found) throw new TvcError('EXP_NOT_FOUND', `'${query}' is not a valid experiment name`);
  return found;
}
