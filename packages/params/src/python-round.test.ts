import { describe, expect, it } from 'vitest';
import { PythonFloat } from './python-float';
import { formatMetricValue, pythonRound } from './python-round';

describe('pythonRound', () => {
  it('rounds the exact binary value, ties to even, as Python does', () => {
    expect(pythonRound(0.123456789, 5)).toBe(0.12346);
    expect(pythonRound(2.675, 2)).toBe(2.67); // 2.67499999… in binary
    expect(pythonRound(0.125, 2)).toBe(0.12); // an exact tie: to even
    expect(pythonRound(0.375, 2)).toBe(0.38);
    expect(pythonRound(2.5, 0)).toBe(2);
    expect(pythonRound(1234.5, -1)).toBe(1230);
    expect(Object.is(pythonRound(-1e-7, 5), -0)).toBe(true);
    expect(pythonRound(1e-10, 5)).toBe(0);
    expect(pythonRound(Number.POSITIVE_INFINITY, 2)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('formatMetricValue', () => {
  it("prints floats rounded and as Python's str(), everything else as str()", () => {
    expect(formatMetricValue(0.123456789, 5)).toBe('0.12346');
    expect(formatMetricValue(1.234e-6, 5)).toBe('0.0');
    expect(formatMetricValue(-1.0000000000287557e-7, 5)).toBe('-0.0');
    expect(formatMetricValue(new PythonFloat(2), 5)).toBe('2.0');
    expect(formatMetricValue(1234567.123456, 5)).toBe('1234567.12346');
    expect(formatMetricValue(3, 5)).toBe('3');
    expect(formatMetricValue(true, 5)).toBe('True');
    expect(formatMetricValue('text', 5)).toBe('text');
    expect(formatMetricValue(0.123456789)).toBe('0.123456789');
  });
});
