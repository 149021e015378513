import {
  applyEditsToTree,
  isParamsMapping,
  type ParamsFormat,
  ParamsSyntaxError,
  type ParamsTree,
  type ParamsValue,
  PythonFloat,
  pythonFloatRepr,
  sameParams,
} from '@tvc/params';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Property tests every params format runs (see each plugin's *-properties.test.ts): random and
// truncated input reads as a tree or fails with a located ParamsSyntaxError; writing no change
// gives the text back; a random single-value edit changes only that value's bytes.

/** Values past what a document is rendered with, for edits: big ints, infinities, NaN, -0.0. */
export const SPECIAL_VALUES: readonly ParamsValue[] = [
  2n ** 64n,
  -(2n ** 63n),
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
  new PythonFloat(-0),
];

/** A document rendered by a format's test: its text and where each leaf's value stands in it. */
export interface RenderedDocument {
  readonly text: string;
  /** Leaf path (parts joined by NUL) → [start, end) of the value's text. */
  readonly spans: ReadonlyMap<string, readonly [number, number]>;
}

/** Builds text piece by piece, remembering where values go. */
export class DocumentBuilder {
  text = '';
  readonly spans = new Map<string, readonly [number, number]>();

  add(text: string): this {
    this.text += text;
    return this;
  }

  value(path: readonly string[], text: string): this {
    this.spans.set(path.join('\0'), [this.text.length, this.text.length + text.length]);
    this.text += text;
    return this;
  }

  done(): RenderedDocument {
    return { text: this.text, spans: this.spans };
  }
}

export interface FormatSubject {
  readonly format: ParamsFormat;
  readonly file: string;
  /** Scalars the format holds (TOML has no null). */
  readonly scalar: fc.Arbitrary<ParamsValue>;
  /** Values only edits write (big ints, infinities, NaN: documents are rendered without them). */
  readonly specials?: readonly ParamsValue[];
  /** Renders a tree in the format's usual style, comments included (`comments` picks where). */
  render(tree: ParamsTree, comments: readonly boolean[]): RenderedDocument;
  /** Characters random input is drawn from, besides printable ASCII. */
  readonly alphabet: string;
  /** Whether a generated tree can be written in this format (Python: class names, TOML: no empty arrays of tables…). */
  readonly accepts?: (tree: ParamsTree) => boolean;
  /** Puts a generated tree in the order the format reads it back (TOML: values before tables). */
  readonly arrange?: (tree: ParamsTree) => ParamsTree;
}

export const keyArbitrary = fc.stringMatching(/^k[a-z0-9_]{0,5}$/);

const stringArbitrary = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9 _.,:#'"\\-]{0,12}$/),
  fc.constantFrom(
    '',
    'true',
    'No',
    'null',
    '~',
    '1.0',
    '0x1F',
    '1_000',
    '- a',
    '? x',
    '#x',
    ' a ',
    'a\nb',
    'tab\t',
    '日本',
    '\u00e9',
  ),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

/** Ints, floats (integral ones as PythonFloat), booleans and strings; `null` when `withNull`. */
export function scalarArbitrary(withNull: boolean): fc.Arbitrary<ParamsValue> {
  const options: fc.Arbitrary<ParamsValue>[] = [
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc
      .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
      .map((value) => (Number.isInteger(value) ? new PythonFloat(value) : value)),
    fc.boolean(),
    stringArbitrary,
  ];
  if (withNull) options.push(fc.constant(null));
  return fc.oneof(...options);
}

export function treeArbitrary(scalar: fc.Arbitrary<ParamsValue>): fc.Arbitrary<ParamsTree> {
  const { tree } = fc.letrec<{ tree: ParamsTree; value: ParamsValue }>((tie) => ({
    tree: fc.dictionary(keyArbitrary, tie('value'), { minKeys: 1, maxKeys: 5 }) as fc.Arbitrary<ParamsTree>,
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(scalar, { maxLength: 4 }),
      tie('tree'),
    ),
  }));
  return tree;
}

/** Python-style float text, the way the renderers write floats. */
export function floatText(value: number | PythonFloat): string {
  return pythonFloatRepr(value instanceof PythonFloat ? value.value : value);
}

function leaves(tree: ParamsValue, path: string[] = []): { path: string[]; value: ParamsValue }[] {
  if (Array.isArray(tree)) return tree.flatMap((item, index) => leaves(item, [...path, String(index)]));
  if (isParamsMapping(tree))
    return Object.entries(tree).flatMap(([key, item]) => leaves(item, [...path, key]));
  return [{ path, value: tree }];
}

function readsOrFailsWithPlace(subject: FormatSubject, text: string): void {
  try {
    subject.format.read(text, subject.file);
  } catch (error) {
    if (!(error instanceof ParamsSyntaxError)) {
      throw new Error(`reading ${JSON.stringify(text)} threw ${String(error)}`, { cause: error });
    }
    if (error.line === undefined || error.column === undefined) {
      throw new Error(`reading ${JSON.stringify(text)} failed without a place: ${error.message}`);
    }
  }
}

/** The property tests of one params format. */
export function describeFormatProperties(subject: FormatSubject, options: { numRuns?: number } = {}): void {
  // A fixed seed keeps runs repeatable; TVC_PROPERTY_RUNS and TVC_PROPERTY_SEED search further.
  const numRuns = Number(process.env.TVC_PROPERTY_RUNS) || options.numRuns || 150;
  const settings = { numRuns, seed: Number(process.env.TVC_PROPERTY_SEED) || 20240611 };
  const documents = fc
    .record({
      tree: treeArbitrary(subject.scalar),
      comments: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    })
    .filter(({ tree }) => subject.accepts?.(tree) ?? true)
    .map(({ tree, comments }) => {
      const arranged = subject.arrange?.(tree) ?? tree;
      return { tree: arranged, document: subject.render(arranged, comments) };
    });

  const editValues = subject.specials?.length
    ? fc.oneof(subject.scalar, fc.constantFrom(...subject.specials))
    : subject.scalar;

  describe(`${subject.format.name} params: properties`, () => {
    it('reads a rendered document as the tree it was rendered from', () => {
      fc.assert(
        fc.property(documents, ({ tree, document }) => {
          expect(sameParams(subject.format.read(document.text, subject.file), tree)).toBe(true);
        }),
        settings,
      );
    });

    it('reads random or truncated input as a tree or fails with a located ParamsSyntaxError', () => {
      const characters = fc.constantFrom(...`${subject.alphabet} \n\t=:,[]{}"'#\\.-+0123456789abcdefTFN_`);
      fc.assert(
        fc.property(fc.string({ unit: characters, maxLength: 60 }), (text) =>
          readsOrFailsWithPlace(subject, text),
        ),
        settings,
      );
      fc.assert(
        fc.property(documents, fc.nat(), ({ document }, cut) => {
          readsOrFailsWithPlace(subject, document.text.slice(0, cut % (document.text.length + 1)));
        }),
        settings,
      );
    });

    it('writes no edit, or a value set to what it is, as the same text', () => {
      fc.assert(
        fc.property(documents, fc.nat(), ({ tree, document }, pick) => {
          expect(subject.format.write(document.text, [], subject.file)).toBe(document.text);
          const all = leaves(tree);
          if (all.length === 0) return;
          const leaf = all[pick % all.length]!;
          const same = subject.format.write(
            document.text,
            [{ kind: 'set', path: leaf.path, value: leaf.value }],
            subject.file,
          );
          expect(same).toBe(document.text);
        }),
        settings,
      );
    });

    it('changes only the bytes of the value a single edit sets', () => {
      fc.assert(
        fc.property(documents, fc.nat(), editValues, ({ tree, document }, pick, value) => {
          const all = leaves(tree).filter((leaf) => document.spans.has(leaf.path.join('\0')));
          if (all.length === 0) return;
          const leaf = all[pick % all.length]!;
          const edit = { kind: 'set' as const, path: leaf.path, value };
          let written: string;
          try {
            written = subject.format.write(document.text, [edit], subject.file);
          } catch (error) {
            // A format may refuse a value it cannot hold (NaN in a .py file), with a typed error.
            if (error instanceof ParamsSyntaxError && subject.specials?.includes(value)) return;
            throw error;
          }
          expect(sameParams(subject.format.read(written, subject.file), applyEditsToTree(tree, [edit]))).toBe(
            true,
          );
          const [start, end] = document.spans.get(leaf.path.join('\0'))!;
          expect(written.slice(0, start)).toBe(document.text.slice(0, start));
          expect(written.slice(written.length - (document.text.length - end))).toBe(document.text.slice(end));
        }),
        settings,
      );
    });
  });
}
