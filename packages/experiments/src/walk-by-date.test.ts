import { describe, expect, it } from 'vitest';
import { walkByDate } from './show-collect';

// `git rev-list --timestamp --parents` lines: "time sha parent…". Ids shortened for reading.
const listing = (lines: readonly string[]) => lines.join('\n');

describe('walkByDate (DVC/dulwich list_all_commits order)', () => {
  it('newest first; equal times by the smaller id; parents queued only when their child is popped', () => {
    // b (tag) is the parent of c (HEAD), both at t=100; d is an older child of b (t=50).
    const text = listing(['100 c b', '100 b a', '50 d b', '10 a']);
    expect(walkByDate(text, ['c', 'b', 'd'])).toEqual(['b', 'c', 'd', 'a']);
  });

  it('a parent newer than its only child still waits for the child', () => {
    // HEAD m (t=1) has parent p (t=9): p is reached only through m.
    expect(walkByDate(listing(['1 m p', '9 p']), ['m'])).toEqual(['m', 'p']);
  });

  it('merges: both parents queued, each listed once', () => {
    const text = listing(['30 m x y', '20 x r', '25 y r', '5 r']);
    expect(walkByDate(text, ['m', 'x'])).toEqual(['m', 'y', 'x', 'r']);
  });
});
