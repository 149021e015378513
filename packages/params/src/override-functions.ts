import {
  isSweep,
  OverrideDict,
  type OverrideElement,
  type OverrideFunctionEvaluator,
  type OverrideNumber,
  type OverrideSweep,
  parseFloatLiteral,
  pythonFloat,
  pythonInt,
  QuotedString,
} from './override-grammar';
import { comparePythonStrings, PythonFloat, pythonFloatRepr } from './python-float';

// The functions Hydra's grammar registers (hydra/_internal/grammar/grammar_functions.py): the casts
// `int`, `float`, `str`, `bool`; the sweeps `choice`, `range`, `interval`, `glob`; and `tag`,
// `sort`, `shuffle`. Errors are plain `Error`s: the parser adds where the call stands.

type Kind = 'int' | 'float' | 'bool' | 'str' | 'null' | 'list' | 'dict' | 'sweep';

function kindOf(value: OverrideElement): Kind {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (value instanceof PythonFloat) return 'float';
  if (typeof value === 'string' || value instanceof QuotedString) return 'str';
  if (Array.isArray(value)) return 'list';
  if (value instanceof OverrideDict) return 'dict';
  return 'sweep';
}

const PYTHON_TYPE: Record<Kind, string> = {
  int: 'int',
  float: 'float',
  bool: 'bool',
  str: 'str',
  null: 'NoneType',
  list: 'list',
  dict: 'dict',
  sweep: 'Sweep',
};

/** A Python number as a JavaScript number (`True` is 1). */
export function numberOf(value: OverrideNumber): number {
  if (typeof value === 'boolean') return Number(value);
  if (value instanceof PythonFloat) return value.value;
  return Number(value);
}

const isNumber = (value: OverrideElement): value is OverrideNumber =>
  ['int', 'float', 'bool'].includes(kindOf(value));

function check(name: string, value: OverrideElement, allowed: readonly Kind[]): void {
  const kind = kindOf(value);
  // bool is an int in Python's isinstance.
  if (allowed.includes(kind) || (kind === 'bool' && allowed.includes('int'))) return;
  throw new TypeError(
    `mismatch type argument ${name}: ${PYTHON_TYPE[kind]} is incompatible with the function`,
  );
}

interface Parameter {
  readonly name: string;
  readonly variadic?: boolean;
  readonly optional?: boolean;
  readonly keywordOnly?: boolean;
}

/** Binds arguments to parameters as Python does, or throws Python's complaint. */
function bind(
  signature: readonly Parameter[],
  args: readonly OverrideElement[],
  kwargs: ReadonlyMap<string, OverrideElement>,
): { rest: OverrideElement[]; named: Map<string, OverrideElement> } {
  const named = new Map<string, OverrideElement>();
  let rest: OverrideElement[] = [];
  let position = 0;
  for (const parameter of signature) {
    if (parameter.variadic) {
      rest = args.slice(position);
      position = args.length;
    } else if (!parameter.keywordOnly && position < args.length) {
      named.set(parameter.name, args[position++]!);
    }
  }
  if (position < args.length) throw new TypeError('too many positional arguments');
  for (const [name, value] of kwargs) {
    const parameter = signature.find((candidate) => candidate.name === name && !candidate.variadic);
    if (!parameter) throw new TypeError(`got an unexpected keyword argument '${name}'`);
    if (named.has(name)) throw new TypeError(`multiple values for argument '${name}'`);
    named.set(name, value);
  }
  for (const parameter of signature) {
    if (!parameter.variadic && !parameter.optional && !named.has(parameter.name)) {
      throw new TypeError(`missing a required argument: '${parameter.name}'`);
    }
  }
  return { rest, named };
}

// ─── Casts ───────────────────────────────────────────────────────────────────────────────────────

type Scalar = number | bigint | boolean | string | PythonFloat;

function castValue(
  name: 'int' | 'float' | 'str' | 'bool',
  cast: (value: Scalar) => OverrideElement,
): (args: OverrideElement[], kwargs: Map<string, OverrideElement>) => OverrideElement {
  const apply = (value: OverrideElement): OverrideElement => {
    if (value instanceof QuotedString) return apply(value.text);
    if (value instanceof OverrideDict) return new OverrideDict(value.entries.map(([k, v]) => [k, apply(v)]));
    if (Array.isArray(value)) return value.map(apply);
    if (isSweep(value)) {
      if (value.kind === 'choice') {
        return { ...value, items: value.items.map(apply) };
      }
      if (value.kind === 'range') {
        if (name !== 'int' && name !== 'float') throw new Error('Range can only be cast to int or float');
        return {
          ...value,
          start: apply(value.start) as OverrideNumber,
          stop: apply(value.stop) as OverrideNumber,
          step: apply(value.step) as OverrideNumber,
        };
      }
      if (value.kind === 'interval') {
        if (name !== 'int' && name !== 'float') throw new Error(`Intervals cannot be cast to ${name}`);
        return {
          ...value,
          start: apply(value.start) as OverrideNumber,
          end: apply(value.end) as OverrideNumber,
        };
      }
      throw new TypeError(`cannot cast a glob to ${name}`);
    }
    if (value === null) throw new TypeError(`cannot cast None to ${name}`);
    return cast(value);
  };
  return (args, kwargs) => {
    const value = kwargs.get('value');
    for (const key of kwargs.keys()) {
      if (key !== 'value') throw new TypeError(`got an unexpected keyword argument '${key}'`);
    }
    if (args.length > 0 && value !== undefined)
      throw new TypeError('cannot use both position and named arguments');
    if (value !== undefined) return apply(value);
    if (args.length === 0) throw new TypeError('No positional args or value specified');
    if (args.length === 1) return apply(args[0]!);
    return apply({ kind: 'choice', items: args, simple: true, shuffle: false, tags: [] });
  };
}

/** Python's `int()` of a string: optional sign, digits with single underscores, surrounding whitespace. */
function intOfString(text: string): number | bigint {
  const trimmed = text.trim();
  if (!/^[+-]?[0-9](?:_?[0-9])*$/.test(trimmed)) {
    throw new Error(`invalid literal for int() with base 10: '${text}'`);
  }
  return pythonInt(trimmed.replace(/^\+/, '').replace(/^(-?)0+(?=\d)/, '$1'));
}

function floatOfString(text: string): number {
  const trimmed = text.trim();
  const valid =
    /^[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.)(?:[eE][+-]?[0-9](?:_?[0-9])*)?$/.test(
      trimmed,
    ) || /^[+-]?(?:inf|infinity|nan)$/i.test(trimmed);
  if (!valid) throw new Error(`could not convert string to float: '${text}'`);
  return parseFloatLiteral(trimmed);
}

const castInt = castValue('int', (value) => {
  if (typeof value === 'string') return intOfString(value);
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'bigint') return value;
  const number = value instanceof PythonFloat ? value.value : value;
  if (!Number.isFinite(number)) throw new Error(`cannot convert float ${pythonFloatRepr(number)} to integer`);
  return pythonInt(BigInt(Math.trunc(number)).toString());
});

const castFloat = castValue('float', (value) => {
  if (typeof value === 'string') return pythonFloat(floatOfString(value));
  if (typeof value === 'boolean') return pythonFloat(Number(value));
  if (value instanceof PythonFloat) return value;
  return pythonFloat(Number(value));
});

/** Python's `str()` of an override's scalar (`True`; ints of any size in full); Hydra's `str` cast lower-cases booleans itself. */
export function scalarStr(value: Scalar): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PythonFloat) return pythonFloatRepr(value.value);
  return Number.isInteger(value) ? BigInt(value).toString() : pythonFloatRepr(value);
}

const castStr = castValue('str', (value) => (typeof value === 'boolean' ? String(value) : scalarStr(value)));

const castBool = castValue('bool', (value) => {
  if (typeof value === 'string') {
    if (value.toLowerCase() === 'true') return true;
    if (value.toLowerCase() === 'false') return false;
    throw new Error(`Cannot cast '${value}' to bool`);
  }
  if (typeof value === 'boolean') return value;
  return numberOf(value) !== 0;
});

// ─── Sweeps and the rest ─────────────────────────────────────────────────────────────────────────

const unquoted = (value: OverrideElement): OverrideElement =>
  value instanceof QuotedString ? value.text : value;

function choice(args: OverrideElement[], kwargs: Map<string, OverrideElement>): OverrideElement {
  const { rest } = bind([{ name: 'args', variadic: true }], args, kwargs);
  rest.forEach((arg, index) => {
    check(`args[${index}]`, arg, ['str', 'int', 'float', 'list', 'dict', 'sweep']);
    if (isSweep(arg) && arg.kind !== 'choice') {
      throw new TypeError(`mismatch type argument args[${index}]: ${arg.kind} is incompatible with choice`);
    }
  });
  if (rest.length === 0) throw new Error('empty choice is not legal');
  const first = rest[0]!;
  if (rest.length === 1 && isSweep(first) && first.kind === 'choice') {
    if (first.simple) return { ...first, simple: false };
    throw new Error('nesting choices is not supported');
  }
  return { kind: 'choice', items: rest, simple: false, shuffle: false, tags: [] };
}

function range(args: OverrideElement[], kwargs: Map<string, OverrideElement>): OverrideElement {
  const { named } = bind(
    [{ name: 'start' }, { name: 'stop', optional: true }, { name: 'step', optional: true }],
    args,
    kwargs,
  );
  let start = named.get('start')!;
  let stop = named.get('stop') ?? null;
  const step = named.get('step') ?? 1;
  check('start', start, ['int', 'float']);
  if (stop !== null) check('stop', stop, ['int', 'float']);
  check('step', step, ['int', 'float']);
  if (stop === null) {
    stop = start;
    start = 0;
  }
  return {
    kind: 'range',
    start: start as OverrideNumber,
    stop: stop as OverrideNumber,
    step: step as OverrideNumber,
    shuffle: false,
    tags: [],
  };
}

function interval(args: OverrideElement[], kwargs: Map<string, OverrideElement>): OverrideElement {
  const { named } = bind([{ name: 'start' }, { name: 'end' }], args, kwargs);
  const start = named.get('start')!;
  const end = named.get('end')!;
  check('start', start, ['int', 'float']);
  check('end', end, ['int', 'float']);
  return {
    kind: 'interval',
    start: pythonFloat(numberOf(start as OverrideNumber)),
    end: pythonFloat(numberOf(end as OverrideNumber)),
    tags: [],
  };
}

function tag(args: OverrideElement[], kwargs: Map<string, OverrideElement>): OverrideElement {
  const { rest, named } = bind(
    [
      { name: 'args', variadic: true },
      { name: 'sweep', optional: true, keywordOnly: true },
    ],
    args,
    kwargs,
  );
  const all = named.has('sweep') ? [...rest, named.get('sweep')!] : rest;
  if (all.length < 1) throw new Error('Not enough arguments to tag, must take at least a sweep');
  const last = all.at(-1)!;
  if (!isSweep(last) || last.kind === 'glob') {
    throw new Error('Last argument to tag() must be a choice(), range() or interval()');
  }
  const tags = all.slice(0, -1).map((item) => {
    if (typeof item !== 'string')
      throw new Error(`tag arguments type must be string, got ${PYTHON_TYPE[kindOf(item)]}`);
    return item;
  });
  return { ...last, tags: [...new Set(tags)] };
}

/** Python's `<` between two values of a list being sorted; throws for values Python cannot order. */
function pythonCompare(a: OverrideElement, b: OverrideElement): number {
  if (isNumber(a) && isNumber(b)) {
    const x = numberOf(a);
    const y = numberOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return comparePythonStrings(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let index = 0; index < Math.min(a.length, b.length); index++) {
      const order = pythonCompare(a[index]!, b[index]!);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  throw new TypeError(
    `'<' not supported between instances of '${PYTHON_TYPE[kindOf(a)]}' and '${PYTHON_TYPE[kindOf(b)]}'`,
  );
}

function sortList(items: readonly OverrideElement[], reverse: boolean): OverrideElement[] {
  const sorted = [...items].sort(pythonCompare);
  return reverse ? sorted.reverse() : sorted;
}

function sortSweep(sweep: OverrideSweep, reverse: boolean): OverrideSweep {
  if (sweep.kind === 'choice') return { ...sweep, items: sortList(sweep.items, reverse) };
  if (sweep.kind !== 'range') throw new TypeError(`cannot sort ${sweep.kind}`);
  const start = numberOf(sweep.start);
  const stop = numberOf(sweep.stop);
  const step = numberOf(sweep.step);
  const floats = [sweep.start, sweep.stop, sweep.step].some((value) => kindOf(value) === 'float');
  const out = (value: number): OverrideNumber => (floats ? pythonFloat(value) : value);
  if (!reverse && start > stop) {
    return {
      ...sweep,
      start: out(stop + Math.abs(step)),
      stop: out(start + Math.abs(step)),
      step: out(-step),
    };
  }
  if (reverse && start < stop) {
    return {
      ...sweep,
      start: out(stop - Math.abs(step)),
      stop: out(start - Math.abs(step)),
      step: out(-step),
    };
  }
  return sweep;
}

function sort(args: OverrideElement[], kwargs: Map<string, OverrideElement>): OverrideElement {
  const { rest, named } = bind(
    [
      { name: 'args', variadic: true },
      { name: 'sweep', optional: true, keywordOnly: true },
      { name: 'list', optional: true, keywordOnly: true },
      { name: 'reverse', optional: true, keywordOnly: true },
    ],
    args,
    kwargs,
  );
  const reverse = named.get('reverse') ?? false;
  if (typeof reverse !== 'boolean') throw new TypeError('mismatch type argument reverse: expected bool');
  const list = named.get('list');
  if (list !== undefined) {
    if (!Array.isArray(list)) throw new TypeError('mismatch type argument list: expected a list');
    return sortList(list, reverse);
  }
  const sweep = named.get('sweep');
  if (sweep !== undefined) {
    if (!isSweep(sweep)) throw new TypeError('mismatch type argument sweep: expected a sweep');
    return sortSweep(sweep, reverse);
  }
  if (rest.length === 1) {
    const arg = rest[0]!;
    if (isSweep(arg)) return sortSweep(arg, reverse);
    if (Array.isArray(arg)) return sortList(arg, reverse);
    if (arg === null) throw new TypeError('Invalid arguments');
    return arg;
  }
  if (rest.length === 0) throw new Error('empty sort input');
  for (const arg of rest) {
    if (!isNumber(arg) && typeof arg !== 'string') throw new TypeError('Invalid arguments');
  }
  return { kind: 'choice', items: sortList(rest, reverse), simple: true, shuffle: false, tags: [] };
}

function shuffleList<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let index = out.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [out[index], out[other]] = [out[other]!, out[index]!];
  }
  return out;
}

function shuffle(args: OverrideElement[], kwargs: Map<string, OverrideElement>): OverrideElement {
  const { rest, named } = bind(
    [
      { name: 'args', variadic: true },
      { name: 'sweep', optional: true, keywordOnly: true },
      { name: 'list', optional: true, keywordOnly: true },
    ],
    args,
    kwargs,
  );
  const list = named.get('list');
  if (list !== undefined) return shuffle([list], new Map());
  const sweep = named.get('sweep');
  if (sweep !== undefined) return shuffle([sweep], new Map());
  if (rest.length === 1) {
    const arg = rest[0]!;
    if (isSweep(arg)) {
      if (arg.kind !== 'choice' && arg.kind !== 'range') throw new TypeError(`cannot shuffle ${arg.kind}`);
      return { ...arg, shuffle: true };
    }
    if (Array.isArray(arg)) return shuffleList(arg);
    return [arg];
  }
  return { kind: 'choice', items: rest, simple: true, shuffle: true, tags: [] };
}

function glob(args: OverrideElement[], kwargs: Map<string, OverrideElement>): OverrideElement {
  const { named } = bind([{ name: 'include' }, { name: 'exclude', optional: true }], args, kwargs);
  const strings = (name: string, value: OverrideElement | undefined): string[] => {
    if (value === undefined || value === null) return [];
    if (typeof value === 'string') return [value];
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
    throw new TypeError(`mismatch type argument ${name}: expected a string or a list of strings`);
  };
  return {
    kind: 'glob',
    include: strings('include', named.get('include')),
    exclude: strings('exclude', named.get('exclude')),
  };
}

const FUNCTIONS: Readonly<
  Record<string, (args: OverrideElement[], kwargs: Map<string, OverrideElement>) => OverrideElement>
> = {
  int: castInt,
  str: castStr,
  bool: castBool,
  float: castFloat,
  choice,
  range,
  interval,
  tag,
  sort,
  shuffle,
  glob,
};

/** Evaluates one of Hydra's functions; arguments written in quotes are plain strings inside. */
export const evaluateOverrideFunction: OverrideFunctionEvaluator = (name, args, kwargs) => {
  const fn = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
  if (!fn) {
    throw new Error(`Unknown function '${name}' (available: ${Object.keys(FUNCTIONS).sort().join(', ')})`);
  }
  return fn(args.map(unquoted), new Map([...kwargs].map(([key, value]) => [key, unquoted(value)])));
};

export { shuffleList };
