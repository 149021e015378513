import type { SourceLocation } from './errors';

/** A path named by a stage: as written, and resolved. */
export interface StagePath {
  /** As written in the pipeline file (relative to the stage's wdir, or absolute). */
  readonly path: string;
  /** Absolute and normalised. */
  readonly absolute: string;
  /** Relative to the DVC root with forward slashes; `undefined` when the path lies outside it. */
  readonly repoPath: string | undefined;
}

export type OutputKind = 'outs' | 'metrics' | 'plots';

/** An output of a stage (`outs`, `metrics` or `plots`) with its flags. */
export interface StageOutput extends StagePath {
  readonly kind: OutputKind;
  /** Stored in the cache (`cache: true`, the default). */
  readonly cache: boolean;
  /** Kept, not removed, before the stage runs. */
  readonly persist: boolean;
  /** DVC 2's checkpoint outputs; see the experiments executors. */
  readonly checkpoint: boolean;
  readonly push: boolean;
  readonly remote: string | undefined;
  /** Everything else written beside the path (annotations, plot properties, hashes of `.dvc` files). */
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A params dependency: some keys of a params file, or all of it (`keys: null`). */
export interface StageParams extends StagePath {
  /** Dotted keys as written (they may contain wildcards); `null` means the whole file. */
  readonly keys: readonly string[] | null;
}

/** Where a stage comes from: a stage in a `dvc.yaml`, or a `.dvc` data file. */
export type StageKind = 'pipeline' | 'data';

/** One stage of the pipeline, resolved and validated. */
export interface Stage {
  readonly kind: StageKind;
  /** The stage's name (`train`, `build@us`); for a `.dvc` file, the file's repo path. */
  readonly name: string;
  /** The file defining it, relative to the DVC root with forward slashes (`sub/dvc.yaml`). */
  readonly file: string;
  /** How DVC addresses it from the working directory: `train`, `sub/dvc.yaml:train`, `data.xml.dvc`. */
  readonly addressing: string;
  readonly cmd: string | readonly string[] | undefined;
  /** The working directory, absolute. */
  readonly wdir: string;
  readonly deps: readonly StagePath[];
  readonly params: readonly StageParams[];
  readonly outs: readonly StageOutput[];
  readonly frozen: boolean;
  readonly alwaysChanged: boolean;
  readonly desc: string | undefined;
  readonly meta: unknown;
  /** Where the stage is defined. */
  readonly location: SourceLocation;
  /** The `foreach`/`matrix` group that generated it (`build` for `build@us`). */
  readonly group?: string | undefined;
  /**
   * The values its `${…}` interpolation took from vars files (params.yaml included), as DVC's
   * `stage.tracked_vars`: `{file: {dotted.key: value}}`, files relative to the DVC root. They are
   * not dependencies (dvc.lock does not record them); `params show`/`diff` list them.
   */
  readonly trackedVars?: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined;
}

/** The commands of a stage, one per element or line, in order (DVC runs each as its own command). */
export function stageCommands(stage: Pick<Stage, 'cmd'>): string[] {
  if (stage.cmd === undefined) return [];
  if (typeof stage.cmd === 'string') return stage.cmd.split('\n').filter((line) => line.trim() !== '');
  return [...stage.cmd];
}

const INVALID_NAME_CHARACTERS = /[!"#$%&'()*+,./:;<=>?@[\\\]^`{|}~]/;

/** DVC's rule: a stage name has no ASCII punctuation except `_` and `-`. */
export function isValidStageName(name: string): boolean {
  return name.length > 0 && !INVALID_NAME_CHARACTERS.test(name);
}
