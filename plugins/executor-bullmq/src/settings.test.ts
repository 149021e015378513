import { describe, expect, it } from 'vitest';
import { DEFAULT_REDIS, queuedRef, readSettings } from './settings';

describe('readSettings', () => {
  it('has defaults for everything', () => {
    expect(readSettings(undefined, {})).toEqual({
      redis: DEFAULT_REDIS,
      name: 'tvc',
      gitRemote: 'origin',
      dataRemote: undefined,
      lockDuration: 30_000,
      stalledInterval: 30_000,
      maxStalledCount: 3,
    });
  });

  it('takes the config, and the environment over it', () => {
    const settings = readSettings(
      {
        executor: 'bullmq',
        redis: 'redis://queue.lan:6380/2',
        name: 'proj',
        dataRemote: 's3',
        lockDuration: 5000,
      },
      { TVC_QUEUE_REDIS: 'rediss://10.0.0.5:6379', TVC_QUEUE_STALLED_MS: '700' },
    );
    expect(settings).toMatchObject({
      redis: 'rediss://10.0.0.5:6379',
      name: 'proj',
      dataRemote: 's3',
      lockDuration: 5000,
      stalledInterval: 700,
    });
  });

  it('refuses bad values with the config file named', () => {
    expect(() => readSettings({ redis: 'localhost:6379' }, {}, '/p/tvc.config.json')).toThrow(
      /queue\.redis must be a redis:\/\/ or rediss:\/\/ URL/,
    );
    expect(() => readSettings({ lockDuration: -1 }, {})).toThrow(
      /lockDuration must be a positive whole number/,
    );
    expect(() => readSettings({ redisUrl: 'x' }, {})).toThrow(/redisUrl is not a setting/);
    expect(() => readSettings({ name: 'a:b' }, {})).toThrow(/must not contain ':'/);
  });

  it('names the ref a queued commit travels under', () => {
    expect(queuedRef('abc')).toBe('refs/tvc-queue/abc');
  });
});
