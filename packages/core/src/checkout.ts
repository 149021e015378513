import { existsSync } from 'node:fs';
import path from 'node:path';
import { LockFile } from './lockfile';
import { toPosix } from './paths';
import type { Tvc } from './tvc';
import { Workspace } from './workspace';

export interface CheckoutResult {
  /** Outputs put back from the cache, relative to the DVC root. */
  readonly restored: readonly string[];
  /** Outputs recorded with a hash whose object the cache lacks. */
  readonly missing: readonly string[];
}

/**
 * Puts back, from the cache, every cached output that dvc.lock or a `.dvc` file records with a
 * hash and that is absent from the workspace, as `dvc checkout --allow-missing` does before an
 * experiment runs in a fresh copy of the repository. Outputs present are left alone (even when they
 * differ: the reproduction decides), and objects the cache lacks are reported, not fatal.
 */
export async function checkoutRecorded(tvc: Tvc): Promise<CheckoutResult> {
  const pipeline = await tvc.loadPipeline();
  const workspace = new Workspace(tvc.root);
  const locks = new Map<string, Promise<LockFile>>();
  const restored: string[] = [];
  const missing: string[] = [];
  for (const stage of pipeline.stages) {
    let recorded: ReadonlyMap<string, { md5?: string; isexec?: boolean }>;
    if (stage.kind === 'data') {
      recorded = new Map(
        stage.outs.map((out) => [out.path, { md5: out.properties.md5 as string | undefined }] as const),
      );
    } else {
      const file = path.join(tvc.root, path.posix.dirname(stage.file), 'dvc.lock');
      let lock = locks.get(file);
      if (!lock) {
        lock = LockFile.read(file, toPosix(path.relative(tvc.root, file)), tvc.parsedValues);
        locks.set(file, lock);
      }
      const entry = (await lock).get(stage.name);
      recorded = new Map((entry?.outs ?? []).map((item) => [item.path, item] as const));
    }
    for (const out of stage.outs) {
      if (!out.cache || existsSync(out.absolute)) continue;
      const md5 = recorded.get(out.path)?.md5;
      if (typeof md5 !== 'string') continue;
      const display = out.repoPath ?? out.path;
      if ((await workspace.verify(md5, { beforeCheckout: true })) !== 'ok') {
        missing.push(display);
        continue;
      }
      await workspace.checkout(md5, out.absolute);
      restored.push(display);
    }
  }
  return { restored, missing };
}
