import { ConfigError } from './errors';

/**
 * The INI dialect of Python's configobj, which DVC reads and writes its config with: `[section]`
 * headers (quoted when the name needs it: `['remote "origin"']`), `key = value` lines, values
 * quoted with `'`, `"` or triple quotes, comma-separated lists, `#` comments.
 *
 * DVC rewrites the whole file from a dict on every change, so comments are lost. tvc keeps the
 * parsed lines and changes only the lines whose values changed: comments, blank lines, order and
 * spacing survive, and a file without comments comes out byte for byte as DVC writes it.
 */

/** A value as configobj reads it: a string, or a list for a comma-separated value. */
export type IniValue = string | readonly string[];

/** Sections (the root's keys under `''`) in file order, each with its keys in file order. */
export type IniData = Map<string, Map<string, IniValue>>;

interface BlankLine {
  readonly kind: 'blank' | 'comment';
  readonly text: string;
}

interface SectionLine {
  readonly kind: 'section';
  readonly text: string;
  /** The name as written (unquoted), case kept. */
  readonly name: string;
}

interface KeyLine {
  readonly kind: 'key';
  readonly text: string;
  readonly key: string;
  /** The line up to the value: indentation, key and `=` with its spaces. */
  readonly prefix: string;
  readonly value: IniValue;
  /** The inline comment with the spaces before it, or ''. */
  readonly comment: string;
}

type Line = BlankLine | SectionLine | KeyLine;

/** A parsed file: its lines, kept for writing it back with the same layout. */
export interface IniDocument {
  readonly lines: readonly Line[];
  readonly newline: string;
}

/** Where each key was read from: `section\0key` → 1-based line. */
export type IniLines = Map<string, number>;

const WHITESPACE_PLUS = new Set([' ', '\r', '\n', '\v', '\t', "'", '"']);

function unquote(text: string): string {
  if (text.length >= 2 && (text[0] === '"' || text[0] === "'") && text[text.length - 1] === text[0]) {
    return text.slice(1, -1);
  }
  return text;
}

/** Parses a value the way configobj's `_handle_value` does (lists on, inline comments). */
function parseValue(raw: string): { value: IniValue; comment: string } | undefined {
  const text = raw.replace(/\s+$/, '');
  for (const triple of ["'''", '"""']) {
    if (text.startsWith(triple)) {
      const end = text.indexOf(triple, 3);
      if (end < 0) return undefined; // a multi-line value: not supported
      const rest = text.slice(end + 3);
      if (rest.trim() !== '' && !/^\s*#/.test(rest)) return undefined;
      return { value: text.slice(3, end), comment: rest };
    }
  }
  const items: string[] = [];
  let index = 0;
  let sawComma = false;
  let last: string | undefined;
  while (true) {
    while (index < text.length && /\s/.test(text[index] ?? '')) index++;
    const char = text[index];
    if (char === undefined || char === '#') {
      const comment = char === undefined ? '' : text.slice(text.slice(0, index).trimEnd().length);
      if (!sawComma) return { value: last ?? '', comment };
      if (last !== undefined) items.push(last);
      return { value: items, comment };
    }
    if (char === ',' && last === undefined) {
      // a lone comma: the empty list
      if (!sawComma && items.length === 0) {
        const after = text.slice(index + 1);
        if (after.trim() === '' || /^\s*#/.test(after))
          return { value: [], comment: after.trim() ? after : '' };
      }
      return undefined;
    }
    if (last !== undefined) {
      if (char !== ',') return undefined;
      items.push(last);
      last = undefined;
      sawComma = true;
      index++;
      continue;
    }
    if (char === '"' || char === "'") {
      const end = text.indexOf(char, index + 1);
      if (end < 0) return undefined;
      last = text.slice(index + 1, end);
      index = end + 1;
    } else {
      let end = index;
      while (end < text.length && text[end] !== ',' && text[end] !== '#') end++;
      last = text.slice(index, end).trimEnd();
      index = end;
    }
  }
}

/** Quotes a single string as configobj's `_quote` does. */
function quoteString(value: string, multiline: boolean): string {
  if (value === '') return '""';
  const needTriple = multiline && ((value.includes("'") && value.includes('"')) || value.includes('\n'));
  const hashTriple =
    multiline && !needTriple && value.includes("'") && value.includes('"') && value.includes('#');
  const single = (): string => {
    if (value.includes("'") && value.includes('"')) {
      throw new ConfigError(`value "${value}" cannot be safely quoted`);
    }
    return value.includes('"') ? `'${value}'` : `"${value}"`;
  };
  let quoted: string;
  if (!needTriple && !hashTriple) {
    if (value.includes('\n')) throw new ConfigError(`value "${value}" cannot be safely quoted`);
    if (
      !WHITESPACE_PLUS.has(value[0] ?? '') &&
      !WHITESPACE_PLUS.has(value[value.length - 1] ?? '') &&
      !value.includes(',')
    ) {
      quoted = value.includes('#') ? single() : value;
    } else {
      quoted = single();
    }
  } else {
    if (value.includes('"""') && value.includes("'''")) {
      throw new ConfigError(`value "${value}" cannot be safely quoted`);
    }
    quoted = value.includes('"""') ? `"""${value}"""` : `'''${value}'''`;
  }
  return quoted;
}

/** A value as configobj writes it: lists joined with `, `, strings quoted when they need it. */
export function formatIniValue(value: IniValue): string {
  if (typeof value === 'string') return quoteString(value, true);
  if (value.length === 0) return ',';
  if (value.length === 1) return `${quoteString(value[0] ?? '', false)},`;
  return value.map((item) => quoteString(item, false)).join(', ');
}

function formatName(name: string): string {
  return quoteString(name, false);
}

const SECTION = /^(\s*)(\[+)\s*((?:"\s*\S.*?\s*")|(?:'\s*\S.*?\s*')|(?:[^'"\s].*?))\s*(\]+)\s*(#.*)?$/;
const KEYWORD = /^(\s*)((?:".*?")|(?:'.*?')|(?:[^'"=].*?))\s*=\s*/;

/** Parses configobj text; `file` names it in errors. Keys and section names keep their case. */
export function parseIni(
  text: string,
  file: string,
): { document: IniDocument; data: IniData; lines: IniLines } {
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const rawLines = text.split(/\r?\n/);
  if (rawLines[rawLines.length - 1] === '') rawLines.pop();
  const lines: Line[] = [];
  const data: IniData = new Map([['', new Map()]]);
  const keyLines: IniLines = new Map();
  let section = '';
  const error = (message: string, line: number): ConfigError =>
    new ConfigError(`${message} at line ${line}.`, { location: { file, line } });
  for (const [index, text] of rawLines.entries()) {
    const number = index + 1;
    const stripped = text.trim();
    if (stripped === '' || stripped.startsWith('#')) {
      lines.push({ kind: stripped === '' ? 'blank' : 'comment', text });
      continue;
    }
    const header = SECTION.exec(text);
    if (header) {
      if (header[2]?.length !== header[4]?.length) throw error('Cannot compute the section depth', number);
      if (header[2] !== '[') throw error('Nested sections are not supported by tvc', number);
      const name = unquote(header[3] ?? '').toLowerCase();
      if (data.has(name)) throw error('Duplicate section name', number);
      data.set(name, new Map());
      section = name;
      lines.push({ kind: 'section', text, name: unquote(header[3] ?? '') });
      continue;
    }
    const keyword = KEYWORD.exec(text);
    if (keyword) {
      const prefix = keyword[0];
      const parsed = parseValue(text.slice(prefix.length));
      if (!parsed) throw error('Parse error in value', number);
      const key = unquote(keyword[2] ?? '');
      const values = data.get(section) as Map<string, IniValue>;
      if (values.has(key.toLowerCase())) throw error('Duplicate keyword name', number);
      values.set(key.toLowerCase(), parsed.value);
      keyLines.set(`${section}\0${key.toLowerCase()}`, number);
      lines.push({ kind: 'key', text, key: key.toLowerCase(), prefix, ...parsed });
      continue;
    }
    throw error(`Invalid line ('${text}') (matched as neither section nor keyword)`, number);
  }
  return { document: { lines, newline }, data, lines: keyLines };
}

/** An empty document, for a file that does not exist yet. */
export function emptyIniDocument(): IniDocument {
  return { lines: [], newline: '\n' };
}

function sameValue(a: IniValue | undefined, b: IniValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/**
 * Where a new section goes among the others: DVC writes plain sections first, then
 * `remote "…"`, `machine "…"` and `db "…"` ones.
 */
function sectionRank(name: string): number {
  const named = /^\s*(remote|machine|db)\s*"/.exec(name);
  if (!named) return name === '' ? -1 : 0;
  return named[1] === 'remote' ? 1 : named[1] === 'machine' ? 2 : 3;
}

/**
 * Writes `data` back over `document`: lines whose values did not change are kept as they are,
 * changed values are rewritten in place (their inline comments kept), removed keys and sections
 * (and sections left empty, which DVC drops) disappear, new keys go after the last key of their
 * section and new sections where DVC puts them. Keys in `data` are lower case. `renames` (old
 * section name → new) carries a renamed section's comments to where its new name is written.
 */
export function writeIni(
  document: IniDocument,
  data: IniData,
  renames: ReadonlyMap<string, string> = new Map(),
): string {
  interface Block {
    name: string;
    /** Comment lines written just above the header (a renamed section's). */
    lead?: Line[];
    header: Line | undefined;
    body: Line[];
  }
  const blocks: Block[] = [{ name: '', header: undefined, body: [] }];
  for (const line of document.lines) {
    if (line.kind === 'section') blocks.push({ name: line.name.toLowerCase(), header: line, body: [] });
    else blocks[blocks.length - 1]?.body.push(line);
  }
  const out: Block[] = [];
  const indentOf = (block: Block): string => {
    const key = block.body.find((line): line is KeyLine => line.kind === 'key');
    return key ? (/^\s*/.exec(key.prefix)?.[0] ?? '') : block.name === '' ? '' : '    ';
  };
  /** Where a block's own lines end: after its last key (what follows belongs to the next section). */
  const ownEnd = (body: readonly Line[]): number => {
    let end = body.length;
    while (end > 0 && body[end - 1]?.kind !== 'key') end--;
    return end;
  };
  /** A section's lines rewritten to `wanted`: kept, changed in place, removed, new keys after the last. */
  const rewrite = (
    lines: readonly Line[],
    wanted: Map<string, IniValue> | undefined,
    indent: string,
  ): Line[] => {
    const body: Line[] = [];
    const seen = new Set<string>();
    for (const line of lines) {
      if (line.kind !== 'key') {
        body.push(line);
        continue;
      }
      const value = wanted?.get(line.key);
      if (value === undefined) continue;
      seen.add(line.key);
      if (sameValue(value, line.value)) body.push(line);
      else body.push({ ...line, text: `${line.prefix}${formatIniValue(value)}${line.comment}`, value });
    }
    const added: Line[] = [];
    for (const [key, value] of wanted ?? []) {
      if (seen.has(key)) continue;
      const prefix = `${indent}${formatName(key)} = `;
      added.push({ kind: 'key', key, prefix, value, comment: '', text: `${prefix}${formatIniValue(value)}` });
    }
    body.splice(ownEnd(body), 0, ...added);
    return body;
  };
  // A renamed section's own lines (its comments), carried to where the new name is written.
  const carried = new Map<string, { lead: Line[]; lines: Line[]; indent: string }>();
  for (const block of blocks) {
    const wanted = data.get(block.name);
    if (block.name !== '' && (!wanted || wanted.size === 0)) {
      // Removed or left empty: dropped, as DVC drops it; the comments before the next section stay.
      const end = ownEnd(block.body);
      const renamed = renames.get(block.name);
      const previous = out[out.length - 1];
      if (renamed !== undefined) {
        // The comment lines right above its header go with it too.
        let start = previous?.body.length ?? 0;
        while (start > 0 && previous?.body[start - 1]?.kind === 'comment') start--;
        const lead = previous?.body.splice(start) ?? [];
        carried.set(renamed, { lead, lines: block.body.slice(0, end), indent: indentOf(block) });
      }
      previous?.body.push(...block.body.slice(end));
      continue;
    }
    out.push({ ...block, body: rewrite(block.body, wanted, indentOf(block)) });
  }
  for (const [name, values] of data) {
    if (name === '' || values.size === 0 || blocks.some((block) => block.name === name)) continue;
    const rank = sectionRank(name);
    let at = out.length;
    let after = -1;
    out.forEach((block, index) => {
      if (block.name !== '' && sectionRank(block.name) <= rank) after = index;
    });
    if (after >= 0) at = after + 1;
    else {
      const first = out.findIndex((block) => block.name !== '');
      if (first >= 0) at = first;
    }
    const from = carried.get(name);
    const block: Block = {
      name,
      lead: from?.lead ?? [],
      header: { kind: 'section', name, text: `[${formatName(name)}]` },
      body: rewrite(from?.lines ?? [], values, from?.indent ?? '    '),
    };
    // A block that ends in blank lines or comments (which belong to the section that follows)
    // gets the new section before them.
    const previous = out[at - 1];
    if (previous && at === after + 1 && at < out.length) {
      block.body.push(...previous.body.splice(ownEnd(previous.body)));
    }
    out.splice(at, 0, block);
  }
  const text: string[] = [];
  for (const block of out) {
    for (const line of block.lead ?? []) text.push(line.text);
    if (block.header) text.push(block.header.text);
    for (const line of block.body) text.push(line.text);
  }
  // configobj writes an empty config as one newline.
  return `${text.join(document.newline)}${document.newline}`;
}
