import { pythonFloatRepr } from '@tvc/params';

// DVC reads YAML with ruamel.yaml's safe loader (YAML 1.2 resolution, with ruamel's own quirks:
// `1_000` and `0b101` are ints, `2020-01-01` is a date) and writes it with ruamel's round-trip
// dumper. Both halves decide a plain scalar's type with the resolvers below: the reader to build
// the value, the writer to quote a string that would read back as something else.

/** The types a plain scalar can resolve to (`merge`, `value` and `yaml` are ruamel's special tags). */
export type ScalarTag = 'null' | 'bool' | 'int' | 'float' | 'str' | 'timestamp' | 'merge' | 'value' | 'yaml';

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

/** A float as ruamel writes it: Python's repr, with `.inf`, `-.inf` and `.nan`. */
export function yamlFloat(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Number.POSITIVE_INFINITY) return '.inf';
  if (value === Number.NEGATIVE_INFINITY) return '-.inf';
  return pythonFloatRepr(value);
}
