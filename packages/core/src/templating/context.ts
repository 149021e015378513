import { isMapping, pythonTypeName } from './format';

/**
 * The values templating can refer to, as DVC 3 keeps them (`dvc/parsing/context.py`): a tree
 * whose every node remembers where it came from (a vars file and the dotted path inside it, or an
 * inline `vars` entry), so that merging can name both sources of a clash and interpolation can
 * record which params-file keys a stage used.
 */

/** Where a node came from. */
export interface NodeMeta {
  /** The file (repo-relative) or inline entry (`vars[1]`, `train.vars[0]`) it was read from. */
  readonly source: string | undefined;
  /** The dotted path from the top of its source (`train.lr`, `models.0`). */
  readonly path: string;
  /** Inline values (and generated `item`/`key`) are local: their use is not tracked. */
  readonly local: boolean;
}

export type ContextNode = ValueNode | ListNode | DictNode;

export class ValueNode {
  readonly kind = 'value';
  constructor(
    readonly value: unknown,
    readonly meta: NodeMeta,
  ) {}
}

export class ListNode {
  readonly kind = 'list';
  constructor(
    readonly items: ContextNode[],
    readonly meta: NodeMeta,
  ) {}
}

export class DictNode {
  readonly kind = 'dict';
  constructor(
    readonly entries: Map<string, ContextNode>,
    readonly meta: NodeMeta,
  ) {}
}

const LOCAL: NodeMeta = Object.freeze({ source: undefined, path: '', local: true });

function childMeta(meta: NodeMeta, key: string | number): NodeMeta {
  return { source: meta.source, path: meta.path ? `${meta.path}.${key}` : String(key), local: meta.local };
}

export function isContextNode(value: unknown): value is ContextNode {
  return value instanceof ValueNode || value instanceof ListNode || value instanceof DictNode;
}

/** Wraps plain data (which may already hold nodes, kept as they are) into nodes. */
export function toNode(value: unknown, meta: NodeMeta = LOCAL): ContextNode {
  if (isContextNode(value)) return value;
  if (Array.isArray(value))
    return new ListNode(
      value.map((item, index) => toNode(item, childMeta(meta, index))),
      meta,
    );
  if (isMapping(value)) {
    const entries = new Map<string, ContextNode>();
    for (const [key, item] of Object.entries(value)) entries.set(key, toNode(item, childMeta(meta, key)));
    return new DictNode(entries, meta);
  }
  return new ValueNode(value, meta);
}

/** The plain value of a node (or of plain data holding nodes). */
export function plain(value: unknown): unknown {
  if (value instanceof ValueNode) return value.value;
  if (value instanceof ListNode) return value.items.map(plain);
  if (value instanceof DictNode) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of value.entries) result[key] = plain(item);
    return result;
  }
  if (Array.isArray(value)) return value.map(plain);
  if (isMapping(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = plain(item);
    return result;
  }
  return value;
}

/** Python's type name of a node's value. */
export function nodeTypeName(node: ContextNode): string {
  if (node instanceof ListNode) return 'list';
  if (node instanceof DictNode) return 'dict';
  return pythonTypeName(node.value);
}

/** A problem of the context itself (a clash, a file that cannot be loaded); DVC's `ContextError`. */
export class ContextError extends Error {
  override readonly name: string = 'ContextError';
  /** DVC puts these on a new line after its "failed to parse …:" preamble. */
  readonly multiline: boolean;
  constructor(message: string, multiline = false) {
    super(message);
    this.multiline = multiline;
  }
}

/** `${expr}` names nothing in the context. */
export class KeyNotInContext extends ContextError {
  override readonly name = 'KeyNotInContext';
  constructor(readonly key: string) {
    super(`Could not find '${key}'`);
  }
}

function mergeInto(into: DictNode, update: DictNode): void {
  for (const [key, value] of update.entries) {
    const existing = into.entries.get(key);
    if (existing instanceof DictNode && value instanceof DictNode) {
      mergeInto(existing, value);
    } else if (existing !== undefined) {
      throw new ContextError(
        `cannot redefine '${value.meta.path}' from '${value.meta.source ?? '<local>'}' as it already exists in '${existing.meta.source ?? '<local>'}'`,
        true,
      );
    } else {
      into.entries.set(key, value);
    }
  }
}

function cloneDict(node: DictNode): DictNode {
  const entries = new Map<string, ContextNode>();
  for (const [key, value] of node.entries)
    entries.set(key, value instanceof DictNode ? cloneDict(value) : value);
  return new DictNode(entries, node.meta);
}

/** `humanize.join`: `a`, `a and b`, `a, b and c`. */
export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** The values used by one stage: `{file: {dotted.key: value}}`. */
export type TrackedVars = Record<string, Record<string, unknown>>;

/**
 * The top of the context: its values, which files (and keys) were imported, the keys reserved
 * while a foreach/matrix stage is generated, and the tracking of what interpolation selects.
 */
export class Context {
  readonly root: DictNode;
  /** Imported files: `null` for a whole file, else the keys taken from it. */
  readonly imports: Map<string, string[] | null>;
  readonly #reserved: string[] = [];
  #tracked: Map<string, Map<string, unknown>> | undefined;

  constructor(root: DictNode = new DictNode(new Map(), LOCAL), imports = new Map<string, string[] | null>()) {
    this.root = root;
    this.imports = imports;
  }

  /** A copy whose merges do not touch this one (DVC clones before loading a stage's vars). */
  clone(): Context {
    const copy = new Context(
      cloneDict(this.root),
      new Map([...this.imports].map(([file, keys]) => [file, keys && [...keys]])),
    );
    copy.#reserved.push(...this.#reserved);
    return copy;
  }

  has(key: string): boolean {
    return this.root.entries.has(key);
  }

  /** Merges `other` in; a key defined twice is an error naming both sources, never an overwrite. */
  merge(other: DictNode): void {
    const reserved = this.#reserved.filter((key) => other.entries.has(key));
    if (reserved.length > 0) {
      throw new ContextError(
        `attempted to modify reserved key${reserved.length > 1 ? 's' : ''} ${joinWords(reserved)}`,
      );
    }
    mergeInto(this.root, other);
  }

  /** Sets top-level values (`item`, `key`) and reserves them while `body` runs. */
  async withTemporarily<T>(values: Record<string, unknown>, body: () => Promise<T>): Promise<T> {
    const previous = new Map<string, ContextNode | undefined>();
    const newlyReserved: string[] = [];
    for (const [key, value] of Object.entries(values)) {
      previous.set(key, this.root.entries.get(key));
      this.root.entries.set(key, toNode(value));
      if (!this.#reserved.includes(key)) {
        this.#reserved.push(key);
        newlyReserved.push(key);
      }
    }
    try {
      return await body();
    } finally {
      for (const [key, value] of previous) {
        if (value === undefined) this.root.entries.delete(key);
        else this.root.entries.set(key, value);
      }
      for (const key of newlyReserved) this.#reserved.splice(this.#reserved.indexOf(key), 1);
    }
  }

  /** Records what `select` finds until the returned function is called, which returns it. */
  track(): () => TrackedVars {
    const tracked = new Map<string, Map<string, unknown>>();
    this.#tracked = tracked;
    return () => {
      this.#tracked = undefined;
      const result: TrackedVars = {};
      for (const [file, keys] of tracked) result[file] = Object.fromEntries(keys);
      return result;
    };
  }

  /**
   * The node at a dotted key (`a.b`, `a[0]`, already parsed); `expression` is what the user wrote,
   * for the error. Values from files are tracked (lists with their whole value; mappings not).
   */
  select(key: string, expression: string = key): ContextNode {
    let node: ContextNode = this.root;
    for (const raw of key.replaceAll('[', '.').replaceAll(']', '').split('.')) {
      const part = raw.trim();
      let next: ContextNode | undefined;
      if (node instanceof DictNode) next = node.entries.get(part);
      else if (node instanceof ListNode) next = listItem(node, part);
      if (next === undefined) throw new KeyNotInContext(expression);
      node = next;
    }
    this.#track(node);
    return node;
  }

  #track(node: ContextNode): void {
    if (!this.#tracked || node.meta.local || node instanceof DictNode || node.meta.source === undefined)
      return;
    let keys = this.#tracked.get(node.meta.source);
    if (!keys) {
      keys = new Map();
      this.#tracked.set(node.meta.source, keys);
    }
    keys.set(node.meta.path, plain(node));
  }
}

/** A list item by Python's `int()` of the key: `1`, ` 1`, `-1` (from the end). */
function listItem(node: ListNode, part: string): ContextNode | undefined {
  if (!/^[+-]?\d+$/.test(part)) return undefined;
  const index = Number(part);
  return node.items[index < 0 ? node.items.length + index : index];
}

/** A file's values as a context to merge: non-local, so that their use is tracked. */
export function fileNode(data: Record<string, unknown>, source: string): DictNode {
  return toNode(data, { source, path: '', local: false }) as DictNode;
}

/** Inline `vars` values: local, named `vars[0]` or `stage.vars[0]` in clashes. */
export function inlineNode(data: Record<string, unknown>, source: string): DictNode {
  return toNode(data, { source, path: '', local: true }) as DictNode;
}
