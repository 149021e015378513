import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  comparePythonStrings,
  isParamsMapping,
  type ParamsValue,
  PythonFloat,
  pythonFloatRepr,
} from '@tvc/params';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type YAMLMap,
} from 'yaml';
import { InternalError, type SourceLocation, TvcError, throwIfProblems } from './errors';
import { DEFAULT_PARAMS_FILE } from './loaders';

// ─── DVC's YAML dialect ──────────────────────────────────────────────────────────────────────────
//
// DVC reads YAML with ruamel.yaml's safe loader (YAML 1.2 resolution, with ruamel's own quirks:
// `1_000` and `0b101` are ints, `2020-01-01` is a date) and writes it with ruamel's round-trip
// dumper configured by `dvc/utils/serialize/_yaml.py`. Both halves live here because dvc.lock and
// the run-cache must be byte for byte what DVC writes; params-yaml reuses the reading half.

type ScalarTag = 'null' | 'bool' | 'int' | 'float' | 'str' | 'timestamp' | 'merge' | 'value' | 'yaml';

// ruamel.yaml's implicit resolvers for YAML 1.2, in its order, each tried only for the first
// characters it is registered for.
const RESOLVERS: readonly { tag: ScalarTag; first: string; pattern: RegExp }[] = [
  { tag: 'bool', first: 'tTfF', pattern: /^(?:true|True|TRUE|false|False|FALSE)$/ },
  {
    tag: 'float',
    first: '-+0123456789.',
    pattern:
      /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  },
  {
    tag: 'int',
    first: '-+0123456789',
    pattern: /^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$/,
  },
  { tag: 'merge', first: '<', pattern: /^(?:<<)$/ },
  { tag: 'null', first: '~nN', pattern: /^(?:~|null|Null|NULL|)$/ },
  {
    tag: 'timestamp',
    first: '0123456789',
    pattern:
      /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  },
  { tag: 'value', first: '=', pattern: /^(?:=)$/ },
  { tag: 'yaml', first: '!&*', pattern: /^(?:!|&|\*)$/ },
];

/**
 * The tag ruamel.yaml resolves a plain scalar to. Python's `re.match(...$)` also matches before
 * one trailing newline, and so does this.
 */
export function resolvePlainScalarTag(text: string): ScalarTag {
  const subject = text.endsWith('\n') ? [text, text.slice(0, -1)] : [text];
  const first = text === '' ? '' : text[0]!;
  for (const resolver of RESOLVERS) {
    if (first === '' ? resolver.tag !== 'null' : !resolver.first.includes(first)) continue;
    if (subject.some((candidate) => resolver.pattern.test(candidate))) return resolver.tag;
  }
  return 'str';
}

/** A scalar that cannot be built (`0x_`, `!!int abc`, an unknown tag): the message says why. */
class ScalarError extends Error {}

function constructInt(text: string): number | bigint {
  let digits = text.replaceAll('_', '');
  const negative = digits.startsWith('-');
  if (digits.startsWith('-') || digits.startsWith('+')) digits = digits.slice(1);
  let big: bigint;
  const parse = (body: string, prefix: string, pattern: RegExp): bigint => {
    if (!pattern.test(body)) throw new ScalarError(`invalid literal for int(): '${text}'`);
    return BigInt(prefix + body);
  };
  if (digits === '0') big = 0n;
  else if (digits.startsWith('0b')) big = parse(digits.slice(2), '0b', /^[01]+$/);
  else if (digits.startsWith('0x')) big = parse(digits.slice(2), '0x', /^[0-9a-fA-F]+$/);
  else if (digits.startsWith('0o')) big = parse(digits.slice(2), '0o', /^[0-7]+$/);
  else big = parse(digits, '', /^[0-9]+$/);
  if (negative) big = -big;
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function constructFloat(text: string): number | PythonFloat {
  let body = text.replaceAll('_', '').toLowerCase();
  const sign = body.startsWith('-') ? -1 : 1;
  if (body.startsWith('-') || body.startsWith('+')) body = body.slice(1);
  if (body === '.inf') return sign * Number.POSITIVE_INFINITY;
  if (body === '.nan') return Number.NaN;
  const value = sign * Number(body);
  if (Number.isNaN(value) || !/^(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/.test(body)) {
    throw new ScalarError(`could not convert string to float: '${text}'`);
  }
  return Number.isInteger(value) ? new PythonFloat(value) : value;
}

function constructBool(text: string): boolean {
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  throw new ScalarError(`invalid boolean: '${text}'`);
}

function constructTimestamp(text: string): Date {
  const match =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d*))?(?:[ \t]*(Z|[-+]\d{1,2}(?::\d{2})?))?)?$/.exec(
      text,
    );
  if (!match) throw new ScalarError(`invalid timestamp: '${text}'`);
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone] = match;
  let time = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Number(fraction.slice(0, 3).padEnd(3, '0')),
  );
  if (zone && zone !== 'Z') {
    const [zoneHours = '0', zoneMinutes = '0'] = zone.slice(1).split(':');
    const offset = (Number(zoneHours) * 60 + Number(zoneMinutes)) * 60_000;
    time -= zone.startsWith('-') ? -offset : offset;
  }
  return new Date(time);
}

const CORE_TAG_PREFIX = 'tag:yaml.org,2002:';

/** What ruamel's safe constructor makes of a scalar with its (implicit or explicit) tag. */
function constructScalar(text: string, tag: string): ParamsValue {
  switch (tag) {
    case 'null':
      return null;
    case 'bool':
      return constructBool(text);
    case 'int':
      return constructInt(text);
    case 'float':
      return constructFloat(text);
    case 'str':
      return text;
    case 'timestamp':
      return constructTimestamp(text);
    default:
      throw new ScalarError(`could not determine a constructor for the tag '${CORE_TAG_PREFIX}${tag}'`);
  }
}

/**
 * The value of a YAML document read as DVC reads it (ruamel.yaml's safe loader): plain scalars
 * resolved by YAML 1.2 as ruamel does it, integral floats as {@link PythonFloat}, ints beyond
 * 2^53 as bigints, merge keys (`<<`) applied, aliases sharing one object. The document must
 * have been parsed with the failsafe schema (every scalar a string), as {@link parseDvcYaml} does.
 */
export function dvcYamlValue(
  document: Document.Parsed,
  onError: (message: string, node: Node | undefined) => void,
): ParamsValue {
  const converted = new Map<Node, ParamsValue>();

  const convert = (node: unknown): ParamsValue => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = node.resolve(document);
      if (!target) {
        onError(`found undefined alias '${node.source}'`, node);
        return null;
      }
      return converted.has(target) ? converted.get(target)! : convert(target);
    }
    if (isScalar(node)) {
      const text = String(node.value ?? '');
      let tag: string;
      if (node.tag === undefined) {
        tag = node.type === 'PLAIN' ? resolvePlainScalarTag(text) : 'str';
      } else if (node.tag === '!') {
        tag = 'str';
      } else if (node.tag.startsWith(CORE_TAG_PREFIX)) {
        tag = node.tag.slice(CORE_TAG_PREFIX.length);
      } else {
        onError(`could not determine a constructor for the tag '${node.tag}'`, node as Node);
        return null;
      }
      try {
        const value = constructScalar(text, tag);
        converted.set(node as Node, value);
        return value;
      } catch (error) {
        if (!(error instanceof ScalarError)) throw error;
        onError(error.message, node as Node);
        return null;
      }
    }
    if (isSeq(node)) {
      const list: ParamsValue[] = [];
      converted.set(node as Node, list);
      for (const item of node.items) list.push(convert(item));
      return list;
    }
    if (isMap(node)) {
      const map: Record<string, ParamsValue> = {};
      converted.set(node as Node, map);
      const own: [string, ParamsValue][] = [];
      const merged: [string, ParamsValue][][] = [];
      const tags = new Map<string, ScalarTag>();
      for (const pair of node.items as Pair<unknown, unknown>[]) {
        const key = pair.key;
        if (isScalar(key) && key.type === 'PLAIN' && key.tag === undefined && key.value === '<<') {
          // ruamel puts merged pairs first, later sources before earlier ones, so that earlier
          // sources and the mapping's own keys win.
          const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
          const group: [string, ParamsValue][][] = [];
          for (const source of sources) {
            const value = convert(source);
            if (!isParamsMapping(value)) {
              onError('expected a mapping or list of mappings for merging', (source ?? pair.value) as Node);
              continue;
            }
            group.push(Object.entries(value));
          }
          merged.push(...group.reverse());
          for (const source of sources) {
            const target = isAlias(source) ? source.resolve(document) : source;
            const value = converted.get(target as Node);
            const sourceTags = value && typeof value === 'object' ? nonStringKeys.get(value) : undefined;
            for (const [name, tag] of sourceTags ?? []) tags.set(name, tag);
          }
          continue;
        }
        const [name, tag] = keyOf(key);
        if (tag !== 'str') tags.set(name, tag);
        own.push([name, convert(pair.value)]);
      }
      for (const entries of merged) for (const [key, value] of entries) defineKey(map, key, value);
      for (const [key, value] of own) defineKey(map, key, value);
      if (tags.size > 0) nonStringKeys.set(map, tags);
      return map;
    }
    return null;
  };

  const keyOf = (key: unknown): [string, ScalarTag] => {
    if (isScalar(key) || isAlias(key)) {
      const value = convert(key);
      if (typeof value === 'string') return [value, 'str'];
      // A params tree has string keys: an int, float or boolean key becomes the text ruamel
      // writes for it, and is remembered so that it is written back untagged (`0: cat`).
      if (typeof value === 'number' || typeof value === 'bigint') {
        return Number.isInteger(value) || typeof value === 'bigint'
          ? [BigInt(value).toString(), 'int']
          : [yamlFloat(value as number), 'float'];
      }
      if (value instanceof PythonFloat) return [yamlFloat(value.value), 'float'];
      if (typeof value === 'boolean') return [value ? 'true' : 'false', 'bool'];
      if (isScalar(key)) return [String(key.source ?? key.value), 'str'];
    }
    onError('mapping keys must be scalars', key as Node);
    return ['', 'str'];
  };

  return convert(document.contents);
}

/**
 * The keys of mappings read from YAML that were not strings (`0: cat`), by mapping: DVC keeps
 * their Python type and writes them unquoted, so tvc remembers the tag to do the same.
 */
const nonStringKeys = new WeakMap<object, ReadonlyMap<string, ScalarTag>>();

/** Carries the remembered key tags of `from` (if any) over to `to`, a copy with some of its keys. */
function copyKeyTags(from: object, to: object): void {
  const tags = nonStringKeys.get(from);
  if (!tags) return;
  const merged = new Map(nonStringKeys.get(to) ?? []);
  for (const [key, tag] of tags) if (Object.hasOwn(to, key)) merged.set(key, tag);
  if (merged.size > 0) nonStringKeys.set(to, merged);
}

function defineKey(map: Record<string, ParamsValue>, key: string, value: ParamsValue): void {
  Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A YAML file parsed as DVC parses it, with what is needed to point at its nodes. */
export interface DvcYamlSource {
  readonly text: string;
  readonly document: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The document's value; `undefined` for an empty document. */
  readonly value: ParamsValue | undefined;
}

/** The location of a node (or offset) of a parsed file. */
export function nodeLocation(
  source: Pick<DvcYamlSource, 'lineCounter'>,
  file: string,
  at: Node | number | undefined,
): SourceLocation {
  const offset = typeof at === 'number' ? at : at?.range?.[0];
  if (offset === undefined) return { file };
  const position = source.lineCounter.linePos(offset);
  return { file, line: position.line, column: position.col };
}

/**
 * Parses YAML as DVC does. Syntax problems and values ruamel would refuse are thrown together as
 * `YAML_SYNTAX` errors naming the file, line and column.
 */
export function parseDvcYaml(text: string, file: string): DvcYamlSource {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    version: '1.2',
    schema: 'failsafe',
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
    strict: true,
  });
  const problem = (message: string, at: Node | number | undefined) =>
    new TvcError('YAML_SYNTAX', `malformed YAML: ${message}`, {
      location: nodeLocation({ lineCounter }, file, at),
      hint: 'fix the YAML at this position',
    });
  const problems = document.errors.map((error) =>
    problem(error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), error.pos[0]),
  );
  throwIfProblems(problems);
  const value =
    document.contents === null
      ? undefined
      : dvcYamlValue(document, (message, node) => problems.push(problem(message, node)));
  throwIfProblems(problems);
  return { text, document, lineCounter, value };
}

// ─── Writing as ruamel.yaml does for DVC ─────────────────────────────────────────────────────────
//
// A port of the parts of ruamel.yaml's representer, serializer and emitter that DVC's data goes
// through: `YAML()` (round-trip) with `default_flow_style = False`, width 80, indent 2, sequences
// not indented under their key, unicode written as is. Non-empty lists and dicts are block style,
// empty ones flow (`[]`, `{}`); `None` in a mapping is an empty value; strings that would read as
// another type are quoted; an object met twice is written once with an anchor (`&id001`).

type EmitNode =
  | { readonly kind: 'scalar'; readonly tag: ScalarTag; readonly value: string }
  | { readonly kind: 'seq'; readonly items: EmitNode[] }
  | { readonly kind: 'map'; readonly pairs: [EmitNode, EmitNode][] };

function represent(value: unknown, seen: Map<object, EmitNode>, top: boolean): EmitNode {
  if (value === null || value === undefined) return { kind: 'scalar', tag: 'null', value: top ? 'null' : '' };
  if (typeof value === 'boolean') return { kind: 'scalar', tag: 'bool', value: value ? 'true' : 'false' };
  if (typeof value === 'bigint') return { kind: 'scalar', tag: 'int', value: value.toString() };
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return { kind: 'scalar', tag: 'int', value: BigInt(value).toString() };
    return { kind: 'scalar', tag: 'float', value: yamlFloat(value) };
  }
  if (value instanceof PythonFloat) return { kind: 'scalar', tag: 'float', value: yamlFloat(value.value) };
  if (typeof value === 'string') return { kind: 'scalar', tag: 'str', value };
  if (typeof value !== 'object' || value instanceof Date) {
    throw new InternalError(
      `cannot write a value of type ${value instanceof Date ? 'date' : typeof value} to YAML`,
    );
  }
  const known = seen.get(value);
  if (known) return known;
  if (Array.isArray(value)) {
    const node: EmitNode = { kind: 'seq', items: [] };
    seen.set(value, node);
    for (const item of value) node.items.push(represent(item, seen, false));
    return node;
  }
  const node: EmitNode = { kind: 'map', pairs: [] };
  seen.set(value, node);
  const tags = nonStringKeys.get(value);
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    node.pairs.push([
      { kind: 'scalar', tag: tags?.get(key) ?? 'str', value: key },
      represent(item, seen, false),
    ]);
  }
  return node;
}

/** A float as ruamel writes it: Python's repr, with `.inf`, `-.inf` and `.nan`. */
function yamlFloat(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Number.POSITIVE_INFINITY) return '.inf';
  if (value === Number.NEGATIVE_INFINITY) return '-.inf';
  return pythonFloatRepr(value);
}

interface ScalarAnalysis {
  readonly empty: boolean;
  readonly multiline: boolean;
  readonly allowFlowPlain: boolean;
  readonly allowBlockPlain: boolean;
  readonly allowSingleQuoted: boolean;
  readonly allowDoubleQuoted: boolean;
}

const BREAKS = '\n\x85\u2028\u2029';
const WHITESPACE_OR_BREAK = '\0 \t\r\n\x85\u2028\u2029';

function isUnicodePrintable(char: string): boolean {
  const code = char.codePointAt(0)!;
  return (
    code === 0x85 ||
    (code >= 0xa0 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

function analyzeScalar(chars: readonly string[]): ScalarAnalysis {
  if (chars.length === 0) {
    return {
      empty: true,
      multiline: false,
      allowFlowPlain: false,
      allowBlockPlain: true,
      allowSingleQuoted: true,
      allowDoubleQuoted: true,
    };
  }
  const text = chars.join('');
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  if (text.startsWith('---') || text.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || WHITESPACE_OR_BREAK.includes(chars[1]!);
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index]!;
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(char)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (char === '?' || char === ':') {
        if (chars.length === 1) flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (char === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',[]{}'.includes(char)) flowIndicators = true;
      if (char === ':' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (char === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (BREAKS.includes(char)) lineBreaks = true;
    if (!(char === '\n' || (char >= ' ' && char <= '~'))) {
      if (!(isUnicodePrintable(char) && char !== '\uFEFF')) specialCharacters = true;
    }
    if (char === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(char)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = WHITESPACE_OR_BREAK.includes(char);
    followedByWhitespace = index + 2 >= chars.length || WHITESPACE_OR_BREAK.includes(chars[index + 2]!);
  }
  let allowFlowPlain = true;
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    allowFlowPlain = false;
    allowBlockPlain = false;
  }
  if (breakSpace) {
    allowFlowPlain = false;
    allowBlockPlain = false;
    allowSingleQuoted = false;
  }
  if (specialCharacters || spaceBreak) {
    allowFlowPlain = false;
    allowBlockPlain = false;
    allowSingleQuoted = false;
  }
  if (lineBreaks) {
    allowFlowPlain = false;
    allowBlockPlain = false;
  }
  if (flowIndicators) allowFlowPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return {
    empty: false,
    multiline: lineBreaks,
    allowFlowPlain,
    allowBlockPlain,
    allowSingleQuoted,
    allowDoubleQuoted: true,
  };
}

const ESCAPES: Readonly<Record<string, string>> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

function escapeChar(char: string): string {
  const replacement = ESCAPES[char];
  if (replacement !== undefined) return `\\${replacement}`;
  const code = char.codePointAt(0)!;
  const hex = code.toString(16).toUpperCase();
  if (code <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

const BEST_WIDTH = 80;
const BEST_INDENT = 2;
const MAX_SIMPLE_KEY_LENGTH = 128;

/** ruamel.yaml's Emitter, reduced to block collections, empty flow collections and scalars. */
class RuamelEmitter {
  #out = '';
  #column = 0;
  #whitespace = true;
  #indention = true;
  #noNewline = false;
  #indent: number | null = null;
  readonly #indents: [number | null, boolean | null][] = [];
  #flowLevel = 0;
  #sequenceContext = false;
  #mappingContext = false;
  #simpleKeyContext = false;
  readonly #anchors: Map<EmitNode, string | null>;
  readonly #serialized = new Set<EmitNode>();

  constructor(anchors: Map<EmitNode, string | null>) {
    this.#anchors = anchors;
  }

  document(root: EmitNode): string {
    this.#node(root, {});
    this.#writeIndent();
    return this.#out;
  }

  #write(data: string): void {
    this.#out += data;
  }

  #writeIndicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.#whitespace || !needWhitespace ? indicator : ` ${indicator}`;
    this.#whitespace = whitespace;
    this.#indention = this.#indention && indention;
    this.#column += codePoints(data);
    this.#write(data);
  }

  #writeIndent(): void {
    const indent = this.#indent ?? 0;
    if (!this.#indention || this.#column > indent || (this.#column === indent && !this.#whitespace)) {
      if (this.#noNewline) this.#noNewline = false;
      else this.#writeLineBreak();
    }
    if (this.#column < indent) {
      this.#whitespace = true;
      this.#write(' '.repeat(indent - this.#column));
      this.#column = indent;
    }
  }

  #writeLineBreak(data = '\n'): void {
    this.#whitespace = true;
    this.#indention = true;
    this.#column = 0;
    this.#write(data);
  }

  #increaseIndent(flow: boolean, sequence: boolean | null, indentless = false): void {
    this.#indents.push([this.#indent, sequence]);
    if (this.#indent === null) {
      this.#indent = flow ? null : 0;
    } else if (!indentless) {
      this.#indent += BEST_INDENT;
    }
  }

  #popIndent(): void {
    this.#indent = this.#indents.pop()![0];
  }

  #seqSeq(): boolean {
    const length = this.#indents.length;
    return length >= 2 && this.#indents[length - 2]![1] === true && this.#indents[length - 1]![1] === true;
  }

  #seqFlowAlign(): number {
    const length = this.#indents.length;
    if (length < 2 || !this.#indents[length - 1]![1]) return 0;
    const base = this.#indents[length - 1]![0] ?? 0;
    return base + BEST_INDENT - this.#column - 1;
  }

  #node(
    node: EmitNode,
    context: { sequence?: boolean; mapping?: boolean; simpleKey?: boolean },
    analysis?: ScalarAnalysis,
  ): void {
    this.#sequenceContext = context.sequence ?? false;
    this.#mappingContext = context.mapping ?? false;
    this.#simpleKeyContext = context.simpleKey ?? false;
    const anchor = this.#anchors.get(node) ?? null;
    if (this.#serialized.has(node)) {
      this.#writeIndicator(`*${anchor}`, true);
      this.#noNewline = false;
      return;
    }
    this.#serialized.add(node);
    if (anchor !== null) {
      this.#writeIndicator(`&${anchor}`, true);
      this.#noNewline = false;
    }
    if (node.kind === 'scalar') {
      this.#increaseIndent(true, null);
      this.#scalar(node, analysis ?? analyzeScalar(Array.from(node.value)));
      this.#popIndent();
    } else if (node.kind === 'seq') {
      if (this.#flowLevel > 0 || node.items.length === 0) this.#emptyFlow('[', ']', true);
      else this.#blockSequence(node.items);
    } else if (this.#flowLevel > 0 || node.pairs.length === 0) {
      this.#emptyFlow('{', '}', false);
    } else {
      this.#blockMapping(node.pairs);
    }
  }

  #emptyFlow(open: string, close: string, sequence: boolean): void {
    const align = this.#seqFlowAlign();
    this.#writeIndicator(' '.repeat(Math.max(0, align)) + open, true, true);
    this.#increaseIndent(true, sequence);
    this.#flowLevel++;
    if (sequence && this.#seqSeq()) {
      this.#indention = true;
      this.#noNewline = false;
    }
    this.#popIndent();
    this.#flowLevel--;
    this.#writeIndicator(close, false);
    if (this.#flowLevel === 0) this.#writeLineBreak();
  }

  #blockSequence(items: readonly EmitNode[]): void {
    const indentless = this.#mappingContext ? !this.#indention : false;
    this.#increaseIndent(false, true, indentless);
    if (this.#seqSeq()) {
      this.#indention = true;
      this.#noNewline = false;
    }
    for (const item of items) {
      const noNewline = this.#column === 0 ? this.#noNewline : false;
      this.#writeIndent();
      this.#writeIndicator('-', true, false, true);
      if (noNewline) this.#noNewline = true;
      this.#node(item, { sequence: true });
    }
    this.#popIndent();
    this.#noNewline = false;
  }

  #blockMapping(pairs: readonly [EmitNode, EmitNode][]): void {
    this.#increaseIndent(false, false);
    for (const [key, value] of pairs) {
      this.#writeIndent();
      const analysis = key.kind === 'scalar' ? analyzeScalar(Array.from(key.value)) : undefined;
      if (this.#isSimpleKey(key, analysis)) {
        this.#node(key, { mapping: true, simpleKey: true }, analysis);
        this.#writeIndicator(':', false);
        this.#node(value, { mapping: true });
      } else {
        this.#writeIndicator('?', true, false, true);
        this.#node(key, { mapping: true }, analysis);
        this.#writeIndent();
        this.#writeIndicator(':', true, false, true);
        this.#node(value, { mapping: true });
      }
    }
    this.#popIndent();
  }

  #isSimpleKey(key: EmitNode, analysis: ScalarAnalysis | undefined): boolean {
    // ruamel counts the anchor and the tag it would write (`!!str`) into the key's length.
    const anchor = this.#anchors.get(key);
    let length = anchor ? anchor.length : 0;
    if (key.kind === 'scalar') length += `!!${key.tag}`.length + codePoints(key.value);
    if (length >= MAX_SIMPLE_KEY_LENGTH) return false;
    if (this.#serialized.has(key)) return true;
    if (key.kind === 'scalar') return !analysis!.multiline;
    return key.kind === 'seq' ? key.items.length === 0 : key.pairs.length === 0;
  }

  #chooseStyle(node: EmitNode & { kind: 'scalar' }, analysis: ScalarAnalysis): '' | "'" | '"' {
    // Plain when the text reads back as the same type and plain is allowed here.
    const implicit = node.tag === 'str' ? resolvePlainScalarTag(node.value) === 'str' : true;
    if (implicit) {
      if (
        !(this.#simpleKeyContext && (analysis.empty || analysis.multiline)) &&
        ((this.#flowLevel > 0 && analysis.allowFlowPlain) ||
          (this.#flowLevel === 0 && analysis.allowBlockPlain))
      ) {
        return '';
      }
    }
    if (analysis.allowDoubleQuoted && (node.value.includes("'") || node.value.includes('\n'))) return '"';
    if (analysis.allowSingleQuoted && !(this.#simpleKeyContext && analysis.multiline)) return "'";
    return '"';
  }

  #scalar(node: EmitNode & { kind: 'scalar' }, analysis: ScalarAnalysis): void {
    let style = this.#chooseStyle(node, analysis);
    let text = node.value;
    if (text === '' && style === "'" && node.tag === 'null') {
      text = 'null';
      style = this.#chooseStyle({ ...node, value: text }, analyzeScalar(Array.from(text)));
    }
    const chars = Array.from(text);
    const split = !this.#simpleKeyContext;
    if (this.#sequenceContext && this.#flowLevel === 0) this.#writeIndent();
    if (style === '"') this.#writeDoubleQuoted(chars, split);
    else if (style === "'") this.#writeSingleQuoted(chars, split);
    else this.#writePlain(chars, split);
  }

  #writePlain(chars: readonly string[], split: boolean): void {
    if (chars.length === 0) return;
    if (!this.#whitespace) {
      this.#column += 1;
      this.#write(' ');
    }
    this.#whitespace = false;
    this.#indention = false;
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const char = end < chars.length ? chars[end]! : null;
      if (spaces) {
        if (char !== ' ') {
          if (start + 1 === end && this.#column >= BEST_WIDTH && split) {
            this.#writeIndent();
            this.#whitespace = false;
            this.#indention = false;
          } else {
            this.#column += end - start;
            this.#write(chars.slice(start, end).join(''));
          }
          start = end;
        }
      } else if (breaks) {
        if (char === null || !BREAKS.includes(char)) {
          if (chars[start] === '\n') this.#writeLineBreak();
          for (const lineBreak of chars.slice(start, end)) this.#writeLineBreak(lineBreak);
          this.#writeIndent();
          this.#whitespace = false;
          this.#indention = false;
          start = end;
        }
      } else if (char === null || ` ${BREAKS}`.includes(char)) {
        const length = end - start;
        // Words longer than the line get a line of their own (after the space already written).
        if (length + this.#column > BEST_WIDTH && this.#indent !== null && this.#column > this.#indent) {
          this.#writeIndent();
        }
        this.#column += length;
        this.#write(chars.slice(start, end).join(''));
        start = end;
      }
      if (char !== null) {
        spaces = char === ' ';
        breaks = BREAKS.includes(char);
      }
    }
  }

  #writeSingleQuoted(chars: readonly string[], split: boolean): void {
    this.#writeIndicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const char = end < chars.length ? chars[end]! : null;
      if (spaces) {
        if (char === null || char !== ' ') {
          if (
            start + 1 === end &&
            this.#column > BEST_WIDTH &&
            split &&
            start !== 0 &&
            end !== chars.length
          ) {
            this.#writeIndent();
          } else {
            this.#column += end - start;
            this.#write(chars.slice(start, end).join(''));
          }
          start = end;
        }
      } else if (breaks) {
        if (char === null || !BREAKS.includes(char)) {
          if (chars[start] === '\n') this.#writeLineBreak();
          for (const lineBreak of chars.slice(start, end)) this.#writeLineBreak(lineBreak);
          this.#writeIndent();
          start = end;
        }
      } else if (char === null || ` ${BREAKS}`.includes(char) || char === "'") {
        if (start < end) {
          this.#column += end - start;
          this.#write(chars.slice(start, end).join(''));
          start = end;
        }
      }
      if (char === "'") {
        this.#column += 2;
        this.#write("''");
        start = end + 1;
      }
      if (char !== null) {
        spaces = char === ' ';
        breaks = BREAKS.includes(char);
      }
    }
    this.#writeIndicator("'", false);
  }

  #writeDoubleQuoted(chars: readonly string[], split: boolean): void {
    this.#writeIndicator('"', true);
    let start = 0;
    const length = chars.length;
    for (let end = 0; end <= length; end++) {
      const char = end < length ? chars[end]! : null;
      if (
        char === null ||
        '"\\\x85\u2028\u2029\uFEFF'.includes(char) ||
        !((char >= ' ' && char <= '~') || (isUnicodePrintable(char) && char !== '\x85'))
      ) {
        if (start < end) {
          this.#column += end - start;
          this.#write(chars.slice(start, end).join(''));
          start = end;
        }
        if (char !== null) {
          const data = escapeChar(char);
          this.#column += data.length;
          this.#write(data);
          start = end + 1;
        }
      }
      if (
        end > 0 &&
        end < length - 1 &&
        (char === ' ' || start >= end) &&
        this.#column + (end - start) > BEST_WIDTH &&
        split
      ) {
        const needBackslash = needsBackslash(chars, start, end);
        const data = chars.slice(start, end).join('') + (needBackslash ? '\\' : '');
        if (start < end) start = end;
        this.#column += codePoints(data);
        this.#write(data);
        this.#writeIndent();
        this.#whitespace = false;
        this.#indention = false;
        if (chars[start] === ' ') {
          if (!needBackslash) start += 1;
          if (needBackslash) {
            this.#column += 1;
            this.#write('\\');
          }
        }
      }
    }
    this.#writeIndicator('"', false);
  }
}

/** ruamel's rule for ending a folded double-quoted line with `\` (so that no space is lost or added). */
function needsBackslash(chars: readonly string[], start: number, end: number): boolean {
  if (chars.length <= end) return true;
  let spacePosition = chars.indexOf(' ', end);
  if (spacePosition === -1) return true;
  const newline = chars.slice(end, spacePosition).indexOf('\n');
  if (newline !== -1) spacePosition = end + newline;
  const at = chars[spacePosition];
  const after = chars[spacePosition + 1];
  if (after === undefined) return true; // IndexError in ruamel: keep the backslash
  if (at === '\n' && after !== ' ') return true;
  const between = chars.slice(end, spacePosition);
  if (
    !between.includes('"') &&
    !between.includes("'") &&
    after !== ' ' &&
    after !== '\n' &&
    chars.slice(end - 1, end + 1).join('') !== '  ' &&
    start !== end
  ) {
    return false;
  }
  return true;
}

function codePoints(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
    }
    count++;
  }
  return count;
}

/** Names shared nodes as ruamel's serializer does: `id001`, `id002`… in the order they are met again. */
function assignAnchors(root: EmitNode): Map<EmitNode, string | null> {
  const anchors = new Map<EmitNode, string | null>();
  let last = 0;
  const visit = (node: EmitNode): void => {
    if (anchors.has(node)) {
      if (anchors.get(node) === null) anchors.set(node, `id${String(++last).padStart(3, '0')}`);
      return;
    }
    anchors.set(node, null);
    if (node.kind === 'seq') node.items.forEach(visit);
    else if (node.kind === 'map') {
      for (const [key, value] of node.pairs) {
        visit(key);
        visit(value);
      }
    }
  };
  visit(root);
  return anchors;
}

/**
 * Serialises a value exactly as DVC's `dump_yaml` does (ruamel.yaml round-trip dumper, block
 * style, width 80). Values: null, booleans, numbers (integral → int, others → float),
 * {@link PythonFloat}, bigints, strings, arrays and plain objects (keys in insertion order;
 * `undefined` members are skipped).
 */
export function dumpDvcYaml(value: unknown): string {
  const root = represent(value, new Map(), true);
  if (root.kind === 'scalar') {
    throw new InternalError('dumpDvcYaml writes mappings and lists, not a bare scalar');
  }
  return new RuamelEmitter(assignAnchors(root)).document(root);
}

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
const ITEM_KEYS = ['path', 'hash', 'md5', 'size', 'nfiles', 'isexec'] as const;
const ENTRY_KEYS = ['cmd', 'deps', 'params', 'outs'] as const;

/** An item with DVC's key order: path, hash, md5, size, nfiles, isexec, then anything else. */
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
  /** The entry's text in the file (from its key's line up to the next entry), while untouched. */
  raw: string | undefined;
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
  readonly #source: DvcYamlSource | undefined;
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
    this.#source = source;
    this.#data = data;
  }

  /** Reads a lock file; a missing file is an empty one. Problems are thrown with their locations. */
  static async read(absolute: string, display: string): Promise<LockFile> {
    let text: string;
    try {
      text = await readFile(absolute, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return new LockFile(absolute, display, undefined, undefined, {});
      }
      throw new TvcError('LOCK_UNREADABLE', `cannot read '${display}': ${(error as Error).message}`, {
        cause: error,
      });
    }
    return LockFile.parse(text, absolute, display);
  }

  /** A lock file from its text (what {@link read} does after reading). */
  static parse(text: string, absolute: string, display: string): LockFile {
    const source = parseDvcYaml(text, display);
    const data = source.value;
    // DVC: `yaml.load(text) or {}`; an empty file is an empty lock file.
    if (data === undefined || data === null || (isRecord(data) && Object.keys(data).length === 0)) {
      return new LockFile(absolute, display, text, source, {});
    }
    const problems: TvcError[] = [];
    const at = (yamlPath: readonly (string | number)[], key = false): SourceLocation => {
      let node: unknown = source.document.contents;
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
      return nodeLocation(source, display, found);
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
    const file = new LockFile(absolute, display, text, source, top);
    const stages = top.stages;
    if (stages !== undefined && stages !== null && !isRecord(stages)) {
      problem("'stages' must be a mapping", at(['stages']));
    } else if (stages) {
      const raws = file.#rawEntries();
      for (const [name, value] of Object.entries(stages)) {
        const entry = checkEntry(value, ['stages', name], (message, where, key) =>
          problem(message, at(where, key)),
        );
        if (entry) file.#entries.set(name, { entry, raw: raws.get(name) });
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
    const contents = this.#source?.document.contents;
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
  #rawEntries(): Map<string, string> {
    const raws = new Map<string, string>();
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
    if (!first?.range || !this.#source) return BEST_INDENT;
    return this.#source.lineCounter.linePos(first.range[0]).col - 1;
  }

  /** An entry's text as DVC writes it under `stages:`, moved to `column`. */
  #entryText(stage: string, entry: LockEntry, column: number): string {
    const dumped = dumpDvcYaml({ stages: { [stage]: lockEntryData(entry) } });
    const lines = dumped.slice(dumped.indexOf('\n') + 1);
    if (column === BEST_INDENT) return lines;
    const shift = column - BEST_INDENT;
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
    for (const [name, { entry, raw }] of this.#entries) {
      if (body !== '' && !body.endsWith('\n')) body += '\n';
      body += raw ?? this.#entryText(name, entry, column);
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
