import { PythonFloat } from '@tvc/params';
import { InternalError } from '../errors';
import { keyTagsOf } from './key-tags';
import { resolvePlainScalarTag, type ScalarTag, yamlFloat } from './resolver';

// A port of the parts of ruamel.yaml's representer, serializer and emitter that DVC's data goes
// through: `YAML()` (round-trip) with `default_flow_style = False`, width 80, indent 2, sequences
// not indented under their key, unicode written as is. Non-empty lists and dicts are block style,
// empty ones flow (`[]`, `{}`); `None` in a mapping is an empty value; strings that would read as
// another type are quoted; an object met twice is written once with an anchor (`&id001`).
// dvc.lock, the run-cache and the stage entries `stage add` writes into dvc.yaml all go through it.

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
  const tags = keyTagsOf(value);
  const entries = value instanceof Map ? [...value] : Object.entries(value);
  for (const [key, item] of entries as [string, unknown][]) {
    if (item === undefined) continue;
    node.pairs.push([
      { kind: 'scalar', tag: tags?.get(key) ?? 'str', value: key },
      represent(item, seen, false),
    ]);
  }
  return node;
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
/** The indentation of DVC's YAML: nested mappings are indented by 2, lists not at all. */
export const DVC_YAML_INDENT = 2;
const BEST_INDENT = DVC_YAML_INDENT;
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
  /** The column of the top-level collection (0 for a whole document). */
  readonly #baseIndent: number;

  constructor(anchors: Map<EmitNode, string | null>, baseIndent: number) {
    this.#anchors = anchors;
    this.#baseIndent = baseIndent;
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

  /** Writes `chars[start..end)`, characters without line breaks, on the current line. */
  #writeRun(chars: readonly string[], start: number, end: number): void {
    this.#column += end - start;
    this.#write(chars.slice(start, end).join(''));
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
      this.#indent = flow ? null : this.#baseIndent;
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
            this.#writeRun(chars, start, end);
          }
          start = end;
        }
      } else if (breaks) {
        if (char === null || !BREAKS.includes(char)) {
          this.#writeBreaks(chars.slice(start, end));
          this.#whitespace = false;
          this.#indention = false;
          start = end;
        }
      } else if (char === null || ` ${BREAKS}`.includes(char)) {
        // Words longer than the line get a line of their own (after the space already written).
        if (end - start + this.#column > BEST_WIDTH && this.#indent !== null && this.#column > this.#indent) {
          this.#writeIndent();
        }
        this.#writeRun(chars, start, end);
        start = end;
      }
      if (char !== null) {
        spaces = char === ' ';
        breaks = BREAKS.includes(char);
      }
    }
  }

  /** A run of line breaks inside a scalar (a `\n` first is doubled: one folded line is a space). */
  #writeBreaks(breaks: readonly string[]): void {
    if (breaks[0] === '\n') this.#writeLineBreak();
    for (const lineBreak of breaks) this.#writeLineBreak(lineBreak);
    this.#writeIndent();
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
            this.#writeRun(chars, start, end);
          }
          start = end;
        }
      } else if (breaks) {
        if (char === null || !BREAKS.includes(char)) {
          this.#writeBreaks(chars.slice(start, end));
          start = end;
        }
      } else if (char === null || ` ${BREAKS}`.includes(char) || char === "'") {
        if (start < end) {
          this.#writeRun(chars, start, end);
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
          this.#writeRun(chars, start, end);
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

/** Options of {@link dumpDvcYaml}. */
export interface DvcYamlDumpOptions {
  /**
   * The column of the top-level keys (or list items), for text to be placed inside another
   * document: each line is written as ruamel writes it at that depth (nested values indented from
   * there, lines wrapped at column 80 of the whole line). Default 0.
   */
  readonly indent?: number;
}

/**
 * Serialises a value exactly as DVC's `dump_yaml` does (ruamel.yaml round-trip dumper, block
 * style, width 80). Values: null, booleans, numbers (integral → int, others → float),
 * {@link PythonFloat}, bigints, strings, arrays, plain objects and `Map`s with string keys (keys
 * in insertion order; `undefined` members are skipped).
 */
export function dumpDvcYaml(value: unknown, options: DvcYamlDumpOptions = {}): string {
  const root = represent(value, new Map(), true);
  if (root.kind === 'scalar') {
    throw new InternalError('dumpDvcYaml writes mappings and lists, not a bare scalar');
  }
  return new RuamelEmitter(assignAnchors(root), options.indent ?? 0).document(root);
}
