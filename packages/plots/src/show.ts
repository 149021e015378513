import path from 'node:path';
import {
  GitRevisionReader,
  type OpenSnapshotTvc,
  type Pipeline,
  revisionError,
  type Tvc,
  withRevisionTvc,
} from '@tvc/core';
import { type CollectOptions, collectRevision, type RevisionPlots } from './collect';
import { RepositoryFiles } from './files';
import { matchPlots, type Plot } from './match';

/** The revision name of the working tree. */
export const WORKSPACE = 'workspace';

export interface GatherPlotsOptions extends CollectOptions {
  /**
   * Revisions to read, by the names rows carry (`workspace`, a branch, a sha, an experiment's
   * name). Default: the workspace only.
   */
  readonly revisions?: readonly string[];
  /** The commit each name stands for when git would not know it (an experiment's name → its sha). */
  readonly resolved?: ReadonlyMap<string, string>;
  /** Opens a `Tvc` on a revision's snapshot (the CLI passes the preset's `openTvc` with the live config). */
  readonly open?: OpenSnapshotTvc;
}

/** What {@link gatherPlots} returns: the plots, and the revisions whose pipeline did not load. */
export interface GatheredPlots {
  readonly plots: Plot[];
  readonly revisionErrors: ReadonlyMap<string, Error>;
}

async function loadPipeline(tvc: Tvc): Promise<Pipeline> {
  return tvc.loadPipeline({ tolerateOverlaps: true });
}

/**
 * The plots of the workspace and of git revisions, as DVC's `plots show` / `plots diff` gather
 * them: each revision's definitions and data (cached outputs read from the live repository's
 * cache), matched into plots. Revisions that fail keep their error; the others still render.
 */
export async function gatherPlots(tvc: Tvc, options: GatherPlotsOptions = {}): Promise<GatheredPlots> {
  const wanted = options.revisions && options.revisions.length > 0 ? [...options.revisions] : [WORKSPACE];
  // As DVC: the workspace first.
  const revisions = wanted.includes(WORKSPACE)
    ? [WORKSPACE, ...wanted.filter((rev) => rev !== WORKSPACE)]
    : wanted;
  const unique = [...new Set(revisions)];
  const revisionErrors = new Map<string, Error>();
  const cwd = path.relative(tvc.root, tvc.cwd).split(path.sep).join('/');
  const collectOptions = { ...options, cwd: cwd.startsWith('..') ? '' : cwd };
  const collected: RevisionPlots[] = [];
  const needsGit = unique.some((rev) => rev !== WORKSPACE);
  const reader = needsGit && tvc.scmRoot ? new GitRevisionReader(tvc.scmRoot) : undefined;
  try {
    for (const rev of unique) {
      try {
        if (rev === WORKSPACE) {
          const pipeline = await loadPipeline(tvc);
          collected.push(
            await collectRevision(rev, pipeline, new RepositoryFiles(tvc, pipeline), collectOptions),
          );
          continue;
        }
        if (!reader || !options.open) throw new Error(`cannot read revision '${rev}' without git`);
        const commit = options.resolved?.get(rev) ?? rev;
        collected.push(
          await withRevisionTvc(tvc, reader, commit, options.open, async (snapshotTvc, snapshot) => {
            const pipeline = await loadPipeline(snapshotTvc);
            const files = new RepositoryFiles(snapshotTvc, pipeline, { cacheRoot: tvc.root, snapshot });
            return collectRevision(rev, pipeline, files, collectOptions);
          }),
        );
      } catch (error) {
        // An unparsable dvc.yaml is DVC's YAMLSyntaxError, as in metrics show.
        revisionErrors.set(rev, revisionError(tvc, error));
      }
    }
  } finally {
    await reader?.close();
  }
  const templatesDir = path.join(tvc.root, '.dvc', 'plots');
  return { plots: matchPlots(collected, { templatesDir, cwd: tvc.cwd }), revisionErrors };
}
