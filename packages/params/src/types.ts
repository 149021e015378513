import type { PythonFloat } from './python-float';

/**
 * A value read from a params file: what YAML, JSON, TOML and Python literals have in common. An
 * integral float (`1.0`) is a {@link PythonFloat}; every other number is a `number` (or, past
 * 2^53, a `bigint`).
 */
export type ParamsValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | PythonFloat
  | ParamsValue[]
  | ParamsTree;

/** The top level of a params file: a mapping of keys to values. */
export interface ParamsTree {
  [key: string]: ParamsValue;
}

/** One change to a params file, by dotted key path (`train.lr`, `layers.0.units`). */
export type ParamsEdit =
  | { readonly kind: 'set'; readonly path: readonly string[]; readonly value: ParamsValue }
  | { readonly kind: 'delete'; readonly path: readonly string[] };

/**
 * Reads and writes one params file format. Built-in formats (YAML, JSON, TOML, Python) implement
 * this interface exactly as a third-party plugin does.
 */
export interface ParamsFormat {
  /** The contract version this format implements. */
  readonly specificationVersion: 'v1';
  /** A short name, e.g. `yaml`. */
  readonly name: string;
  /** File extensions this format handles, with the dot: `['.yaml', '.yml']`. */
  readonly extensions: readonly string[];
  /**
   * Loads what the format needs before its first `read` or `write` (a parser imported lazily, so
   * that formats a project never uses cost nothing at start-up). Callers await it once.
   */
  prepare?(): Promise<void>;
  /** Whether this format can read the file at `path` (by default: its extension is listed). */
  supports?(path: string): boolean;
  /** Parses `text`; throws a {@link ParamsSyntaxError} with a location when it cannot. */
  read(text: string, path: string): ParamsTree;
  /** Applies `edits` as the smallest change to `text`, keeping comments, order, quoting and indentation. */
  write(text: string, edits: readonly ParamsEdit[], path: string): string;
}

/** A params file that cannot be parsed, with the place where parsing failed. */
export class ParamsSyntaxError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(message: string, file: string, line?: number, column?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ParamsSyntaxError';
    this.file = file;
    this.line = line;
    this.column = column;
  }
}
