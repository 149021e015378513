import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPool } from './pool.js';
import type { TreeRecord } from './protocol.js';
import { cleanup, temporaryDirectory } from './test-fixtures.js';

afterAll(cleanup);

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

describe("the main thread's lane", () => {
  it('hands on a run from its first file past 4 MiB read, and the rest of a tree after 256 files', async () => {
    const root = temporaryDirectory();
    mkdirSync(path.join(root, 'mixed'));
    const big = Buffer.alloc((4 << 20) + 1, 7);
    writeFileSync(path.join(root, 'mixed/a'), 'a');
    writeFileSync(path.join(root, 'mixed/b'), big);
    writeFileSync(path.join(root, 'mixed/c'), 'c');
    mkdirSync(path.join(root, 'tree/d0'), { recursive: true });
    mkdirSync(path.join(root, 'tree/d1'), { recursive: true });
    for (let index = 0; index < 300; index++)
      writeFileSync(path.join(root, `tree/d0/f${1000 + index}`), `${index}`);
    writeFileSync(path.join(root, 'tree/d1/f'), '');
    const pool = new WorkerPool(2);
    try {
      // an idle pool gives directory work to the main thread's lane first
      const run = await pool.run('run', ['a', 'b', 'c'], { root, dir: 'mixed', seg: 0, first: 0 });
      expect(Array.from(run.sizes)).toEqual([1]);
      expect(run.rest).toEqual(['b', 'c']);
      expect(Buffer.from(run.manifest).toString('latin1')).toBe(
        `, {"md5": "${md5('a')}", "relpath": "mixed/a"}`,
      );
      // a worker takes what the lane may not
      const rest = await pool.run('run', ['b', 'c'], {
        root,
        dir: 'mixed',
        seg: 0,
        first: 1,
        workersOnly: true,
      });
      expect(Array.from(rest.sizes)).toEqual([big.length, 1]);
      expect(rest.first).toBe(1);

      // No worker is busy: the lane gives away tree/d1 at once (the far end of its stack), hashes
      // one run of tree/d0 and hands back the other.
      const records: TreeRecord[] = [];
      await pool.run('tree', ['tree'], { root, onPartial: (batch) => records.push(...batch) });
      const kinds = records.map((record) => record.kind);
      expect(kinds).toEqual(['plan', 'dirs', 'plan', 'run', 'runs']);
      expect(records[1]).toEqual({ kind: 'dirs', dirs: ['tree/d1'], next: false });
      const [run0, handed] = [records[3], records[4]];
      if (run0?.kind !== 'run' || handed?.kind !== 'runs') throw new Error('unexpected records');
      expect(run0.sizes.length).toBe(256);
      expect(handed).toMatchObject({ dir: 'tree/d0', seg: 1, first: 0, large: false });
      expect(handed.names).toHaveLength(44);
    } finally {
      await pool.terminate();
    }
  });
});
