import type {
  Executor,
  ExperimentContext,
  ExperimentOutcome,
  ExperimentSource,
  ExperimentTask,
} from '@tvc/core';
import { describe, expect, it } from 'vitest';
import { ParallelExecutor } from './parallel-executor';

const context: ExperimentContext = { scmRoot: '/r', dvcRoot: '/r', cacheDir: '/r/.dvc/cache', log: () => {} };
const task = (id: string): ExperimentTask => ({ id, name: id, baseline: 'b', rev: id, repro: {} });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An executor that takes `ms` per experiment and records how many ran at once. */
function timedExecutor(ms: number, fail: ReadonlySet<string> = new Set()) {
  const stats = { running: 0, peak: 0, order: [] as string[] };
  const executor: Executor = {
    specificationVersion: 'v1',
    name: 'fake',
    supports: () => true,
    run: async () => ({ failedCommand: undefined, exitCode: 0, signal: null }),
    runExperiment: async (t) => {
      stats.running++;
      stats.peak = Math.max(stats.peak, stats.running);
      stats.order.push(t.id);
      await sleep(ms);
      stats.running--;
      if (fail.has(t.id)) throw new Error(`boom ${t.id}`);
      return { status: 'success', ref: `refs/exps/x/${t.id}` };
    },
  };
  return { executor, stats };
}

function listSource(ids: string[], executor: Executor, stopping = () => false) {
  const pending = [...ids];
  const outcomes = new Map<string, ExperimentOutcome>();
  const source: ExperimentSource & { pending: string[] } = {
    pending,
    pollMs: 10,
    stopping,
    next: async () => {
      const id = pending.shift();
      return id === undefined ? undefined : { task: task(id), context, executor };
    },
    finished: async (t, outcome) => {
      outcomes.set(t.id, outcome);
    },
  };
  return { source, outcomes };
}

const pool = () => new ParallelExecutor({ executor: () => undefined } as never);

describe('ParallelExecutor.runMany', () => {
  it('runs every experiment, never more than jobs at once', async () => {
    const { executor, stats } = timedExecutor(30);
    const { source, outcomes } = listSource(['a', 'b', 'c', 'd', 'e'], executor);
    await pool().runMany(source, { jobs: 2 });
    expect([...outcomes.keys()].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(stats.peak).toBe(2);
    expect(stats.order).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('starts experiments that appear while others run', async () => {
    const { executor } = timedExecutor(40);
    const { source, outcomes } = listSource(['a'], executor);
    setTimeout(() => source.pending.push('late'), 10);
    await pool().runMany(source, { jobs: 2 });
    expect([...outcomes.keys()]).toEqual(['a', 'late']);
  });

  it('turns a throwing executor into a failed outcome and goes on', async () => {
    const { executor } = timedExecutor(5, new Set(['b']));
    const { source, outcomes } = listSource(['a', 'b', 'c'], executor);
    await pool().runMany(source, { jobs: 1 });
    expect(outcomes.get('b')).toEqual({
      status: 'failed',
      error: { code: 'EXECUTOR_ERROR', message: 'boom b' },
    });
    expect(outcomes.get('c')?.status).toBe('success');
  });

  it('starts nothing more once stopping, and waits for the running ones', async () => {
    const { executor } = timedExecutor(30);
    let stop = false;
    const { source, outcomes } = listSource(['a', 'b', 'c'], executor, () => stop);
    setTimeout(() => {
      stop = true;
    }, 10);
    await pool().runMany(source, { jobs: 1 });
    expect([...outcomes.keys()]).toEqual(['a']);
    expect(source.pending).toEqual(['b', 'c']);
  });
});
