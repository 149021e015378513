import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { dataFileShape, foreachDefinition, pipelineFileShape, stageDefinition } from './dvcfile-schema';
import { type SourceLocation, TvcError } from './errors';
import { HOOK_STAGE, type LoadedPipelineFile, type PipelineFileRequest, type StageDefinition } from './hooks';
import { resolvePath, toPosix } from './paths';
import { validate } from './schema';
import {
  dataFileMd5,
  type ExternalDependency,
  isLoadableStageName,
  type OutputKind,
  type RepoSource,
  type Stage,
  type StageOutput,
  type StageParams,
  type StagePath,
  urlScheme,
} from './stage';
import { decodeUtf8, NotUtf8Error } from './text-decode';
import type { Tvc } from './tvc';
import { locate, parseYamlFast, type YamlPath, type YamlSource } from './yaml-source';

export const PIPELINE_FILE = 'dvc.yaml';
export const DATA_FILE_SUFFIX = '.dvc';
export const DEFAULT_PARAMS_FILE = 'params.yaml';

/** Reads a file's text; a missing or unreadable file is one clear problem. */
async function readText(request: PipelineFileRequest): Promise<{ text?: string; problem?: TvcError }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(request.absolute);
  } catch (error) {
    return {
      problem: new TvcError(
        'FILE_UNREADABLE',
        `cannot read ${request.repoPath}: ${(error as Error).message}`,
        {
          location: { file: request.repoPath },
        },
      ),
    };
  }
  try {
    return { text: decodeUtf8(bytes, request.repoPath) };
  } catch (error) {
    if (error instanceof NotUtf8Error) return { problem: error };
    throw error;
  }
}

function emptyFile(
  request: PipelineFileRequest,
  kind: 'pipeline' | 'data',
  problems: TvcError[],
): LoadedPipelineFile {
  return { file: request.repoPath, kind, stages: [], topLevel: {}, problems };
}

/** How DVC names a stage for a user in `cwd`: the bare name for `./dvc.yaml`, else `path:name`. */
export function stageAddressing(
  tvc: Pick<Tvc, 'root' | 'cwd'>,
  file: string,
  name: string | undefined,
): string {
  const relative = toPosix(path.relative(tvc.cwd, path.join(tvc.root, file)));
  if (name === undefined) return relative;
  return relative === PIPELINE_FILE ? name : `${relative}:${name}`;
}

interface BuildContext {
  readonly tvc: Tvc;
  readonly source: YamlSource;
  readonly problems: TvcError[];
  readonly stageName: string;
  readonly wdir: string;
}

function outsideRepository(context: BuildContext, what: string, value: string, at: YamlPath): TvcError {
  return new TvcError(
    'PATH_OUTSIDE_REPO',
    `${what} '${value}' of stage '${context.stageName}' is outside the repository`,
    {
      location: locate(context.source, at),
      hint: 'cached outputs must lie inside the repository; use a path below it (or `cache: false` for an external output)',
    },
  );
}

function stagePath(context: BuildContext, value: string): StagePath {
  const resolved = resolvePath(context.tvc.root, context.wdir, value);
  return { path: value, absolute: resolved.absolute, repoPath: resolved.repoPath };
}

function buildOutputs(context: BuildContext, kind: OutputKind, entry: unknown, at: YamlPath): StageOutput[] {
  const items: [string, Record<string, unknown>, YamlPath][] =
    typeof entry === 'string'
      ? [[entry, {}, at]]
      : Object.entries(entry as Record<string, unknown>).map(([key, props]) => [
          key,
          (Array.isArray(props) ? props[0] : (props ?? {})) as Record<string, unknown>,
          [...at, key],
        ]);
  return items.map(([value, flags, flagsAt]) => {
    const resolved = stagePath(context, value);
    const cache = flags.cache !== false;
    if (resolved.repoPath === undefined && cache) {
      context.problems.push(outsideRepository(context, 'output', value, flagsAt));
    }
    const { cache: _cache, persist, checkpoint, push, remote, ...properties } = flags;
    return {
      ...resolved,
      kind,
      cache,
      persist: persist === true || checkpoint === true,
      checkpoint: checkpoint === true,
      push: push !== false,
      remote: typeof remote === 'string' ? remote : undefined,
      properties,
    };
  });
}

function buildParams(context: BuildContext, entries: readonly unknown[]): StageParams[] {
  const byFile = new Map<string, string[] | null>();
  const add = (file: string, keys: readonly string[] | null) => {
    const existing = byFile.get(file);
    if (keys === null || existing === null) byFile.set(file, null);
    else byFile.set(file, [...(existing ?? []), ...keys.filter((key) => !existing?.includes(key))]);
  };
  for (const entry of entries) {
    if (typeof entry === 'string') add(DEFAULT_PARAMS_FILE, [entry]);
    else {
      for (const [file, keys] of Object.entries(entry as Record<string, string[] | null>)) {
        add(file, keys === null || keys.length === 0 ? null : keys);
      }
    }
  }
  return [...byFile].map(([file, keys]) => ({ ...stagePath(context, file), keys }));
}

/** A dvc.yaml's `deps`: URLs apart from paths (a URL is never joined to the stage's directory). */
function buildDeps(context: BuildContext, entries: readonly string[]): [StagePath[], ExternalDependency[]] {
  const paths: StagePath[] = [];
  const external: ExternalDependency[] = [];
  for (const entry of entries) {
    const scheme = urlScheme(entry);
    if (scheme === undefined) paths.push(stagePath(context, entry));
    else external.push({ type: 'url', path: entry, scheme, recorded: {} });
  }
  return [paths, external];
}

/** A `.dvc` file's `deps` entries: `repo:` imports and URLs apart from paths. */
function buildDataDeps(
  context: BuildContext,
  entries: readonly Record<string, unknown>[],
  baseDir: string,
): [StagePath[], ExternalDependency[]] {
  const paths: StagePath[] = [];
  const external: ExternalDependency[] = [];
  for (const entry of entries) {
    const value = entry.path as string;
    const repo = entry.repo;
    if (typeof repo === 'object' && repo !== null && typeof (repo as RepoSource).url === 'string') {
      external.push({ type: 'repo', path: value, repo: repo as RepoSource, baseDir });
      continue;
    }
    const scheme = urlScheme(value);
    if (scheme === undefined) paths.push(stagePath(context, value));
    else {
      const { path: _path, ...recorded } = entry;
      external.push({ type: 'url', path: value, scheme, recorded });
    }
  }
  return [paths, external];
}

/** Builds a {@link Stage} from a validated definition; path problems go to `context.problems`. */
function buildStage(
  tvc: Tvc,
  source: YamlSource,
  request: PipelineFileRequest,
  definition: StageDefinition,
  problems: TvcError[],
): Stage {
  const body = definition.definition as Record<string, unknown>;
  const fileDir = path.dirname(request.absolute);
  const wdir = typeof body.wdir === 'string' ? path.resolve(fileDir, body.wdir) : fileDir;
  const context: BuildContext = { tvc, source, problems, stageName: definition.name, wdir };
  const outs: StageOutput[] = [];
  for (const kind of ['outs', 'metrics', 'plots'] as const) {
    const entries = (body[kind] ?? []) as unknown[];
    entries.forEach((entry, index) => {
      outs.push(...buildOutputs(context, kind, entry, [...definition.path, kind, index]));
    });
  }
  // Where the stage is defined is located on first use, since locating needs the slower parse.
  let location: SourceLocation | undefined;
  const [deps, externalDeps] = buildDeps(context, (body.deps ?? []) as string[]);
  return {
    kind: 'pipeline',
    name: definition.name,
    file: request.repoPath,
    addressing: stageAddressing(tvc, request.repoPath, definition.name),
    cmd: body.cmd as string | string[] | undefined,
    wdir,
    deps,
    externalDeps,
    writtenDeps: (body.deps ?? []) as string[],
    params: buildParams(context, (body.params ?? []) as unknown[]),
    outs,
    frozen: body.frozen === true,
    alwaysChanged: body.always_changed === true,
    desc: typeof body.desc === 'string' ? body.desc : undefined,
    meta: body.meta,
    get location() {
      location ??= locate(source, definition.path, true);
      return location;
    },
    ...(definition.group === undefined ? {} : { group: definition.group }),
    ...(definition.trackedVars === undefined ? {} : { trackedVars: definition.trackedVars }),
  };
}

const TEMPLATE_PATTERN = /(?<!\\)\$\{/;

function usesTemplating(value: unknown): boolean {
  if (typeof value === 'string') return TEMPLATE_PATTERN.test(value);
  if (Array.isArray(value)) return value.some(usesTemplating);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).some(([key, item]) => usesTemplating(key) || usesTemplating(item));
  }
  return false;
}

/** Loads a dvc.yaml: syntax, schema, templating (through the hook), names, paths. */
export async function loadPipelineFile(tvc: Tvc, request: PipelineFileRequest): Promise<LoadedPipelineFile> {
  const { text, problem } = await readText(request);
  if (text === undefined) return emptyFile(request, 'pipeline', [problem!]);
  const { source, problems } = parseYamlFast(request.repoPath, text, tvc.parsedValues);
  if (!source) return emptyFile(request, 'pipeline', problems);
  const value = source.value ?? {};
  validate(source, pipelineFileShape, value, [], problems);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return emptyFile(request, 'pipeline', problems);
  const top = value as Record<string, unknown>;
  const rawStages = top.stages;
  const definitions: StageDefinition[] = [];
  if (typeof rawStages === 'object' && rawStages !== null && !Array.isArray(rawStages)) {
    for (const [name, body] of Object.entries(rawStages as Record<string, unknown>)) {
      const at: YamlPath = ['stages', name];
      const isForeach = typeof body === 'object' && body !== null && ('foreach' in body || 'do' in body);
      const before = problems.length;
      validate(source, isForeach ? foreachDefinition : stageDefinition, body, at, problems);
      // DVC loads any name here (its punctuation rule binds only `stage add`, see stage-writer.ts);
      // only `@` cannot work: it separates a foreach/matrix group from its key when addressing.
      if (!isLoadableStageName(name)) {
        problems.push(
          new TvcError('INVALID_STAGE_NAME', `invalid stage name '${name}'`, {
            location: locate(source, at, true),
            hint:
              name === ''
                ? 'a stage needs a name'
                : "'@' separates a foreach/matrix group from its key; rename the stage without it",
          }),
        );
      }
      if (problems.length === before)
        definitions.push({ name, definition: body as Record<string, unknown>, path: at });
    }
  }
  const topLevel: Record<string, unknown> = {};
  for (const key of ['params', 'metrics', 'plots', 'artifacts', 'datasets']) {
    if (key in top) topLevel[key] = top[key];
  }
  const resolvers = tvc.hooks.resolveDefinitions.taps.length;
  const resolved =
    resolvers === 0
      ? definitions
      : await tvc.hooks.resolveDefinitions.promise(definitions, {
          source,
          request,
          report: (found) => problems.push(found),
          topLevel,
        });
  const original = new Set(definitions);
  const stages: Stage[] = [];
  for (const definition of resolved) {
    const body = definition.definition;
    if (resolvers === 0 && ('foreach' in body || 'matrix' in body || usesTemplating(body))) {
      problems.push(
        new TvcError(
          'TEMPLATING_UNSUPPORTED',
          `stage '${definition.name}' uses templating (${'foreach' in body ? 'foreach' : 'matrix' in body ? 'matrix' : '${…}'}), which no loaded plugin resolves`,
          {
            location: locate(source, definition.path, true),
            hint: 'add a plugin that taps `resolveDefinitions` (the built-in preset has tvc:templating)',
          },
        ),
      );
      continue;
    }
    // What a resolver made of a definition is checked again: `${…}` may have brought any type.
    if (resolved !== definitions && !original.has(definition)) {
      const before = problems.length;
      validate(source, stageDefinition, body, definition.path, problems);
      if (problems.length > before) continue;
    }
    stages.push(buildStage(tvc, source, request, definition, problems));
  }
  return { file: request.repoPath, kind: 'pipeline', stages, topLevel, problems };
}

/** Loads a `.dvc` data file: a stage without a command whose outputs are the tracked data. */
export async function loadDataFile(tvc: Tvc, request: PipelineFileRequest): Promise<LoadedPipelineFile> {
  const { text, problem } = await readText(request);
  if (text === undefined) return emptyFile(request, 'data', [problem!]);
  const { source, problems } = parseYamlFast(request.repoPath, text, tvc.parsedValues);
  if (!source) return emptyFile(request, 'data', problems);
  const value = source.value ?? {};
  validate(source, dataFileShape, value, [], problems);
  if (problems.length > 0 || typeof value !== 'object' || value === null)
    return emptyFile(request, 'data', problems);
  const body = value as Record<string, unknown>;
  const fileDir = path.dirname(request.absolute);
  const wdir = typeof body.wdir === 'string' ? path.resolve(fileDir, body.wdir) : fileDir;
  const context: BuildContext = { tvc, source, problems, stageName: request.repoPath, wdir };
  const outs = ((body.outs ?? []) as Record<string, unknown>[]).flatMap((entry, index) => {
    const { path: value, ...flags } = entry;
    return buildOutputs(context, 'outs', { [value as string]: flags }, ['outs', index]);
  });
  const [deps, externalDeps] = buildDataDeps(
    context,
    (body.deps ?? []) as Record<string, unknown>[],
    fileDir,
  );
  const location: SourceLocation = { file: request.repoPath, line: 1, column: 1 };
  const stage: Stage = {
    kind: 'data',
    name: request.repoPath,
    file: request.repoPath,
    addressing: stageAddressing(tvc, request.repoPath, undefined),
    cmd: undefined,
    wdir,
    deps,
    externalDeps,
    writtenDeps: ((body.deps ?? []) as Record<string, unknown>[]).map((entry) => entry.path as string),
    params: [],
    outs,
    frozen: body.frozen === true || body.locked === true,
    alwaysChanged: body.always_changed === true,
    desc: typeof body.desc === 'string' ? body.desc : undefined,
    meta: body.meta,
    location,
    recordedDeps: (body.deps ?? []) as Record<string, unknown>[],
    checksumChanged: typeof body.md5 === 'string' && body.md5 !== '' && body.md5 !== dataFileMd5(body),
  };
  return { file: request.repoPath, kind: 'data', stages: [stage], topLevel: {}, problems };
}

/** The built-in loaders, as a plugin: dvc.yaml files and `.dvc` data files. */
export class PipelineFilesPlugin {
  static readonly PLUGIN_NAME = 'tvc:pipeline-files';

  apply(tvc: Tvc): void {
    const name = PipelineFilesPlugin.PLUGIN_NAME;
    const pipelineLoader = {
      name: 'dvc.yaml',
      load: (request: PipelineFileRequest) => loadPipelineFile(tvc, request),
    };
    const dataLoader = { name: '.dvc', load: (request: PipelineFileRequest) => loadDataFile(tvc, request) };
    tvc.hooks.pipelineFileLoader.tap({ name, stage: HOOK_STAGE.BUILTIN }, (request) => {
      if (request.basename === PIPELINE_FILE) return pipelineLoader;
      if (request.basename.endsWith(DATA_FILE_SUFFIX) && request.basename !== DATA_FILE_SUFFIX)
        return dataLoader;
      return undefined;
    });
  }
}
