import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processGroup, processStartTime, processTree } from './process-tree';
import { ownerRunning } from './repo-lock';

/**
 * Where tvc records the stage commands it is running, one JSON file per stage (a tvc file, not
 * a DVC one). A record outlives its tvc only when tvc was killed (SIGKILL, a crash): the next
 * `repro`/`status` then finds the command still running or its outputs half-written.
 */
export const RUNNING_DIR = path.join('.dvc', 'tmp', 'tvc-running');

export interface RunningRecord {
  /** The stage's addressing (`train`, `sub/dvc.yaml:train`). */
  readonly stage: string;
  readonly command: string;
  /** The command's shell. */
  readonly pid: number;
  readonly pidStart?: string | undefined;
  /** The tvc process that runs it. */
  readonly owner: number;
  readonly ownerStart?: string | undefined;
  /** The process group both are in (Linux). */
  readonly pgid?: number | undefined;
  readonly since: string;
}

/**
 * A recorded run as found now: `running` (its tvc is alive: a run in progress), `orphaned` (its
 * tvc is gone, the command still runs and may still write the outputs) or `interrupted` (both
 * are gone: the command may not have finished its outputs, and nothing recorded them).
 */
export interface StaleRun {
  readonly record: RunningRecord;
  readonly state: 'running' | 'orphaned' | 'interrupted';
  /** For `orphaned`: the command's processes (its shell first). */
  readonly pids: readonly number[];
}

function recordFile(root: string, stage: string): string {
  return path.join(root, RUNNING_DIR, `${encodeURIComponent(stage)}.json`);
}

/** Records that this process started `command` of `stage` as `pid` (atomically: temp + rename). */
export function recordRunning(root: string, stage: string, command: string, pid: number): void {
  const file = recordFile(root, stage);
  const record: RunningRecord = {
    stage,
    command,
    pid,
    pidStart: processStartTime(pid),
    owner: process.pid,
    ownerStart: processStartTime(process.pid),
    pgid: processGroup(process.pid),
    since: new Date().toISOString(),
  };
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, file);
}

/** Forgets `stage`'s record (its command ended and tvc saw it end). */
export function clearRunning(root: string, stage: string): void {
  rmSync(recordFile(root, stage), { force: true });
}

/** The records left in the repository, each with what became of its processes. */
export function staleRuns(root: string): StaleRun[] {
  const directory = path.join(root, RUNNING_DIR);
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return [];
  }
  const runs: StaleRun[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.json')) continue;
    let record: RunningRecord;
    try {
      record = JSON.parse(readFileSync(path.join(directory, name), 'utf8')) as RunningRecord;
    } catch {
      continue; // removed meanwhile, or not ours
    }
    if (typeof record.pid !== 'number' || typeof record.owner !== 'number') continue;
    if (ownerRunning(record.owner, record.ownerStart)) {
      runs.push({ record, state: 'running', pids: [] });
    } else if (ownerRunning(record.pid, record.pidStart)) {
      runs.push({ record, state: 'orphaned', pids: processTree(record.pid) });
    } else {
      runs.push({ record, state: 'interrupted', pids: [] });
    }
  }
  return runs;
}

/** One line about a stale run, for a warning or an error. */
export function describeStaleRun(run: StaleRun): string {
  const { record } = run;
  if (run.state === 'orphaned') {
    return `stage '${record.stage}' is still running: its command (pid ${record.pid}) was started by a tvc process that is gone (pid ${record.owner}) and may still be writing its outputs`;
  }
  if (run.state === 'interrupted') {
    return `stage '${record.stage}' was interrupted: the tvc process running it (pid ${record.owner}) ended before its command did, so its outputs may be incomplete`;
  }
  return `stage '${record.stage}' is being run by tvc (pid ${record.owner})`;
}
