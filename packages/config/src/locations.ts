import os from 'node:os';
import path from 'node:path';

/** DVC's config levels, in the order they shadow each other. */
export const LEVELS = ['system', 'global', 'repo', 'local'] as const;
export type ConfigLevel = (typeof LEVELS)[number];
/** The levels outside a repository. */
export const SYSTEM_LEVELS: readonly ConfigLevel[] = ['system', 'global'];
/** The levels inside one. */
export const REPO_LEVELS: readonly ConfigLevel[] = ['repo', 'local'];

export interface LocationOptions {
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly platform?: NodeJS.Platform | undefined;
  readonly home?: string | undefined;
}

/**
 * The user's config directory, as DVC computes it: `DVC_GLOBAL_CONFIG_DIR`, else platformdirs'
 * `user_config_dir("dvc", "iterative")`.
 */
export function globalConfigDir(options: LocationOptions = {}): string {
  const env = options.env ?? process.env;
  if (env.DVC_GLOBAL_CONFIG_DIR) return env.DVC_GLOBAL_CONFIG_DIR;
  const platform = options.platform ?? process.platform;
  const home = options.home ?? os.homedir();
  if (platform === 'win32') {
    return path.win32.join(env.LOCALAPPDATA ?? path.win32.join(home, 'AppData', 'Local'), 'iterative', 'dvc');
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'dvc');
  const xdg = env.XDG_CONFIG_HOME?.trim();
  return path.posix.join(xdg ? xdg : path.posix.join(home, '.config'), 'dvc');
}

/**
 * The system config directory, as DVC computes it: `DVC_SYSTEM_CONFIG_DIR`, else platformdirs'
 * `site_config_dir("dvc", "iterative")` (the first of `XDG_CONFIG_DIRS`, else `/etc/xdg`).
 */
export function systemConfigDir(options: LocationOptions = {}): string {
  const env = options.env ?? process.env;
  if (env.DVC_SYSTEM_CONFIG_DIR) return env.DVC_SYSTEM_CONFIG_DIR;
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') {
    return path.win32.join(env.ProgramData ?? env.ALLUSERSPROFILE ?? 'C:\\ProgramData', 'iterative', 'dvc');
  }
  if (platform === 'darwin') return '/Library/Application Support/dvc';
  const first = env.XDG_CONFIG_DIRS?.trim().split(':')[0];
  return path.posix.join(first ? first : '/etc/xdg', 'dvc');
}

/** The file of each level: `config` in the system and user dirs, `.dvc/config`, `.dvc/config.local`. */
export function configFiles(
  dvcDir: string | undefined,
  options: LocationOptions = {},
): Partial<Record<ConfigLevel, string>> {
  const files: Partial<Record<ConfigLevel, string>> = {
    system: path.join(systemConfigDir(options), 'config'),
    global: path.join(globalConfigDir(options), 'config'),
  };
  if (dvcDir !== undefined) {
    files.repo = path.join(dvcDir, 'config');
    files.local = path.join(dvcDir, 'config.local');
  }
  return files;
}
