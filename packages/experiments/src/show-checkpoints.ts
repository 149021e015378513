/** The longest checkpoint chain `exp show` walks. */
const MAX_CHECKPOINTS = 100_000;

/**
 * The checkpoints of an experiment below its tip, newest first: the tip's first-parent ancestors
 * down to the baseline (excluded). Empty for an experiment without checkpoints (its parent is the
 * baseline) and when the chain does not reach the baseline. `exp show` lists them under the
 * experiment as DVC 2 did (`│ ╓` tip, `│ ╟` checkpoints, `├─╨` the first).
 */
export async function checkpointsBelow(
  tip: string,
  baseline: string,
  parentOf: (sha: string) => Promise<string | undefined>,
): Promise<string[]> {
  const chain: string[] = [];
  let current = await parentOf(tip);
  while (current !== baseline) {
    if (current === undefined || chain.length >= MAX_CHECKPOINTS) return [];
    chain.push(current);
    current = await parentOf(current);
  }
  return chain;
}
