import type { Tvc } from '@tvc/core';
import { type CheckoutSummary, checkoutData } from './checkout';
import { fetchData } from './fetch';
import type { TransferSummary } from './push';
import type { RemoteDataOptions } from './remote';

export interface PullOptions extends RemoteDataOptions {
  /** Overwrite workspace changes that are not in the cache (checkout's `-f`). */
  readonly force?: boolean | undefined;
  /** Outputs whose objects are nowhere are skipped silently instead of failing the checkout. */
  readonly allowMissing?: boolean | undefined;
}

export interface PullSummary {
  readonly fetch: TransferSummary;
  readonly checkout: CheckoutSummary;
}

const NOTHING: CheckoutSummary = {
  added: [],
  modified: [],
  deleted: [],
  failed: [],
  stats: { added: 0, modified: 0, deleted: 0 },
};

/**
 * `tvc pull`: `tvc fetch`, then `tvc checkout` of the same targets. As DVC, nothing is checked
 * out when some objects failed to download (the caller reports them).
 */
export async function pullData(tvc: Tvc, options: PullOptions = {}): Promise<PullSummary> {
  const fetched = await fetchData(tvc, options, 'pull');
  if (fetched.failed.length > 0) return { fetch: fetched, checkout: NOTHING };
  const checkout = await checkoutData(tvc, options.targets ?? [], {
    force: options.force,
    recursive: options.recursive,
  });
  return { fetch: fetched, checkout: options.allowMissing ? { ...checkout, failed: [] } : checkout };
}
