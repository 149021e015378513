import type { ParamsValue } from '@tvc/params';
import { defineScalarTag, load, mapTag, NOT_RESOLVED, Schema, seqTag, strTag } from 'js-yaml';
import { MAX_ALIAS_NODES, nestingProblem, sharedExpansion, yamlCharacterProblem } from '../input-limits';
import { constructScalar } from './reader';
import { resolvePlainScalarTag, type ScalarTag } from './resolver';

// js-yaml with ruamel's resolution of plain scalars (the same resolver and constructors as the
// positional reader), for reading a file's value several times faster than building a document.
// The first characters each tag can start with (ruamel registers its resolvers the same way), so
// that js-yaml tries none of them for a path or an md5 starting with a letter.
const FIRST_CHARACTERS: Readonly<Record<(typeof TAGS)[number], string>> = {
  null: '~nN',
  bool: 'tTfF',
  int: '-+0123456789',
  float: '-+0123456789.',
  timestamp: '0123456789',
};
const TAGS = ['null', 'bool', 'int', 'float', 'timestamp'] as const satisfies readonly ScalarTag[];

// Every tag asks about the same scalar in turn: resolve it once.
let lastSource: string | undefined;
let lastTag: ScalarTag = 'str';
function tagOf(source: string): ScalarTag {
  if (source !== lastSource) {
    lastSource = source;
    lastTag = resolvePlainScalarTag(source);
  }
  return lastTag;
}

const implicit = TAGS.map((tag) =>
  defineScalarTag<ParamsValue>(`tag:yaml.org,2002:${tag}`, {
    implicit: true,
    implicitFirstChars: [...FIRST_CHARACTERS[tag], ...(tag === 'null' ? [''] : [])],
    resolve: (source, isExplicit) => {
      if (isExplicit || tagOf(source) !== tag) return NOT_RESOLVED;
      // A scalar that resolves to a tag but cannot be built (`0x_`) throws, and the value falls
      // to the full reader, which reports it with its place (as a string it would pass unseen).
      return constructScalar(source, tag);
    },
    identify: () => false,
  }),
);

const RUAMEL_SCHEMA = new Schema([strTag, seqTag, mapTag, ...implicit]);

/**
 * The value of a DVC YAML file read the fast way, or `undefined` when the text needs the full
 * reader: anything with tags (`!`), merge keys (`<<`), timestamps, or anything js-yaml rejects
 * (the full reader then reports it with its position). Shared anchors become shared objects.
 */
export function fastDvcYamlValue(text: string): ParamsValue | undefined {
  if (text.includes('!') || text.includes('<<')) return undefined;
  // Hostile input (control characters, deep nesting, an alias bomb) goes to the full reader,
  // which refuses it with its place; it is never returned (nor cached) as a value.
  if (yamlCharacterProblem(text) || nestingProblem(text, { yaml: true })) return undefined;
  let value: ParamsValue;
  try {
    value = load(text, { schema: RUAMEL_SCHEMA }) as ParamsValue;
  } catch {
    return undefined;
  }
  if (text.includes('*') && sharedExpansion(value) > MAX_ALIAS_NODES) return undefined;
  return value;
}
