import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses):
 * [0] state, [1] ppid, [2] pgrp, … [19] starttime. Undefined off Linux or when the process is gone.
 */
function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * When a process started, as an opaque string (clock ticks since boot on Linux), to tell a
 * process from a later one that reuses its pid; undefined where it cannot be read.
 */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** Whether the process has ended but is not reaped yet (a zombie counts as gone); Linux only. */
export function processZombie(pid: number): boolean {
  return procStat(pid)?.[0] === 'Z';
}

/** The process group of a process (Linux); undefined where it cannot be read. */
export function processGroup(pid: number): number | undefined {
  const group = procStat(pid)?.[2];
  return group === undefined ? undefined : Number(group);
}

/** Every process's parent: from /proc on Linux, from `ps` elsewhere. */
function parents(): Map<number, number> {
  const result = new Map<number, number>();
  let entries: string[] | undefined;
  try {
    entries = readdirSync('/proc');
  } catch {
    entries = undefined;
  }
  if (entries?.includes('self')) {
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const ppid = procStat(Number(entry))?.[1];
      // a zombie still counts: its children are still below it until it is reaped
      if (ppid !== undefined) result.set(Number(entry), Number(ppid));
    }
    return result;
  }
  try {
    const listing = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
    for (const line of listing.split('\n')) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number);
      if (pid !== undefined && ppid !== undefined && !Number.isNaN(pid) && !Number.isNaN(ppid))
        result.set(pid, ppid);
    }
  } catch {
    // no ps: only the process itself is known
  }
  return result;
}

/** `pid` and every process below it (children, their children, …), `pid` first. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const [child, parent] of parents()) {
    const list = children.get(parent);
    if (list) list.push(child);
    else children.set(parent, [child]);
  }
  const tree = [pid];
  for (let index = 0; index < tree.length; index++) {
    for (const child of children.get(tree[index]!) ?? []) if (!tree.includes(child)) tree.push(child);
  }
  return tree;
}

/**
 * The processes whose environment has `name=value` (Linux: /proc/<pid>/environ; empty
 * elsewhere). Finds what a command started even after its parent died and it was re-parented.
 */
export function processesWithEnv(name: string, value: string): number[] {
  const wanted = Buffer.from(`${name}=${value}\0`);
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`);
      // each variable ends with NUL; the first has none before it
      if (environ.indexOf(wanted) === 0 || environ.includes(Buffer.concat([Buffer.from([0]), wanted])))
        found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Sends `signal` to each pid; those already gone are skipped. Returns the pids signalled. */
export function signalAll(pids: Iterable<number>, signal: NodeJS.Signals): number[] {
  const reached: number[] = [];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      reached.push(pid);
    } catch {
      // gone already (or not ours)
    }
  }
  return reached;
}
