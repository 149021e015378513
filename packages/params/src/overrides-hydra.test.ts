import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyOverrides } from './apply-overrides';
import { ParamsOverrideError } from './override-error';
import { isSweep, OverrideDict, type OverrideElement, QuotedString } from './override-grammar';
import { expandSweeps, type Override, overrideElementText, parseOverride, sweepValues } from './overrides';
import { isParamsMapping, PythonFloat, pythonFloatRepr } from './python-float';
import type { ParamsTree, ParamsValue } from './types';

// Every case of __fixtures__/hydra-overrides.json, recorded from Hydra inside DVC by
// scripts/record-hydra-overrides.py (run it again to re-record).

type Encoded = unknown;

interface ParseCase {
  input: string;
  error?: string;
  type?: string;
  key?: string;
  package?: string | null;
  value?: Encoded;
  sweep?: boolean;
  expanded?: string[];
  asString?: string;
  expandError?: { error: string; message: string };
}

interface SweepCase {
  input: Record<string, string[]>;
  runs?: Record<string, string[]>[];
  error?: string;
}

interface ApplyCase {
  input: string[];
  tree?: Encoded;
  error?: string;
}

const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/hydra-overrides.json', import.meta.url), 'utf8'),
) as { tree: Encoded; parse: ParseCase[]; sweeps: SweepCase[]; apply: ApplyCase[] };

const KIND = { change: 'CHANGE', add: 'ADD', forceAdd: 'FORCE_ADD', delete: 'DEL' } as const;

function encodeNumber(value: number | bigint | PythonFloat): Encoded {
  if (typeof value === 'bigint') return { $int: value.toString() };
  if (value instanceof PythonFloat) return { $float: pythonFloatRepr(value.value) };
  return Number.isInteger(value) ? { $int: String(value) } : { $float: pythonFloatRepr(value) };
}

/** An element in the fixture's encoding. */
function encode(value: OverrideElement): Encoded {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || value instanceof PythonFloat) {
    return encodeNumber(value);
  }
  if (value instanceof QuotedString)
    return { $quoted: value.text, quote: value.quote === "'" ? 'single' : 'double' };
  if (Array.isArray(value)) return value.map(encode);
  if (value instanceof OverrideDict)
    return { $dict: value.entries.map(([key, item]) => [encode(key), encode(item)]) };
  if (isSweep(value)) {
    if (value.kind === 'choice') return { $choice: value.items.map(encode), simple: value.simple };
    if (value.kind === 'range')
      return { $range: [encode(value.start), encode(value.stop), encode(value.step)] };
    if (value.kind === 'interval') return { $interval: [encode(value.start), encode(value.end)] };
    return { $glob: value.include, exclude: value.exclude };
  }
  throw new Error('unknown element');
}

function encodeTree(value: ParamsValue): Encoded {
  if (Array.isArray(value)) return value.map(encodeTree);
  if (isParamsMapping(value))
    return { $dict: Object.entries(value).map(([key, item]) => [key, encodeTree(item)]) };
  return encode(value as OverrideElement);
}

function decode(value: Encoded): ParamsValue {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === 'object') {
    const tagged = value as Record<string, unknown>;
    if ('$int' in tagged) {
      const big = BigInt(tagged.$int as string);
      return Number.isSafeInteger(Number(big)) ? Number(big) : big;
    }
    if ('$float' in tagged) {
      const number =
        { inf: Infinity, '-inf': -Infinity, nan: Number.NaN }[tagged.$float as string] ??
        Number(tagged.$float);
      return Number.isInteger(number) ? new PythonFloat(number) : number;
    }
    return Object.fromEntries(
      (tagged.$dict as [string, Encoded][]).map(([key, item]) => [key, decode(item)]),
    );
  }
  return value as ParamsValue;
}

describe('the -S grammar against Hydra', () => {
  for (const testCase of fixture.parse) {
    it(`reads ${JSON.stringify(testCase.input)} as Hydra does`, () => {
      if (testCase.error) {
        expect(() => parseOverride(testCase.input)).toThrow(ParamsOverrideError);
        return;
      }
      const override = parseOverride(testCase.input);
      expect(KIND[override.kind]).toBe(testCase.type);
      expect(override.key).toBe(testCase.key);
      expect(override.package ?? null).toBe(testCase.package);
      expect(override.value === undefined ? null : encode(override.value)).toEqual(testCase.value);
      expect(override.sweep).toBe(testCase.sweep);
      if (testCase.expandError) {
        expect(() => sweepValues(override.value as never).map(overrideElementText)).toThrow();
      } else if (testCase.expanded) {
        expect(sweepValues(override.value as never).map(overrideElementText)).toEqual(testCase.expanded);
      } else if (testCase.asString !== undefined) {
        expect(overrideElementText(override.value ?? null)).toBe(testCase.asString);
      }
    });
  }
});

function byFile(input: Record<string, string[]>): Map<string, Override[]> {
  return new Map(
    Object.entries(input).map(([file, texts]) => [file, texts.map((text) => parseOverride(text, file))]),
  );
}

describe('sweeps against DVC', () => {
  for (const testCase of fixture.sweeps) {
    it(`expands ${JSON.stringify(testCase.input)} as DVC queues it`, () => {
      if (testCase.error) {
        expect(() => expandSweeps(byFile(testCase.input))).toThrow(ParamsOverrideError);
        return;
      }
      const runs = expandSweeps(byFile(testCase.input)).map((run) =>
        Object.fromEntries(
          [...run].map(([file, overrides]) => [file, overrides.map((override) => override.text)]),
        ),
      );
      expect(runs).toEqual(testCase.runs);
    });
  }
});

describe('applying overrides against DVC', () => {
  const tree = decode(fixture.tree) as ParamsTree;
  for (const testCase of fixture.apply) {
    it(`applies ${JSON.stringify(testCase.input)} as DVC does`, () => {
      const apply = () =>
        applyOverrides(
          tree,
          testCase.input.map((text) => parseOverride(text, 'params.json')),
        );
      if (testCase.error) {
        expect(apply).toThrow(ParamsOverrideError);
        return;
      }
      expect(encodeTree(apply().tree)).toEqual(testCase.tree);
    });
  }
});
