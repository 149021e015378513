import type { Tvc } from '@tvc/core';
import { type CheckoutSummary, checkoutData } from './checkout';
import { fetchData } from './fetch';
import type { TransferSummary } from './push';
import type { RemoteDataOptions } from './remote';

export interface PullOptions extends RemoteDataOptions {
  /** Overwrite workspace changes that are not in the cache (checkout's `-f`). */
  readonly force?: boolean | undefined;
}

export interface PullSummary {
  readonly fetch: TransferSummary;
  readonly checkout: CheckoutSummary;
}

/** `tvc pull`: `tvc fetch`, then `tvc checkout` of the same targets. */
export async function pullData(tvc: Tvc, options: PullOptions = {}): Promise<PullSummary> {
  const fetched = await fetchData(tvc, options, 'pull');
  const checkout = await checkoutData(tvc, options.targets ?? [], {
    force: options.force,
    recursive: options.recursive,
  });
  return { fetch: fetched, checkout };
}
