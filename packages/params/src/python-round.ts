import { pythonStr } from './params-diff';
import { isPythonFloat, type PythonFloat, pythonFloatRepr } from './python-float';

/**
 * Python's `round(x, ndigits)` for a float: the exact binary value rounded to `ndigits` decimal
 * places (ties to even, judged on the exact value, so `round(2.675, 2)` is `2.67`), then the
 * nearest double. `ndigits` may be negative (`round(1234.5, -1)` is `1230.0`).
 */
export function pythonRound(value: number, ndigits: number): number {
  if (!Number.isFinite(value) || value === 0 || ndigits > 323) return value;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent: number;
  if (exponentBits === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  // |value| * 10^ndigits as the fraction numerator / denominator, exactly.
  let numerator = mantissa;
  let denominator = 1n;
  if (exponent >= 0) numerator <<= BigInt(exponent);
  else denominator <<= BigInt(-exponent);
  if (ndigits >= 0) numerator *= 10n ** BigInt(ndigits);
  else denominator *= 10n ** BigInt(-ndigits);
  let quotient = numerator / denominator;
  const twice = 2n * (numerator - quotient * denominator);
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  const rounded = Number(`${quotient}e${-ndigits}`);
  return negative ? -rounded : rounded;
}

/**
 * A metric or params value as DVC's tables print it (`dvc.compare._format_field` with
 * `round_digits=True`): a float rounded to `precision` decimal places and printed as Python's
 * `str()` would (`0.12346`, `2.0`, `-0.0`); anything else as `str()` (`True`, `3`, text).
 * A `precision` of 0 (or none) leaves floats as they are.
 */
export function formatMetricValue(value: unknown, precision?: number): string {
  const isFloat = isPythonFloat(value) || (typeof value === 'number' && !Number.isInteger(value));
  if (isFloat) {
    const number = isPythonFloat(value) ? (value as PythonFloat).value : (value as number);
    return pythonFloatRepr(precision ? pythonRound(number, precision) : number);
  }
  return pythonStr(value);
}
