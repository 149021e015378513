import path from 'node:path';
import { comparePythonStrings } from '@tvc/params';
import type { Node, Pair, Scalar, YAMLMap } from 'yaml';
import { dumpDvcYaml } from './dvc-yaml';
import { TvcError, throwIfProblems } from './errors';
import { DEFAULT_PARAMS_FILE, PIPELINE_FILE } from './loaders';
import { toPosix } from './paths';
import { isValidStageName, type OutputKind } from './stage';
import { isMap, isPair, isScalar, isSeq } from './yaml-lib';
import { locate, parseYamlSource, type YamlSource } from './yaml-source';

/**
 * Adding a stage to a dvc.yaml as `dvc stage add` does, without disturbing the rest of the file.
 *
 * DVC re-dumps the whole file through ruamel.yaml, which keeps comments but re-indents every other
 * stage and moves some comments about. tvc edits the text instead: the YAML document is parsed only
 * to find where things are, and the new (or replaced) entry is spliced in, so every other byte of
 * the file stays as the user wrote it. The entry itself is written byte for byte as DVC writes it:
 * its key order and sorting (`to_pipeline_file`, below), and ruamel's block style, quoting and
 * line wrapping (DVC's YAML emitter, ./dvc-yaml, which dvc.lock is written with too).
 */

// ---------------------------------------------------------------------------------------------
// The stage, as `dvc stage add` takes it

/** What `stage add` was asked for, as the CLI received it (paths as written, relative to `wdir`). */
export interface StageSpec {
  readonly name: string;
  /** The command, already joined from its words. */
  readonly cmd: string;
  readonly deps?: readonly string[];
  /** `-p` values: `lr,epochs`, `other.yaml:a.b`, `params.yaml:` (the whole file). */
  readonly params?: readonly string[];
  readonly outs?: readonly string[];
  readonly outsNoCache?: readonly string[];
  readonly outsPersist?: readonly string[];
  readonly outsPersistNoCache?: readonly string[];
  readonly metrics?: readonly string[];
  readonly metricsNoCache?: readonly string[];
  readonly plots?: readonly string[];
  readonly plotsNoCache?: readonly string[];
  /** The working directory relative to the dvc.yaml's directory (`sub`); `.` or absent: none. */
  readonly wdir?: string | undefined;
  readonly desc?: string | undefined;
  readonly alwaysChanged?: boolean;
  /** Overwrite a stage of the same name (`-f`). */
  readonly force?: boolean;
}

/** One output of the new stage, in the order DVC creates them (the order of `.gitignore` entries). */
export interface StageOutputSpec {
  /** As written in dvc.yaml, relative to the stage's wdir (or absolute). */
  readonly path: string;
  readonly kind: OutputKind;
  readonly cache: boolean;
  readonly persist: boolean;
}

export interface StageWriteOptions {
  /** The file's name in messages, as DVC shows it (relative to the cwd). Default `dvc.yaml`. */
  readonly file?: string;
  /**
   * The absolute directory of the file. Paths in messages are then absolute, as DVC prints them,
   * and a dependency or output given as an absolute path is compared with relative ones.
   */
  readonly directory?: string;
}

export interface StageWriteResult {
  /** The new text of the file. */
  readonly text: string;
  /** Whether a stage of that name was overwritten (`-f`). */
  readonly replaced: boolean;
  /** The new stage's outputs, in DVC's creation order. */
  readonly outputs: readonly StageOutputSpec[];
}

/** `fill_stage_outputs`: the order DVC creates outputs in, whatever the order of the flags. */
const OUTPUT_OPTIONS = [
  ['outsPersist', 'outs', true, true],
  ['outsPersistNoCache', 'outs', false, true],
  ['metrics', 'metrics', true, false],
  ['metricsNoCache', 'metrics', false, false],
  ['plots', 'plots', true, false],
  ['plotsNoCache', 'plots', false, false],
  ['outsNoCache', 'outs', false, false],
  ['outs', 'outs', true, false],
] as const satisfies readonly (readonly [keyof StageSpec, OutputKind, boolean, boolean])[];

/** The outputs of `spec` in DVC's creation order. */
export function stageOutputs(spec: StageSpec): StageOutputSpec[] {
  return OUTPUT_OPTIONS.flatMap(([option, kind, cache, persist]) =>
    (spec[option] ?? []).map((value) => ({ path: value, kind, cache, persist })),
  );
}

/** `parse_params` then `_merge_params`: keys by file in first-seen order; `[]` tracks the whole file. */
export function parseParamsOptions(values: readonly string[]): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  for (const value of values) {
    const colon = value.lastIndexOf(':');
    const file = colon < 0 ? '' : value.slice(0, colon);
    const keys = (colon < 0 ? value : value.slice(colon + 1)).split(',').filter((key) => key !== '');
    const target = file || DEFAULT_PARAMS_FILE;
    byFile.set(target, [...(byFile.get(target) ?? []), ...keys]);
  }
  return byFile;
}

/** The checks DVC makes of the arguments before it looks at any file (`validate_kwargs`). */
export function checkStageSpec(spec: Pick<StageSpec, 'name' | 'cmd'>): void {
  if (!spec.cmd) {
    throw new TvcError('STAGE_COMMAND_MISSING', 'command is not specified');
  }
  if (!spec.name) throw new TvcError('STAGE_NAME_MISSING', '`-n|--name` is required');
  if (!isValidStageName(spec.name)) {
    throw new TvcError('INVALID_STAGE_NAME', 'Stage name cannot contain punctuation characters.');
  }
}

// ---------------------------------------------------------------------------------------------
// Data to write: ordered maps of strings, booleans, lists

type YamlData = string | number | boolean | null | YamlData[] | DataMap;
type DataMap = Map<string, YamlData>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);
}

/** What DVC keeps of an output when it overwrites a stage: annotations, `remote`, `push`. */
interface KeptOutputFields {
  readonly annotations: [string, YamlData][];
  readonly remote: unknown;
  readonly push: unknown;
}

function keptOutputFields(oldEntry: Record<string, unknown> | undefined): Map<string, KeptOutputFields> {
  const kept = new Map<string, KeptOutputFields>();
  for (const kind of ['outs', 'metrics', 'plots']) {
    const entries = oldEntry?.[kind];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      if (typeof entry === 'string') kept.set(entry, { annotations: [], remote: undefined, push: undefined });
      else if (isRecord(entry)) {
        for (const [output, flags] of Object.entries(entry)) {
          const record = isRecord(flags) ? flags : {};
          const annotations: [string, YamlData][] = [];
          for (const key of ['desc', 'type', 'labels', 'meta']) {
            if (isTruthy(record[key])) annotations.push([key, toData(record[key])]);
          }
          kept.set(output, { annotations, remote: record.remote, push: record.push });
        }
      }
    }
  }
  return kept;
}

/** Python's truthiness, for the `if value` filters of DVC's serialisers. */
function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

function toData(value: unknown): YamlData {
  if (Array.isArray(value)) return value.map(toData);
  if (isRecord(value)) return new Map(Object.entries(value).map(([key, item]) => [key, toData(item)]));
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return null;
}

/**
 * `to_pipeline_file`: the entry DVC writes for the stage. With `oldEntry` (an overwritten stage),
 * DVC's `restore_fields` keeps the old `desc` and `meta` (whatever was asked) and each kept
 * output's annotations, `remote` and `push`.
 */
function pipelineEntry(spec: StageSpec, oldEntry: Record<string, unknown> | undefined): DataMap {
  const outputs = stageOutputs(spec);
  const kept = oldEntry ? keptOutputFields(oldEntry) : new Map<string, KeptOutputFields>();
  const buckets: Record<OutputKind, YamlData[]> = { outs: [], metrics: [], plots: [] };
  for (const output of [...outputs].sort((a, b) => comparePythonStrings(a.path, b.path))) {
    const old = kept.get(output.path);
    const flags: DataMap = new Map(old?.annotations ?? []);
    if (!output.cache) flags.set('cache', false);
    if (output.persist) flags.set('persist', true);
    if (isTruthy(old?.remote)) flags.set('remote', toData(old?.remote));
    if (old?.push === false) flags.set('push', false);
    buckets[output.kind].push(flags.size === 0 ? output.path : new Map([[output.path, flags]]));
  }
  const params: YamlData[] = [];
  const files = [...parseParamsOptions(spec.params ?? [])].sort(([a], [b]) => comparePythonStrings(a, b));
  for (const [file, keys] of files) {
    const sorted = [...keys].sort(comparePythonStrings);
    if (sorted.length > 0 && file === DEFAULT_PARAMS_FILE) params.unshift(...sorted);
    else params.push(new Map([[file, sorted.length > 0 ? sorted : null]]));
  }
  const desc = oldEntry ? oldEntry.desc : spec.desc;
  const entry: [string, YamlData][] = [
    ['desc', isTruthy(desc) ? toData(desc) : null],
    ['cmd', spec.cmd],
    ['wdir', normalizeWdir(spec.wdir)],
    ['deps', [...(spec.deps ?? [])].sort(comparePythonStrings)],
    ['params', params],
    ['outs', buckets.outs],
    ['metrics', buckets.metrics],
    ['plots', buckets.plots],
    ['always_changed', spec.alwaysChanged === true],
    ['meta', oldEntry && isTruthy(oldEntry.meta) ? toData(oldEntry.meta) : null],
  ];
  return new Map(entry.filter(([, value]) => isTruthy(value)));
}

/** DVC's `resolve_wdir`: relative, posix, without `.`. */
function normalizeWdir(wdir: string | undefined): string | null {
  if (!wdir) return null;
  const normalized = path.posix.normalize(wdir.replaceAll('\\', '/')).replace(/(.)\/+$/, '$1');
  return normalized === '.' ? null : normalized;
}

// ---------------------------------------------------------------------------------------------
// Checks of the new stage against itself and the other stages of the file

/** A path of the new stage or of another stage, resolved for comparison. */
interface ResolvedEntry {
  readonly path: string;
  /** Absolute (posix) when the file's directory is known, else relative to a virtual root. */
  readonly resolved: string;
}

const VIRTUAL_ROOT = '/';

function resolver(options: StageWriteOptions, wdir: string | null | undefined): (value: string) => string {
  const base = path.posix.resolve(options.directory ? toPosix(options.directory) : VIRTUAL_ROOT, wdir ?? '.');
  return (value) => path.posix.resolve(base, toPosix(value));
}

/** How DVC names a path in its argument errors: absolute when it knows where the file is. */
function shown(entry: ResolvedEntry, options: StageWriteOptions): string {
  return options.directory ? entry.resolved : entry.path;
}

function isInside(parent: string, child: string): boolean {
  return child !== parent && child.startsWith(parent === '/' ? '/' : `${parent}/`);
}

function isPipelineFileName(value: string): boolean {
  return value.endsWith('.dvc') || path.posix.basename(toPosix(value)) === PIPELINE_FILE;
}

/** `create_stage`'s checks of the stage's own paths, in DVC's order. */
function checkOwnPaths(
  spec: StageSpec,
  options: StageWriteOptions,
): { outs: ResolvedEntry[]; deps: ResolvedEntry[] } {
  const resolve = resolver(options, normalizeWdir(spec.wdir));
  for (const [what, values] of [
    ['an output', stageOutputs(spec).map((output) => output.path)],
    ['a dependency', spec.deps ?? []],
  ] as const) {
    if (values.includes('')) {
      throw new TvcError('EMPTY_PATH', `an empty path was given as ${what}`, {
        hint: 'name a file or directory',
      });
    }
  }
  const outs = stageOutputs(spec).map((output) => ({ path: output.path, resolved: resolve(output.path) }));
  for (const output of outs) {
    if (isPipelineFileName(output.path)) {
      throw new TvcError('OUTPUT_IS_PIPELINE_FILE', `DVC file '${output.path}' cannot be an output.`);
    }
  }
  const deps = (spec.deps ?? []).map((dep) => ({ path: dep, resolved: resolve(dep) }));
  for (const dep of deps) {
    if (isPipelineFileName(dep.path)) {
      throw new TvcError('DEPENDENCY_IS_PIPELINE_FILE', `DVC file '${dep.path}' cannot be a dependency.`);
    }
  }
  for (const file of parseParamsOptions(spec.params ?? []).keys())
    deps.push({ path: file, resolved: resolve(file) });
  const outputPaths = new Set(outs.map((output) => output.resolved));
  const circular = deps.find((dep) => outputPaths.has(dep.resolved));
  if (circular) {
    throw new TvcError(
      'DEPENDENCY_IS_OUTPUT',
      `'${shown(circular, options)}' is specified as an output and as a dependency.`,
    );
  }
  const seen = new Set<string>();
  for (const entry of [...deps, ...outs]) {
    if (seen.has(entry.resolved)) {
      throw new TvcError(
        'PATH_SPECIFIED_TWICE',
        `file '${shown(entry, options)}' is specified more than once.`,
      );
    }
    seen.add(entry.resolved);
  }
  return { outs, deps };
}

/** DVC's `OverlappingOutputPathsError` text. */
function overlapError(parent: [ResolvedEntry, string], child: [ResolvedEntry, string]): TvcError {
  return new TvcError(
    'OVERLAPPING_OUTPUTS',
    `The output paths:\n'${parent[0].path}'('${parent[1]}')\n'${child[0].path}'('${child[1]}')\n` +
      'overlap and are thus in the same tracked directory.\n' +
      'To keep reproducibility, outputs should be in separate tracked directories or tracked individually.',
  );
}

/** The outputs of the file's other stages, where they can be read without templating. */
function otherOutputs(stages: Record<string, unknown>, except: string, options: StageWriteOptions) {
  const found: { stage: string; entry: ResolvedEntry }[] = [];
  for (const [name, body] of Object.entries(stages)) {
    if (name === except || !isRecord(body) || 'foreach' in body || 'matrix' in body) continue;
    const wdir = body.wdir;
    if (wdir !== undefined && (typeof wdir !== 'string' || wdir.includes('${'))) continue;
    const resolve = resolver(options, wdir as string | undefined);
    for (const kind of ['outs', 'metrics', 'plots']) {
      const entries = body[kind];
      if (!Array.isArray(entries)) continue;
      for (const item of entries) {
        const paths = typeof item === 'string' ? [item] : isRecord(item) ? Object.keys(item) : [];
        for (const value of paths) {
          if (!value.includes('${'))
            found.push({ stage: name, entry: { path: value, resolved: resolve(value) } });
        }
      }
    }
  }
  return found;
}

/** `check_graph` for what can be seen from this file: overlapping outputs, self-dependencies. */
function checkGraph(
  spec: StageSpec,
  own: { outs: ResolvedEntry[]; deps: ResolvedEntry[] },
  stages: Record<string, unknown>,
  options: StageWriteOptions,
): void {
  const others = otherOutputs(stages, spec.force ? spec.name : '', options);
  for (const output of own.outs) {
    for (const other of others) {
      if (other.entry.resolved === output.resolved) {
        throw new TvcError(
          'OUTPUT_DUPLICATED',
          `output '${output.path}' is already specified in stage: '${other.stage}'.\n` +
            `Remove stage '${other.stage}' from its dvc.yaml to stop tracking the overlapping output.`,
        );
      }
      if (isInside(other.entry.resolved, output.resolved)) {
        throw overlapError([other.entry, other.stage], [output, spec.name]);
      }
      if (isInside(output.resolved, other.entry.resolved)) {
        throw overlapError([output, spec.name], [other.entry, other.stage]);
      }
    }
  }
  own.outs.forEach((output, index) => {
    for (const other of own.outs.slice(index + 1)) {
      if (isInside(output.resolved, other.resolved))
        throw overlapError([output, spec.name], [other, spec.name]);
      if (isInside(other.resolved, output.resolved))
        throw overlapError([other, spec.name], [output, spec.name]);
    }
  });
  for (const dep of own.deps) {
    if (
      own.outs.some(
        (output) => isInside(output.resolved, dep.resolved) || isInside(dep.resolved, output.resolved),
      )
    ) {
      throw new TvcError(
        'SELF_DEPENDENCY',
        `Same item(s) are defined as both a dependency and an output in stage: ${spec.name}.`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Editing the text

/** Whether a value is a scalar (a changed one is rewritten in place, keeping a comment after it). */
function isScalarData(value: YamlData): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * The lines of `name:` and its body with the key at column `indent`, ending with a newline: what
 * ruamel writes for DVC at that depth (block style, quoting, wrapping at column 80).
 */
function emitEntry(name: string, body: YamlData, indent: number): string {
  return dumpDvcYaml(new Map([[name, body]]), { indent });
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

function applyEdits(text: string, edits: readonly Edit[]): string {
  let result = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start || b.end - a.end)) {
    result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  }
  return result;
}

/** The offset just past the last token of `node` (comments and blank lines after it excluded). */
function contentEnd(node: Node | Pair | null | undefined): number {
  if (!node) return 0;
  if (isPair(node)) return Math.max(contentEnd(node.key as Node), contentEnd(node.value as Node));
  if ((isMap(node) || isSeq(node)) && !node.flow) {
    return Math.max(node.range?.[0] ?? 0, ...node.items.map((item) => contentEnd(item as Node | Pair)));
  }
  return (node as Node).range?.[1] ?? 0;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/**
 * The offset after the newline ending the line that holds `offset` (or the end of the text); an
 * offset just past a newline (the end of a block scalar) is already there.
 */
function lineEnd(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const newline = text.indexOf('\n', offset);
  return newline < 0 ? text.length : newline + 1;
}

function column(text: string, offset: number): number {
  return Array.from(text.slice(lineStart(text, offset), offset)).length;
}

/**
 * Where to add lines after the block that ends at `end`: past the line holding it and past the
 * comment lines indented deeper than `indent` that follow (they belong to that block); blank lines
 * and shallower comments stay after the insertion.
 */
function insertionPoint(text: string, end: number, indent: number): number {
  let point = lineEnd(text, end);
  let cursor = point;
  while (cursor < text.length) {
    const newline = text.indexOf('\n', cursor);
    const next = newline < 0 ? text.length : newline + 1;
    const line = text.slice(cursor, next).replace(/\r?\n$/, '');
    const trimmed = line.trimStart();
    if (trimmed === '') {
      cursor = next;
      continue;
    }
    if (!trimmed.startsWith('#') || line.length - trimmed.length <= indent) break;
    point = cursor = next;
  }
  return point;
}

/** Whether the entries of `map` (two at least) are all set apart by blank lines, a style to keep. */
function separatedByBlankLines(text: string, map: YAMLMap): boolean {
  if (map.items.length < 2) return false;
  return map.items.slice(1).every((item, index) => {
    const previousEnd = lineEnd(text, contentEnd(map.items[index]!));
    const gap = text.slice(previousEnd, lineStart(text, (item.key as Node).range![0]));
    return gap
      .split('\n')
      .slice(0, -1)
      .some((line) => line.trim() === '');
  });
}

/** Text inserted at `offset`: on a line of its own, even at the end of a file without a newline. */
function insertLines(text: string, offset: number, lines: string): Edit {
  const needsNewline = offset === text.length && text.length > 0 && !text.endsWith('\n');
  return { start: offset, end: offset, text: needsNewline ? `\n${lines}` : lines };
}

function structureError(source: YamlSource, at: readonly (string | number)[], message: string): TvcError {
  return new TvcError('INVALID_PIPELINE_FILE', message, {
    location: locate(source, at),
    hint: 'fix the file, or move the stages out of flow style (`{…}`), then add the stage again',
  });
}

function typeName(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'null' : `a ${typeof node.value}`;
  return 'something else';
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => deepEqual(item, b[i]))
    );
  }
  if (isRecord(a) || isRecord(b)) {
    if (!isRecord(a) || !isRecord(b)) return false;
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key], b[key]))
    );
  }
  return a === b;
}

function toPlain(value: YamlData): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [key, toPlain(item)]));
  return value;
}

/**
 * Overwrites the stage at `pair` as DVC's `apply_diff` does: the entry keeps its place and the
 * order of its keys; unchanged keys keep their text (and comments), changed ones are rewritten,
 * keys no longer wanted are removed, new ones are added at the end.
 */
function replaceEntry(
  text: string,
  pair: Pair,
  name: string,
  entry: DataMap,
  old: Record<string, unknown>,
): Edit[] {
  const keyNode = pair.key as Node;
  const body = pair.value as Node | null;
  const stageIndent = column(text, keyNode.range![0]);
  if (!isMap(body) || body.flow || body.items.length === 0) {
    const start = lineStart(text, keyNode.range![0]);
    return [{ start, end: lineEnd(text, contentEnd(pair)), text: emitEntry(name, entry, stageIndent) }];
  }
  const edits: Edit[] = [];
  const firstKey = body.items[0]!.key as Node;
  const bodyIndent = column(text, firstKey.range![0]);
  for (const item of body.items) {
    const key = isScalar(item.key) ? String(item.key.value) : undefined;
    const itemKey = item.key as Node;
    const start = lineStart(text, itemKey.range![0]);
    const end = lineEnd(text, contentEnd(item));
    if (key === undefined || !entry.has(key)) {
      edits.push({ start, end, text: '' });
      continue;
    }
    const wanted = entry.get(key)!;
    if (deepEqual(old[key], toPlain(wanted))) continue;
    const lines = emitEntry(key, wanted, bodyIndent);
    const value = item.value as Node | null;
    if (
      isScalarData(wanted) &&
      isScalar(value) &&
      value.source !== null &&
      !String(value.type).startsWith('BLOCK')
    ) {
      // Rewrite the scalar in place, keeping a comment after it on its line.
      edits.push({ start, end: value.range![1], text: lines.slice(0, -1) });
    } else edits.push({ start, end, text: lines });
  }
  const added = [...entry].filter(([key]) => !(key in old));
  if (added.length > 0) {
    const last = body.items[body.items.length - 1]!;
    const lines = added.map(([key, value]) => emitEntry(key, value, bodyIndent)).join('');
    edits.push(insertLines(text, insertionPoint(text, contentEnd(last), bodyIndent), lines));
  }
  return edits;
}

/**
 * Returns the text of a dvc.yaml (`text`, or `undefined` when there is none) with the stage added,
 * as `dvc stage add` would add it; throws a {@link TvcError} (DVC's message where it has one) when
 * the stage cannot be added. Pure: reads and writes nothing.
 */
export function addStageToText(
  text: string | undefined,
  spec: StageSpec,
  options: StageWriteOptions = {},
): StageWriteResult {
  const file = options.file ?? PIPELINE_FILE;
  checkStageSpec(spec);
  const own = checkOwnPaths(spec, options);
  const outputs = stageOutputs(spec);
  const current = text ?? '';
  const { source, problems } = parseYamlSource(file, current);
  throwIfProblems(problems);
  if (!source) throw new TvcError('YAML_SYNTAX', `malformed YAML in ${file}`, { location: { file } });
  const document = source.document;
  const top = document.contents as Node | null;
  if (top !== null && !(isScalar(top) && top.value === null) && !isMap(top)) {
    throw structureError(source, [], `${file} must hold a mapping, not ${typeName(top)}`);
  }
  const topMap = isMap(top) ? (top as YAMLMap) : undefined;
  const stagesPair = topMap?.items.find((item) => isScalar(item.key) && item.key.value === 'stages');
  const stagesNode = stagesPair?.value as Node | null | undefined;
  if (stagesPair && !isMap(stagesNode)) {
    throw structureError(
      source,
      ['stages'],
      `'stages' must be a mapping, not ${typeName(stagesNode ?? null)}`,
    );
  }
  const stagesMap = stagesNode as YAMLMap | undefined;
  const existing = stagesMap?.items.find(
    (item) => isScalar(item.key) && String(item.key.value) === spec.name,
  );
  if (existing && !spec.force) {
    throw new TvcError(
      'STAGE_EXISTS',
      `Stage '${spec.name}' already exists in '${file}'. Use '--force' to overwrite.`,
    );
  }
  const rawStages = isRecord(source.value) && isRecord(source.value.stages) ? source.value.stages : {};
  checkGraph(spec, own, rawStages, options);

  const rawOld = existing ? rawStages[String((existing.key as Scalar).value)] : undefined;
  const oldEntry = existing ? (isRecord(rawOld) ? rawOld : {}) : undefined;
  const entry = pipelineEntry(spec, oldEntry);
  let edits: Edit[];
  if (existing) {
    edits = replaceEntry(current, existing, spec.name, entry, oldEntry ?? {});
  } else if (stagesPair && stagesMap && (stagesMap.items.length > 0 || !stagesMap.flow)) {
    if (stagesMap.flow)
      throw structureError(source, ['stages'], "cannot add a stage to a flow-style 'stages' mapping");
    const stageIndent = column(current, (stagesMap.items[0]!.key as Node).range![0]);
    const point = insertionPoint(current, contentEnd(stagesMap), stageIndent);
    const separator = separatedByBlankLines(current, stagesMap) ? '\n' : '';
    edits = [insertLines(current, point, `${separator}${emitEntry(spec.name, entry, stageIndent)}`)];
  } else if (stagesPair && stagesMap) {
    // `stages: {}`: the empty flow mapping becomes a block one.
    const keyIndent = column(current, (stagesPair.key as Node).range![0]);
    const lines = emitEntry(spec.name, entry, keyIndent + 2);
    const colon = current.indexOf(':', (stagesPair.key as Node).range![1]);
    edits = [{ start: colon, end: stagesMap.range![1], text: `:\n${lines.slice(0, -1)}` }];
  } else if (topMap?.flow) {
    if (topMap.items.length > 0)
      throw structureError(source, [], `cannot add a stage to a flow-style mapping`);
    edits = [
      {
        start: topMap.range![0],
        end: topMap.range![1],
        text: `stages:\n${emitEntry(spec.name, entry, 2).slice(0, -1)}`,
      },
    ];
  } else {
    const topIndent =
      topMap && topMap.items.length > 0 ? column(current, (topMap.items[0]!.key as Node).range![0]) : 0;
    const lines = `${' '.repeat(topIndent)}stages:\n${emitEntry(spec.name, entry, topIndent + 2)}`;
    const point =
      topMap && topMap.items.length > 0
        ? insertionPoint(current, contentEnd(topMap), topIndent)
        : current.length;
    edits = [insertLines(current, point, lines)];
  }
  if (current.includes('\r\n')) {
    edits = edits.map((edit) => ({ ...edit, text: edit.text.replace(/\r?\n/g, '\r\n') }));
  }
  return { text: applyEdits(current, edits), replaced: existing !== undefined, outputs };
}
