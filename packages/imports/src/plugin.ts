import {
  type ExternalDependency,
  type ExternalDependencyResolver,
  HOOK_STAGE,
  type RepoDependency,
  type Tvc,
  type UrlDependency,
} from '@tvc/core';
import { ImportError } from './errors';
import { resolveRevision } from './git';
import { httpInfo } from './http';

/** The URL schemes tvc reads now (the remote storages' schemes arrive with their plugins). */
export const HTTP_SCHEMES: readonly string[] = ['http', 'https'];

/** An http(s) dependency: its checksum now against the recorded one; unreachable is `deleted`, as in DVC. */
export const httpResolver: ExternalDependencyResolver = {
  name: 'http',
  async status(dep, recorded) {
    let checksum: string;
    try {
      checksum = (await httpInfo(dep.path)).checksum;
    } catch (error) {
      if (error instanceof ImportError) return 'deleted';
      throw error;
    }
    return recorded?.checksum === checksum ? '' : 'modified';
  },
  async info(dep) {
    const { checksum, size } = await httpInfo(dep.path);
    return { hash: 'md5', checksum, ...(size === undefined ? {} : { size }) };
  },
};

/** The directories a relative `repo.url` may be relative to: the `.dvc` file's, then the root. */
export function repoBases(tvc: Pick<Tvc, 'root'>, dep: RepoDependency): string[] {
  return [dep.baseDir, tvc.root];
}

/**
 * A repository import: `update available` when the source's revision (`rev`, else its HEAD) is no
 * longer `rev_lock`, as `dvc status` says. A source that cannot be reached (offline) is reported
 * through the log and counts as unchanged: loading and status never fail for it.
 */
export function repoResolver(tvc: Tvc): ExternalDependencyResolver {
  // One question per source and revision (many imports often come from one registry), and one
  // warning for a source that cannot be reached.
  const revisions = new Map<string, Promise<string | undefined>>();
  const revision = (dep: RepoDependency): Promise<string | undefined> => {
    const bases = repoBases(tvc, dep);
    const key = JSON.stringify([dep.repo.url, dep.repo.rev, bases]);
    let pending = revisions.get(key);
    if (!pending) {
      pending = resolveRevision(dep.repo.url, dep.repo.rev, bases).catch((error: unknown) => {
        if (!(error instanceof ImportError)) throw error;
        tvc.hooks.log.call({
          level: 'warn',
          message: `cannot check '${dep.repo.url}' for updates: ${error.message}`,
        });
        return undefined;
      });
      revisions.set(key, pending);
    }
    return pending;
  };
  return {
    name: 'repo',
    async status(dep) {
      if (dep.type !== 'repo') return '';
      const current = await revision(dep);
      return current === undefined || current === dep.repo.rev_lock ? '' : 'update available';
    },
    async info(dep) {
      return { repo: (dep as RepoDependency).repo };
    },
  };
}

function isHttp(dep: ExternalDependency): dep is UrlDependency {
  return dep.type === 'url' && HTTP_SCHEMES.includes(dep.scheme);
}

/** Checks http(s) dependencies and repository imports for `status` and `repro`. */
export class ImportsPlugin {
  static readonly PLUGIN_NAME = 'tvc:imports';

  apply(tvc: Tvc): void {
    const repo = repoResolver(tvc);
    tvc.hooks.externalDependency.tap(
      { name: ImportsPlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN },
      (dep) => {
        if (dep.type === 'repo') return repo;
        return isHttp(dep) ? httpResolver : undefined;
      },
    );
    tvc.hooks.reimport.tapPromise(
      { name: ImportsPlugin.PLUGIN_NAME, stage: HOOK_STAGE.BUILTIN },
      async (event, dry) => {
        const { reimportStage } = await import('./update');
        return reimportStage(tvc, event.stage, dry);
      },
    );
  }
}
