import {
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, globalConfigDir, isTree, remoteScheme, systemConfigDir } from '@tvc/config';
import { findUp } from '@tvc/core';
import type { CommandContext } from '../context';
import { VERSION } from '../main';
import { openConfig } from './config-level';

type LinkType = 'reflink' | 'hardlink' | 'symlink';

/**
 * The link types that work from the cache to the workspace, tried for real as DVC's
 * `test_links` does: a file in the cache directory linked to a name in the workspace.
 */
export function workingLinkTypes(cacheDir: string, workspace: string): LinkType[] {
  const stamp = `.tvc-link-test-${process.pid}-${Date.now()}`;
  const source = path.join(cacheDir, stamp);
  const target = path.join(workspace, stamp);
  writeFileSync(source, 'test');
  const working: LinkType[] = [];
  try {
    const attempts: Record<LinkType, () => void> = {
      reflink: () => copyFileSync(source, target, constants.COPYFILE_FICLONE_FORCE),
      hardlink: () => linkSync(source, target),
      symlink: () => symlinkSync(source, target),
    };
    for (const [type, attempt] of Object.entries(attempts) as [LinkType, () => void][]) {
      try {
        attempt();
        working.push(type);
      } catch {
        // not here
      } finally {
        rmSync(target, { force: true });
      }
    }
  } finally {
    rmSync(source, { force: true });
  }
  return working;
}

/** `ext4 on /dev/vda` for the mount a path is on (Linux's /proc/self/mounts), else `unknown`. */
export function filesystemOf(target: string): string {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return 'unknown';
  }
  let resolved: string;
  try {
    resolved = realpathSync(target);
  } catch {
    resolved = path.resolve(target);
  }
  const decode = (text: string): string =>
    text.replace(/\\([0-7]{3})/g, (_, code: string) => String.fromCharCode(Number.parseInt(code, 8)));
  let best: { point: string; text: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [device, point, type] = line.split(' ');
    if (!device || !point || !type) continue;
    const mountPoint = decode(point);
    const inside =
      resolved === mountPoint ||
      resolved.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
    if (inside && (!best || mountPoint.length >= best.point.length))
      best = { point: mountPoint, text: `${type} on ${decode(device)}` };
  }
  return best?.text ?? 'unknown';
}

function repoLines(config: Config): string[] {
  if (!config.dvcDir) return [];
  const root = path.dirname(config.dvcDir);
  const tree = config.read();
  const cacheSection = isTree(tree.cache) ? tree.cache : {};
  const cacheDir =
    typeof cacheSection.dir === 'string' ? cacheSection.dir : path.join(config.dvcDir, 'cache');
  const lines: string[] = [];
  if (existsSync(cacheDir)) {
    lines.push(`Cache types: ${workingLinkTypes(cacheDir, root).join(', ') || 'copy only'}`);
    lines.push(`Cache directory: ${cacheDir} (${filesystemOf(cacheDir)})`);
  } else {
    lines.push('Cache types: not known yet (the cache directory does not exist)');
    lines.push(`Cache directory: ${cacheDir} (not created yet)`);
  }
  lines.push('Caches: local');
  const remotes = isTree(tree.remote) ? Object.values(tree.remote) : [];
  const schemes = remotes.map((remote) =>
    isTree(remote) && typeof remote.url === 'string' ? remoteScheme(remote.url) || 'local' : 'local',
  );
  lines.push(`Remotes: ${schemes.length > 0 ? schemes.join(', ') : 'None'}`);
  lines.push(`Workspace directory: ${filesystemOf(root)}`);
  const core = isTree(tree.core) ? tree.core : {};
  const noScm = typeof core.no_scm === 'string' && core.no_scm.toLowerCase() === 'true';
  let repo: string;
  if (noScm) repo = 'dvc (no_scm)';
  else {
    const gitRoot = findUp(root, '.git');
    repo = !gitRoot ? 'dvc, no git repository' : gitRoot === root ? 'dvc, git' : 'dvc (subdir), git';
  }
  lines.push(`Repo: ${repo}`);
  return lines;
}

/**
 * The remote kinds the repository's plugins store data in (`http, https, local, s3, ssh`), as
 * DVC's `Supports:` lists its installed remote packages; none outside a repository.
 */
async function remoteKinds(context: CommandContext): Promise<string[]> {
  try {
    const tvc = await context.tvc();
    const kinds = tvc
      .describeHooks()
      .map(({ hook }) => /^remoteStorage\.for\('(.+)'\)$/.exec(hook)?.[1])
      .filter((kind): kind is string => kind !== undefined);
    return kinds.length > 0 ? [kinds.sort().join(', ')] : [];
  } catch {
    return [];
  }
}

/** `tvc version` (`tvc doctor`): what `dvc doctor` prints, for tvc. */
export default async function version(context: CommandContext): Promise<number> {
  const env = context.io.env;
  const title = `tvc version: ${VERSION}`;
  const lines = [
    title,
    '-'.repeat(title.length),
    `Platform: Node.js ${process.version} on ${os.type()}-${os.release()}-${os.machine?.() ?? os.arch()}`,
    'Supports:',
    '\tDVC 3 projects (.dvc/config, dvc.yaml, dvc.lock, .dvc files, .dvc/cache)',
    ...(await remoteKinds(context)).map((kinds) => `\tremotes: ${kinds}`),
    'Config:',
    `\tGlobal: ${globalConfigDir({ env })}`,
    `\tSystem: ${systemConfigDir({ env })}`,
  ];
  lines.push(...repoLines(openConfig(context)));
  context.io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
