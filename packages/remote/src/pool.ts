import { availableParallelism } from 'node:os';
import { RemoteError } from './errors';

/** DVC's default number of transfer jobs: 4 × the number of CPUs. */
export function defaultJobs(): number {
  return 4 * availableParallelism();
}

/** Runs `work` over `items` with at most `jobs` at a time; resolves when all settled. */
export async function eachLimited<T>(
  items: Iterable<T>,
  jobs: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (failure) return;
      const next = iterator.next();
      if (next.done) return;
      try {
        await work(next.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.floor(jobs)) }, worker));
  if (failure) throw failure.error;
}

export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  readonly attempts?: number | undefined;
  /** The first backoff's upper bound in ms (default 200); doubled each attempt. */
  readonly baseDelayMs?: number | undefined;
  /** The largest backoff in ms (default 10 000). */
  readonly maxDelayMs?: number | undefined;
  /** Waits `ms` (tests pass a fake). */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Called before each retry, with the error and the attempt that failed (1-based). */
  readonly onRetry?: ((error: RemoteError, attempt: number) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation` until it succeeds, retrying a {@link RemoteError} marked `retryable` with
 * exponential backoff and full jitter (a random wait below min(max, base × 2^attempt)), at most
 * `attempts` times. Anything else, and the last failure, is thrown.
 */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 10_000;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof RemoteError) || !error.retryable || attempt >= attempts) throw error;
      if (options.signal?.aborted) throw error;
      options.onRetry?.(error, attempt);
      await sleep(Math.random() * Math.min(max, base * 2 ** (attempt - 1)));
    }
  }
}
