import { TvcError } from '@tvc/core';

/** The distributed queue's settings: the `queue` table of the tvc config, then the environment. */
export interface BullmqSettings {
  /** Where Redis is (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS). */
  readonly redis: string;
  /** The BullMQ queue's name: every project sharing a Redis needs its own. */
  readonly name: string;
  /** The git remote (name or URL) that carries queued commits and experiment refs. */
  readonly gitRemote: string;
  /** The DVC remote that carries inputs, outputs and the run-cache (default: the project's default remote). */
  readonly dataRemote: string | undefined;
  /** BullMQ's lock: a worker silent this long (killed, cut off) loses its job to another. */
  readonly lockDuration: number;
  /** How often workers look for jobs whose lock expired (BullMQ's `stalledInterval`). */
  readonly stalledInterval: number;
  /** How many times one job may be recovered from a dead worker before it fails. */
  readonly maxStalledCount: number;
}

export const DEFAULT_REDIS = 'redis://127.0.0.1:6379';

type Env = Readonly<Record<string, string | undefined>>;

function invalid(message: string, file: string | undefined): TvcError {
  return new TvcError('CONFIG_INVALID', `invalid tvc config: queue.${message}`, {
    ...(file ? { location: { file } } : {}),
  });
}

function text(value: unknown, key: string, file: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(`${key} must be a non-empty string`, file);
  return value;
}

function milliseconds(value: unknown, key: string, file: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
    throw invalid(`${key} must be a positive whole number, not ${JSON.stringify(value)}`, file);
  }
  return number;
}

/**
 * Reads the settings: `queue` in the tvc config (`redis`, `name`, `gitRemote`, `dataRemote`,
 * `lockDuration`, `stalledInterval`, `maxStalledCount`); `TVC_QUEUE_REDIS` overrides the Redis URL
 * (each host may reach Redis by another address), `TVC_QUEUE_LOCK_MS`/`TVC_QUEUE_STALLED_MS` the timings.
 */
export function readSettings(
  queue: Readonly<Record<string, unknown>> | undefined,
  env: Env,
  file?: string,
): BullmqSettings {
  const table = queue ?? {};
  const known = [
    'executor',
    'redis',
    'name',
    'gitRemote',
    'dataRemote',
    'lockDuration',
    'stalledInterval',
    'maxStalledCount',
  ];
  for (const key of Object.keys(table)) {
    if (!known.includes(key)) throw invalid(`${key} is not a setting (known: ${known.join(', ')})`, file);
  }
  const redis = env.TVC_QUEUE_REDIS || text(table.redis, 'redis', file) || DEFAULT_REDIS;
  if (!/^rediss?:\/\/[^/]/.test(redis)) {
    throw invalid(`redis must be a redis:// or rediss:// URL, not '${redis}'`, file);
  }
  const name = text(table.name, 'name', file) ?? 'tvc';
  if (name.includes(':')) throw invalid(`name must not contain ':' (BullMQ's key separator)`, file);
  return {
    redis,
    name,
    gitRemote: text(table.gitRemote, 'gitRemote', file) ?? 'origin',
    dataRemote: text(table.dataRemote, 'dataRemote', file),
    lockDuration: milliseconds(env.TVC_QUEUE_LOCK_MS ?? table.lockDuration, 'lockDuration', file, 30_000),
    stalledInterval: milliseconds(
      env.TVC_QUEUE_STALLED_MS ?? table.stalledInterval,
      'stalledInterval',
      file,
      30_000,
    ),
    maxStalledCount: milliseconds(table.maxStalledCount, 'maxStalledCount', file, 3),
  };
}

/** The git ref a queued commit travels under on the git remote. */
export function queuedRef(id: string): string {
  return `refs/tvc-queue/${id}`;
}
