import type { ParamsValue } from '@tvc/params';
import { CORE_SCHEMA, load } from 'js-yaml';
import type { Document, LineCounter, Node } from 'yaml';
import { checkAliases, checkYamlInput } from './dvc-yaml/reader';
import { type SourceLocation, TvcError } from './errors';
import {
  MAX_ALIAS_NODES,
  nestingProblem,
  sharedExpansion,
  withStackGuard,
  yamlCharacterProblem,
} from './input-limits';
import type { ParsedValueCache } from './parsed-cache';
import { isMap, isPair, isScalar, yaml } from './yaml-lib';

/** A parsed YAML file that remembers where each value came from. */
export interface YamlSource {
  readonly file: string;
  readonly text: string;
  /** The document with positions; built on first use (only errors need it). */
  readonly document: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The plain JavaScript value of the document. */
  readonly value: unknown;
}

function parseWithPositions(text: string): { document: Document.Parsed; lineCounter: LineCounter } {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    version: '1.2',
    uniqueKeys: true,
    prettyErrors: false,
  });
  return { document, lineCounter };
}

/**
 * Parses a YAML file for its value quickly (js-yaml, YAML 1.2 core schema), keeping the slower
 * parse that records positions for when a problem has to be located. Malformed input takes the
 * positional parser's path straight away, so every syntax error is reported with its place.
 */
export function parseYamlFast(
  file: string,
  text: string,
  cache?: ParsedValueCache,
): { source?: YamlSource; problems: TvcError[] } {
  const fast = () => {
    // Hostile input takes the positional parser's path, which refuses it with its place.
    if (yamlCharacterProblem(text) || nestingProblem(text, { yaml: true })) return undefined;
    let value: ParamsValue;
    try {
      value = load(text, { schema: CORE_SCHEMA, json: false }) as ParamsValue;
    } catch {
      return undefined;
    }
    return text.includes('*') && sharedExpansion(value) > MAX_ALIAS_NODES ? undefined : value;
  };
  const value = cache ? cache.read('dvc.yaml', text, fast) : fast();
  if (value === undefined) return parseYamlSource(file, text);
  let positions: ReturnType<typeof parseWithPositions> | undefined;
  const parsed = () => {
    positions ??= parseWithPositions(text);
    return positions;
  };
  return {
    source: {
      file,
      text,
      value,
      get document() {
        return parsed().document;
      },
      get lineCounter() {
        return parsed().lineCounter;
      },
    },
    problems: [],
  };
}

export type YamlPath = readonly (string | number)[];

/**
 * Parses YAML 1.2 (as DVC reads it: `yes` stays a string, `1e3` is a float) and returns every
 * syntax problem of the file with its line and column, not only the first.
 */
export function parseYamlSource(file: string, text: string): { source?: YamlSource; problems: TvcError[] } {
  let document: Document.Parsed;
  let lineCounter: LineCounter;
  try {
    checkYamlInput(text, file);
    ({ document, lineCounter } = withStackGuard(file, () => parseWithPositions(text)));
  } catch (error) {
    if (error instanceof TvcError) return { problems: [error] };
    throw error;
  }
  const problems = document.errors.map((error) => {
    const position = lineCounter.linePos(error.pos[0]);
    return new TvcError('YAML_SYNTAX', `malformed YAML: ${firstLine(error.message)}`, {
      location: { file, line: position.line, column: position.col },
      hint: 'fix the YAML syntax at this position',
    });
  });
  if (problems.length > 0) return { problems };
  let value: unknown;
  try {
    checkAliases(document, lineCounter, file);
    // Bounded by checkAliases, which names the place.
    value = withStackGuard(file, () => document.toJS({ maxAliasCount: -1 }));
  } catch (error) {
    if (error instanceof TvcError) return { problems: [error] };
    return {
      problems: [
        new TvcError('YAML_SYNTAX', `malformed YAML: ${(error as Error).message}`, { location: { file } }),
      ],
    };
  }
  return { source: { file, text, document, lineCounter, value }, problems: [] };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * The location of the value at `path`, or of its key when `key` is set. Falls back to the nearest
 * enclosing node that can be found (aliases and merges hide some nodes).
 */
export function locate(source: YamlSource, path: YamlPath, key = false): SourceLocation {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    const node = nodeAt(source, prefix, key && depth === path.length);
    const offset = node?.range?.[0];
    if (offset !== undefined) {
      const position = source.lineCounter.linePos(offset);
      return { file: source.file, line: position.line, column: position.col };
    }
  }
  return { file: source.file };
}

function nodeAt(source: YamlSource, path: YamlPath, key: boolean): Node | undefined {
  if (!key || path.length === 0) {
    const node = path.length === 0 ? source.document.contents : source.document.getIn(path, true);
    return isNodeLike(node) ? node : undefined;
  }
  const parent =
    path.length === 1 ? source.document.contents : source.document.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const last = path[path.length - 1];
  for (const item of parent.items) {
    if (isPair(item) && isScalar(item.key) && item.key.value === last) return item.key;
  }
  return undefined;
}

function isNodeLike(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}
