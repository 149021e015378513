/**
 * A small seeded PRNG (mulberry32) for the crash suite: every random choice of a trial (parameter
 * values, queued experiments, the moment of the SIGKILL) is drawn from a generator seeded by
 * (suite seed, scenario, trial index), so one trial can be replayed alone from the printed seed.
 */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  bool(probability = 0.5): boolean {
    return this.next() < probability;
  }
}

/** A 32-bit seed from the suite seed and the parts naming one trial (FNV-1a over their text). */
export function deriveSeed(seed: number, ...parts: (string | number)[]): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (const char of parts.join('\0')) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
