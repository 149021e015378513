import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  type AppliedOverrides,
  applyOverrides,
  assertNoSweep,
  type OverridesByFile,
  type ParamsEdit,
  ParamsOverrideError,
  ParamsSyntaxError,
  type ParamsTree,
  parseOverrides,
} from '@tvc/params';
import { writeFileAtomic } from './atomic-write';
import { TvcError } from './errors';
import { decodeUtf8 } from './text-decode';
import type { Tvc } from './tvc';

/** What `-S` overrides did to one params file. */
export interface ParamsFileChange {
  /** The file as the overrides named it (relative to the cwd, like DVC's). */
  readonly file: string;
  /** Its absolute path. */
  readonly path: string;
  /** Whether the file did not exist before (DVC creates it when `+key=` adds to it). */
  readonly created: boolean;
  /** The edits written, in order (empty when the values were already as asked). */
  readonly edits: readonly ParamsEdit[];
  readonly before: ParamsTree;
  readonly after: ParamsTree;
}

export interface SetParamsResult {
  /** One entry per file the overrides name, in the order they first appear. */
  readonly files: readonly ParamsFileChange[];
  /** Whether any file's text changed. */
  readonly changed: boolean;
}

const HINTS: Partial<Record<ParamsOverrideError['code'], string>> = {
  OVERRIDE_KEY_MISSING: 'to add a key, write +key=value; ++key=value adds or overrides',
  OVERRIDE_KEY_EXISTS: 'to change a key that exists, write key=value (or ++key=value)',
  OVERRIDE_SWEEP: 'queue one experiment per combination with --queue',
  OVERRIDE_SYNTAX:
    'quote values holding spaces or special characters (\'a b\', "x,y") or escape them (a\\ b)',
};

/** A {@link ParamsOverrideError} as the {@link TvcError} the CLI prints. */
function overrideError(error: ParamsOverrideError, missingFile?: string): TvcError {
  const prefix = error.file && error.file !== 'params.yaml' ? `${error.file}:` : '';
  let message = `invalid --set-param '${prefix}${error.override}': ${error.message}`;
  if (missingFile && (error.code === 'OVERRIDE_KEY_MISSING' || error.code === 'OVERRIDE_DELETE')) {
    message = `invalid --set-param '${prefix}${error.override}': params file '${missingFile}' does not exist`;
  }
  if (error.code === 'OVERRIDE_SWEEP' && error.message.startsWith('Sweep overrides')) message = error.message;
  return new TvcError(error.code, message, { hint: HINTS[error.code], cause: error });
}

/** One params file as `-S` overrides would leave it, before anything is written. */
export interface PlannedParamsFile {
  readonly change: ParamsFileChange;
  /** The file's text before, or undefined when it does not exist. */
  readonly original: string | undefined;
  /** Its text after the overrides. */
  readonly text: string;
  /** Whether writing it changes anything on disk. */
  readonly writes: boolean;
}

/**
 * Works out what `-S` overrides do to each params file without writing anything: what
 * {@link setParams} writes, and what `exp run --queue` records in the experiment's stash commit
 * while the workspace stays as it is. Errors are those of {@link setParams}.
 */
export async function planParams(
  tvc: Tvc,
  overrides: readonly string[] | OverridesByFile,
): Promise<PlannedParamsFile[]> {
  let byFile: OverridesByFile;
  try {
    byFile = Array.isArray(overrides) ? parseOverrides(overrides) : (overrides as OverridesByFile);
    assertNoSweep(byFile);
  } catch (error) {
    throw error instanceof ParamsOverrideError ? overrideError(error) : error;
  }

  const planned: PlannedParamsFile[] = [];
  for (const [file, list] of byFile) {
    const absolute = path.resolve(tvc.cwd, file);
    const format = tvc.paramsFormat(absolute);
    await format.prepare?.();
    let original: string | undefined;
    try {
      original = decodeUtf8(await readFile(absolute), file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new TvcError(
          'PARAMS_FILE_MISSING',
          `cannot read params file '${file}': ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
    const text = original ?? '';
    let before: ParamsTree;
    let applied: AppliedOverrides;
    let written: string;
    try {
      before = format.read(text, file);
      applied = applyOverrides(before, list);
      written = applied.edits.length > 0 ? format.write(text, applied.edits, file) : text;
    } catch (error) {
      if (error instanceof ParamsOverrideError) {
        throw overrideError(error, original === undefined ? file : undefined);
      }
      if (error instanceof ParamsSyntaxError) {
        throw new TvcError('PARAMS_SYNTAX', error.message, {
          location: { file, line: error.line, column: error.column },
          cause: error,
        });
      }
      throw error;
    }
    planned.push({
      change: {
        file,
        path: absolute,
        created: original === undefined && written !== text,
        edits: applied.edits,
        before,
        after: applied.tree,
      },
      original,
      text: written,
      writes: original === undefined ? applied.edits.length > 0 : written !== original,
    });
  }
  return planned;
}

/**
 * Applies `-S`/`--set-param` overrides (`[file:]key=value`, Hydra's grammar, as `dvc exp run -S`)
 * to the params files on disk: each file is read through its params format, the overrides are
 * applied with DVC's rules, and the format writes them as the smallest edits (comments and layout
 * stay). Every file is prepared before any is written, so an override that fails leaves every file
 * as it was; each file is replaced atomically, and a failed write puts back those already written.
 * Sweeps are refused (``Sweep overrides can't be used without `--queue` ``): expand them first with
 * `expandSweeps` and call this once per run.
 */
export async function setParams(
  tvc: Tvc,
  overrides: readonly string[] | OverridesByFile,
): Promise<SetParamsResult> {
  const planned = await planParams(tvc, overrides);
  const done: PlannedParamsFile[] = [];
  try {
    for (const item of planned) {
      if (!item.writes) continue;
      await writeFileAtomic(item.change.path, item.text);
      done.push(item);
    }
  } catch (error) {
    for (const item of done.reverse()) {
      const restore =
        item.original === undefined
          ? rm(item.change.path, { force: true })
          : writeFileAtomic(item.change.path, item.original);
      await restore.catch(() => {});
    }
    throw error;
  }
  return {
    files: planned.map((item) => item.change),
    changed: done.length > 0,
  };
}
