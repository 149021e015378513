import { isParamsMapping, type ParamsValue, PythonFloat } from '@tvc/params';
import type { Document, LineCounter, Node, Pair } from 'yaml';
import { type SourceLocation, TvcError, throwIfProblems } from '../errors';
import {
  MAX_ALIAS_NODES,
  nestingError,
  nestingProblem,
  withStackGuard,
  yamlCharacterError,
  yamlCharacterProblem,
} from '../input-limits';
import { aliasExpansionProblem, isAlias, isMap, isScalar, isSeq, yaml } from '../yaml-lib';
import { keyTagsOf, setKeyTags } from './key-tags';
import { resolvePlainScalarTag, type ScalarTag, yamlFloat } from './resolver';

// Reading YAML as DVC does: ruamel.yaml's safe loader, whose values are what params files and
// dvc.lock hold (integral floats as PythonFloat, big ints as bigints, merge keys applied).

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
export function constructScalar(text: string, tag: string): ParamsValue {
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
            const sourceTags = value && typeof value === 'object' ? keyTagsOf(value) : undefined;
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
      setKeyTags(map, tags);
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

/**
 * Refuses, with its place, YAML text that DVC's reader refuses (control characters) or that no
 * reader should take on (nesting deeper than {@link MAX_NESTING}): before any recursive parse.
 */
export function checkYamlInput(text: string, file: string): void {
  const character = yamlCharacterProblem(text);
  if (character) throw yamlCharacterError(file, text, character);
  const deep = nestingProblem(text, { yaml: true });
  if (deep) throw nestingError(file, text, deep.offset);
}

/** Refuses a document whose aliases would expand past {@link MAX_ALIAS_NODES} nodes (an alias bomb). */
export function checkAliases(document: Document.Parsed, lineCounter: LineCounter, file: string): void {
  const alias = withStackGuard(file, () => aliasExpansionProblem(document, MAX_ALIAS_NODES));
  if (!alias) return;
  throw new TvcError(
    'YAML_ALIAS_LIMIT',
    `malformed YAML: aliases expand to more than ${MAX_ALIAS_NODES} values (an alias bomb?)`,
    {
      location: nodeLocation({ lineCounter }, file, alias),
      hint: 'use fewer aliases (`*name`) of large anchored values; tvc refuses documents that would grow without bound',
    },
  );
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
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  checkYamlInput(text, file);
  const document = withStackGuard(file, () =>
    parseDocument(text, {
      lineCounter,
      version: '1.2',
      schema: 'failsafe',
      uniqueKeys: true,
      merge: false,
      prettyErrors: false,
      strict: true,
    }),
  );
  const problem = (message: string, at: Node | number | undefined) =>
    new TvcError('YAML_SYNTAX', `malformed YAML: ${message}`, {
      location: nodeLocation({ lineCounter }, file, at),
      hint: 'fix the YAML at this position',
    });
  const problems = document.errors.map((error) =>
    problem(error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), error.pos[0]),
  );
  throwIfProblems(problems);
  checkAliases(document, lineCounter, file);
  const value =
    document.contents === null
      ? undefined
      : withStackGuard(file, () =>
          dvcYamlValue(document, (message, node) => problems.push(problem(message, node))),
        );
  throwIfProblems(problems);
  return { text, document, lineCounter, value };
}
