import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { comparePythonStrings, isParamsMapping, type ParamsValue, PythonFloat } from '@tvc/params';
import type { Node, Pair, YAMLMap } from 'yaml';
import {
  copyKeyTags,
  DVC_YAML_INDENT,
  type DvcYamlSource,
  dumpDvcYaml,
  fastDvcYamlValue,
  nodeLocation,
  parseDvcYaml,
} from './dvc-yaml';
import { type SourceLocation, TvcError, throwIfProblems } from './errors';
import { DEFAULT_PARAMS_FILE } from './loaders';
import type { ParsedValueCache } from './parsed-cache';
import { decodeUtf8 } from './text-decode';
import { isMap, isScalar, isSeq } from './yaml-lib';

// dvc.lock and the run-cache must be byte for byte what DVC writes, so they are read and written
// in DVC's YAML dialect (./dvc-yaml). Its reader and writer are re-exported for the tests that
// check lock files through them.
export { dumpDvcYaml, parseDvcYaml, resolvePlainScalarTag } from './dvc-yaml';

// ─── dvc.lock ────────────────────────────────────────────────────────────────────────────────────

/**
 * A dependency or output as recorded in dvc.lock. `hash: 'md5'` marks a DVC 3 item; an item
 * without it was written by DVC 2 and its `md5` is an `md5-dos2unix` hash (see COMPAT §3).
 * Keys DVC writes that tvc does not interpret (`files`, `cloud`, `version_id`…) are kept.
 */
export interface LockItem {
  readonly path: string;
  readonly hash?: 'md5';
  readonly md5?: string;
  readonly size?: number;
  readonly nfiles?: number;
  readonly isexec?: boolean;
  readonly [key: string]: unknown;
}

/** One stage's entry of dvc.lock. Unknown keys read from a file are kept as further properties. */
export interface LockEntry {
  readonly cmd: string | readonly string[];
  readonly deps?: readonly LockItem[];
  readonly params?: Readonly<Record<string, Readonly<Record<string, ParamsValue>>>>;
  readonly outs?: readonly LockItem[];
  readonly [key: string]: unknown;
}

const LOCK_SCHEMA_VERSION = '2.0';
const ITEM_KEYS = ['path', 'hash', 'md5', 'etag', 'checksum', 'size', 'nfiles', 'isexec'] as const;
const ENTRY_KEYS = ['cmd', 'deps', 'params', 'outs'] as const;

/** An item with DVC's key order: path, hash, md5 (or a URL's etag/checksum), size, nfiles, isexec, then the rest. */
function orderedItem(item: LockItem): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ITEM_KEYS) if (item[key] !== undefined) out[key] = item[key];
  for (const [key, value] of Object.entries(item)) {
    if (!(ITEM_KEYS as readonly string[]).includes(key) && value !== undefined) out[key] = value;
  }
  return out;
}

/** An entry as DVC writes it: cmd, deps, params, outs (empty sections left out), then anything else. */
export function lockEntryData(entry: LockEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { cmd: entry.cmd };
  if (entry.deps && entry.deps.length > 0) out.deps = entry.deps.map(orderedItem);
  if (entry.params && Object.keys(entry.params).length > 0) out.params = entry.params;
  if (entry.outs && entry.outs.length > 0) out.outs = entry.outs.map(orderedItem);
  for (const [key, value] of Object.entries(entry)) {
    if (!(ENTRY_KEYS as readonly string[]).includes(key) && value !== undefined) out[key] = value;
  }
  return out;
}

const byPath = (a: LockItem, b: LockItem) => comparePythonStrings(a.path, b.path);

/**
 * Builds a lock entry in DVC's order (`dvc/stage/serialize.py`, `to_single_stage_lockfile`): cmd;
 * deps sorted by path; params grouped by file, `params.yaml` first and the other files in
 * alphabetical order, keys sorted in each (values keep their own order); outs (outs, metrics and
 * plots together) sorted by path. Empty sections are left out; item keys are put in the order
 * path, hash, md5, size, nfiles, isexec.
 *
 * Legacy items: pass an item without `hash` to keep it as DVC 2 wrote it. DVC keeps a legacy
 * (md5-dos2unix) hash until the data changes; deciding that is the caller's job.
 */
export function toLockEntry(input: {
  readonly cmd: string | readonly string[];
  readonly deps: readonly LockItem[];
  readonly params: readonly {
    readonly file: string;
    readonly values: Readonly<Record<string, ParamsValue>>;
  }[];
  readonly outs: readonly LockItem[];
}): LockEntry {
  const files = new Map<string, Record<string, ParamsValue>>();
  for (const { file, values } of input.params) {
    const merged = files.get(file) ?? {};
    Object.assign(merged, values);
    copyKeyTags(values, merged);
    files.set(file, merged);
  }
  const names = [...files.keys()].sort(comparePythonStrings);
  if (names.includes(DEFAULT_PARAMS_FILE)) {
    names.splice(names.indexOf(DEFAULT_PARAMS_FILE), 1);
    names.unshift(DEFAULT_PARAMS_FILE);
  }
  const params: Record<string, Record<string, ParamsValue>> = {};
  for (const name of names) {
    const values = files.get(name)!;
    const sorted: Record<string, ParamsValue> = {};
    for (const key of Object.keys(values).sort(comparePythonStrings)) sorted[key] = values[key]!;
    copyKeyTags(values, sorted);
    params[name] = sorted;
  }
  const entry: { -readonly [K in keyof LockEntry]: LockEntry[K] } = { cmd: input.cmd };
  const deps = [...input.deps].sort(byPath).map((item) => orderedItem(item) as LockItem);
  const outs = [...input.outs].sort(byPath).map((item) => orderedItem(item) as LockItem);
  if (deps.length > 0) entry.deps = deps;
  if (names.length > 0) entry.params = params;
  if (outs.length > 0) entry.outs = outs;
  return entry;
}

/** Whether an item was written by DVC 2 (no `hash:` key: its md5 is `md5-dos2unix`). */
export function isLegacyLockItem(item: LockItem): boolean {
  return item.hash === undefined;
}

interface StoredEntry {
  entry: LockEntry;
  /**
   * The entry's text in the file (from its key's line up to the next entry) while untouched —
   * `null` until it is first needed (reading a lock for status never needs it) — and `undefined`
   * once the entry changed.
   */
  raw: string | null | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => isParamsMapping(value);

/**
 * A dvc.lock file: read, changed entry by entry, and written back as DVC writes it. Entries that
 * are not changed keep their bytes (and their position); a changed entry is written in place, a
 * new one appended, both exactly as DVC 3.67 writes them.
 */
export class LockFile {
  /** The file's absolute path. */
  readonly path: string;
  /** The file's name in messages (relative to the cwd or the root). */
  readonly display: string;
  readonly #text: string | undefined;
  /** The positional parse of the text: made on first use (writing, or locating a problem). */
  #parsed: DvcYamlSource | undefined;
  #raws: Map<string, string> | undefined;
  readonly #entries = new Map<string, StoredEntry>();
  /** The file's top-level mapping as read (schema, stages, datasets…); empty for a new file. */
  readonly #data: Record<string, unknown>;
  #changed = false;

  private constructor(
    absolute: string,
    display: string,
    text: string | undefined,
    source: DvcYamlSource | undefined,
    data: Record<string, unknown>,
  ) {
    this.path = absolute;
    this.display = display;
    this.#text = text;
    this.#parsed = source;
    this.#data = data;
  }

  /** Reads a lock file; a missing file is an empty one. Problems are thrown with their locations. */
  static async read(absolute: string, display: string, cache?: ParsedValueCache): Promise<LockFile> {
    let bytes: Buffer;
    try {
      bytes = await readFile(absolute);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return new LockFile(absolute, display, undefined, undefined, {});
      }
      throw new TvcError('LOCK_UNREADABLE', `cannot read '${display}': ${(error as Error).message}`, {
        cause: error,
      });
    }
    return LockFile.parse(decodeUtf8(bytes, display), absolute, display, cache);
  }

  /** A lock file from its text (what {@link read} does after reading). */
  static parse(text: string, absolute: string, display: string, cache?: ParsedValueCache): LockFile {
    // The fast reader gives the value; the positional parse waits until something needs it.
    const fast = cache ? cache.read('dvc.lock', text, () => fastDvcYamlValue(text)) : fastDvcYamlValue(text);
    let parsed = fast === undefined ? parseDvcYaml(text, display) : undefined;
    const source = (): DvcYamlSource => {
      parsed ??= parseDvcYaml(text, display);
      return parsed;
    };
    const data = fast === undefined ? parsed!.value : fast;
    // DVC: `yaml.load(text) or {}`; an empty file is an empty lock file.
    if (data === undefined || data === null || (isRecord(data) && Object.keys(data).length === 0)) {
      return new LockFile(absolute, display, text, parsed, {});
    }
    const problems: TvcError[] = [];
    const at = (yamlPath: readonly (string | number)[], key = false): SourceLocation => {
      let node: unknown = source().document.contents;
      let found: Node | undefined = node as Node;
      for (const [index, part] of yamlPath.entries()) {
        if (isMap(node)) {
          const pair = (node.items as Pair<unknown, unknown>[]).find(
            (item) => isScalar(item.key) && String(item.key.value) === String(part),
          );
          if (!pair) break;
          node = key && index === yamlPath.length - 1 ? pair.key : pair.value;
        } else if (isSeq(node) && typeof part === 'number') {
          node = node.items[part];
        } else {
          break;
        }
        if (node && typeof node === 'object' && 'range' in node) found = node as Node;
      }
      return nodeLocation(source(), display, found);
    };
    const problem = (message: string, location: SourceLocation) =>
      problems.push(
        new TvcError('LOCK_SCHEMA', `'${display}' is invalid: ${message}`, {
          location,
          hint: 'fix or delete the lock file (tvc repro writes a new one)',
        }),
      );
    if (!isRecord(data)) {
      problem('expected a mapping at the top level', at([]));
      throwIfProblems(problems);
    }
    const top = data as Record<string, unknown>;
    if (!('schema' in top)) problem(`missing 'schema: '${LOCK_SCHEMA_VERSION}''`, at([]));
    else if (top.schema !== LOCK_SCHEMA_VERSION) {
      problem(`invalid schema version (expected '${LOCK_SCHEMA_VERSION}')`, at(['schema']));
    }
    const file = new LockFile(absolute, display, text, parsed, top);
    const stages = top.stages;
    if (stages !== undefined && stages !== null && !isRecord(stages)) {
      problem("'stages' must be a mapping", at(['stages']));
    } else if (stages) {
      for (const [name, value] of Object.entries(stages)) {
        const entry = checkEntry(value, ['stages', name], (message, where, key) =>
          problem(message, at(where, key)),
        );
        if (entry) file.#entries.set(name, { entry, raw: null });
      }
    }
    throwIfProblems(problems);
    return file;
  }

  /** The stage names with entries, in file order. */
  get stages(): string[] {
    return [...this.#entries.keys()];
  }

  get(stage: string): LockEntry | undefined {
    return this.#entries.get(stage)?.entry;
  }

  /** Replaces a stage's entry where it stands, or appends it. Nothing changes if DVC would write the same text. */
  set(stage: string, entry: LockEntry): void {
    const stored = this.#entries.get(stage);
    if (stored?.raw === null) stored.raw = this.#rawEntries().get(stage);
    if (stored?.raw !== undefined && stored.raw === this.#entryText(stage, entry, this.#entryColumn())) {
      stored.entry = entry;
      return;
    }
    if (stored) {
      stored.entry = entry;
      stored.raw = undefined;
    } else {
      this.#entries.set(stage, { entry, raw: undefined });
    }
    this.#changed = true;
  }

  delete(stage: string): void {
    if (this.#entries.delete(stage)) this.#changed = true;
  }

  /**
   * The file's text as DVC would write it; the original text when nothing changed, `''` when the
   * last entry was deleted (DVC then removes the file).
   */
  serialize(): string {
    if (!this.#changed) return this.#text ?? '';
    if (this.#entries.size === 0) return '';
    const spliced = this.#splice();
    if (spliced !== undefined) return spliced;
    // No block `stages` mapping to splice into: write the whole file as DVC would (entries
    // cloned one by one, so that only objects shared within an entry become YAML aliases).
    const stages: Record<string, unknown> = {};
    for (const [name, { entry }] of this.#entries) stages[name] = cloneSharing(lockEntryData(entry));
    const fresh = Object.keys(this.#data).length === 0;
    const data: Record<string, unknown> = fresh ? { schema: LOCK_SCHEMA_VERSION } : { ...this.#data };
    data.stages = stages;
    return dumpDvcYaml(data);
  }

  /** Writes the file if anything changed (a temporary file renamed over it), or removes it when emptied. */
  async write(): Promise<void> {
    if (!this.#changed) return;
    const text = this.serialize();
    if (text === '') {
      await rm(this.path, { force: true });
    } else {
      const temporary = path.join(
        path.dirname(this.path),
        `.${path.basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`,
      );
      try {
        await writeFile(temporary, text, 'utf8');
        await rename(temporary, this.path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw new TvcError(
          'LOCK_WRITE_FAILED',
          `cannot write '${this.display}': ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
    this.#changed = false;
  }

  /** The `stages` mapping node, when it is a non-empty block mapping that text can be spliced into. */
  #stagesNode(): { map: YAMLMap; end: number } | undefined {
    const contents = this.#source()?.document.contents;
    if (!isMap(contents) || contents.flow) return undefined;
    const pairs = contents.items as Pair<unknown, unknown>[];
    const index = pairs.findIndex((pair) => isScalar(pair.key) && pair.key.value === 'stages');
    const value = pairs[index]?.value;
    if (!isMap(value) || value.flow || value.items.length === 0) return undefined;
    const next = pairs[index + 1]?.key as Node | undefined;
    const end = next?.range ? lineStart(this.#text!, next.range[0]) : this.#text!.length;
    return { map: value, end };
  }

  /** Each entry's text, from the line of its key to the line of the next key (or the end of `stages`). */
  /** The positional parse of the file's text (none for a new file). */
  #source(): DvcYamlSource | undefined {
    if (this.#text === undefined) return undefined;
    this.#parsed ??= parseDvcYaml(this.#text, this.display);
    return this.#parsed;
  }

  #rawEntries(): Map<string, string> {
    if (this.#raws) return this.#raws;
    const raws = new Map<string, string>();
    this.#raws = raws;
    const stages = this.#stagesNode();
    if (!stages) return raws;
    const text = this.#text!;
    const pairs = stages.map.items as Pair<unknown, unknown>[];
    pairs.forEach((pair, index) => {
      const key = pair.key as Node;
      const next = pairs[index + 1]?.key as Node | undefined;
      const start = lineStart(text, key.range![0]);
      const end = next ? lineStart(text, next.range![0]) : stages.end;
      if (isScalar(key)) raws.set(String(key.value), text.slice(start, end));
    });
    return raws;
  }

  /** The column of the entries' keys under `stages` (2 in every file DVC writes). */
  #entryColumn(): number {
    const first = this.#stagesNode()?.map.items[0]?.key as Node | undefined;
    const source = this.#source();
    if (!first?.range || !source) return DVC_YAML_INDENT;
    return source.lineCounter.linePos(first.range[0]).col - 1;
  }

  /** An entry's text as DVC writes it under `stages:`, moved to `column`. */
  #entryText(stage: string, entry: LockEntry, column: number): string {
    const dumped = dumpDvcYaml({ stages: { [stage]: lockEntryData(entry) } });
    const lines = dumped.slice(dumped.indexOf('\n') + 1);
    if (column === DVC_YAML_INDENT) return lines;
    const shift = column - DVC_YAML_INDENT;
    return lines
      .split('\n')
      .map((line) => (line === '' ? line : shift > 0 ? ' '.repeat(shift) + line : line.slice(-shift)))
      .join('\n');
  }

  /** The new text with untouched entries kept byte for byte; `undefined` when the file has no block `stages` to splice into. */
  #splice(): string | undefined {
    const stages = this.#stagesNode();
    if (!stages) return undefined;
    const text = this.#text!;
    const firstKey = stages.map.items[0]!.key as Node;
    const start = lineStart(text, firstKey.range![0]);
    const column = this.#entryColumn();
    let body = '';
    for (const [name, stored] of this.#entries) {
      if (stored.raw === null) stored.raw = this.#rawEntries().get(name);
      if (body !== '' && !body.endsWith('\n')) body += '\n';
      body += stored.raw ?? this.#entryText(name, stored.entry, column);
    }
    const rest = text.slice(stages.end);
    if (rest !== '' && !body.endsWith('\n')) body += '\n';
    return text.slice(0, start) + body + rest;
  }
}

/** A deep copy in which objects shared inside `value` stay shared (and nothing else is). */
function cloneSharing(value: unknown, copies = new Map<object, unknown>()): unknown {
  if (typeof value !== 'object' || value === null || value instanceof PythonFloat || value instanceof Date) {
    return value;
  }
  if (copies.has(value)) return copies.get(value);
  if (Array.isArray(value)) {
    const list: unknown[] = [];
    copies.set(value, list);
    for (const item of value) list.push(cloneSharing(item, copies));
    return list;
  }
  const map: Record<string, unknown> = {};
  copies.set(value, map);
  for (const [key, item] of Object.entries(value)) map[key] = cloneSharing(item, copies);
  copyKeyTags(value, map);
  return map;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/**
 * Reads one lock entry saved on its own (a run-cache file), checked as DVC checks lock entries.
 * Throws a `YAML_SYNTAX` or `LOCK_SCHEMA` error naming the file, line and column.
 */
export function readLockEntry(text: string, file: string): LockEntry {
  const source = parseDvcYaml(text, file);
  const problems: TvcError[] = [];
  const entry = checkEntry(source.value, ['', file], (message) =>
    problems.push(new TvcError('LOCK_SCHEMA', `'${file}' is invalid: ${message}`, { location: { file } })),
  );
  throwIfProblems(problems);
  if (!entry) throw new TvcError('LOCK_SCHEMA', `'${file}' is invalid`, { location: { file } });
  return entry;
}

/** Validates one entry read from a lock file, as DVC's lock schema does; `undefined` when unusable. */
function checkEntry(
  value: unknown,
  where: readonly (string | number)[],
  problem: (message: string, where: readonly (string | number)[], key?: boolean) => void,
): LockEntry | undefined {
  if (!isRecord(value)) {
    problem(`entry '${where[1]}' must be a mapping`, where, true);
    return undefined;
  }
  const cmd = value.cmd;
  let ok = true;
  if (cmd === undefined) {
    problem(`entry '${where[1]}' has no 'cmd'`, where, true);
    ok = false;
  } else if (
    !(typeof cmd === 'string' || (Array.isArray(cmd) && cmd.every((part) => typeof part === 'string')))
  ) {
    problem("'cmd' must be a string or a list of strings", [...where, 'cmd']);
    ok = false;
  }
  const entry: Record<string, unknown> = { ...value };
  for (const section of ['deps', 'outs'] as const) {
    const list = value[section];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problem(`'${section}' must be a list`, [...where, section]);
      ok = false;
      continue;
    }
    entry[section] = list.map((item, index) => checkItem(item, [...where, section, index], problem));
  }
  const params = value.params;
  if (params !== undefined) {
    if (!isRecord(params) || !Object.values(params).every(isRecord)) {
      problem("'params' must map each params file to its values", [...where, 'params']);
      ok = false;
    }
  }
  return ok ? (entry as unknown as LockEntry) : undefined;
}

function checkItem(
  value: unknown,
  where: readonly (string | number)[],
  problem: (message: string, where: readonly (string | number)[]) => void,
): LockItem {
  if (!isRecord(value) || typeof value.path !== 'string') {
    problem("each item must be a mapping with a 'path'", where);
    return { path: '' };
  }
  const item: Record<string, unknown> = { ...value };
  // DVC's checksum schema: empty means none, an int becomes its digits, hex is lower-cased.
  const md5 = value.md5;
  if (md5 === null || md5 === '') delete item.md5;
  else if (typeof md5 === 'number' || typeof md5 === 'bigint') item.md5 = String(md5);
  else if (typeof md5 === 'string') item.md5 = md5.toLowerCase();
  else if (md5 !== undefined) problem("'md5' must be a string", [...where, 'md5']);
  for (const key of ['size', 'nfiles'] as const) {
    const number = value[key];
    if (number !== undefined && !(typeof number === 'number' && Number.isInteger(number))) {
      problem(`'${key}' must be an integer`, [...where, key]);
    }
  }
  if (value.isexec !== undefined && typeof value.isexec !== 'boolean') {
    problem("'isexec' must be true or false", [...where, 'isexec']);
  }
  if (value.hash !== undefined && value.hash !== 'md5') {
    problem(`unsupported hash '${String(value.hash)}' (tvc knows 'md5')`, [...where, 'hash']);
  }
  return item as LockItem;
}
