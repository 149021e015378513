export { checkHostKey, type HostKeyVerdict, knownHostsName } from './known-hosts';
export type { SecretPrompt } from './prompt';
export { toRemoteError } from './ssh-errors';
export {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_TIMEOUT_SECONDS,
  maskUrl,
  parseSshUrl,
  readSshOptions,
  resolveSshTarget,
  type SshEnvironment,
  type SshRemoteOptions,
  type SshTarget,
} from './ssh-options';
export { SshRemotePlugin } from './ssh-plugin';
export type { SshStorage, SshStorageEnvironment } from './ssh-storage';

/** Opens an ssh storage directly (loads ssh2 on first use). */
export async function createSshStorage(
  ...args: Parameters<typeof import('./ssh-storage').createSshStorage>
): ReturnType<typeof import('./ssh-storage').createSshStorage> {
  const module = await import('./ssh-storage');
  return module.createSshStorage(...args);
}
