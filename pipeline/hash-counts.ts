// A map from 32-bit hashes to counts in two typed arrays (open addressing, linear probing): what
// the dedupe decision keeps its document frequencies in. A decision reads a few thousand of them
// and a worker caches hundreds of thousands; as strings (`base36(hash)`) in a Map each look-up
// hashed and compared a string and most of them missed the CPU cache (measured: a third of a
// decision's CPU went to the frequency maps).

/** Returned by `get` for a hash that is not in the map. */
export const ABSENT = -1;

const MIN_CAPACITY = 64;

export class HashCounts {
  private keys: Uint32Array;
  /** ABSENT marks an empty slot; a count is ≥ 0. */
  private values: Float64Array;
  private mask: number;
  /** 32 − log2(capacity): the slot is the top bits of a multiplicative hash. */
  private shift: number;
  private count = 0;

  /** `expected`: how many hashes it will hold (it grows beyond). */
  constructor(expected = 0) {
    let capacity = MIN_CAPACITY;
    while (capacity < expected * 2) capacity *= 2;
    this.keys = new Uint32Array(capacity);
    this.values = new Float64Array(capacity).fill(ABSENT);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
  }

  get size(): number {
    return this.count;
  }

  // the hash's slot, or the empty slot where it would go
  private slot(h: number): number {
    const { keys, values, mask } = this;
    // Fibonacci hashing: the top bits of the product depend on every bit of the hash
    let i = Math.imul(h, 0x9e3779b1) >>> this.shift;
    while (values[i] !== ABSENT && keys[i] !== h) i = (i + 1) & mask;
    return i;
  }

  /** The count of `h`, or ABSENT. */
  get(h: number): number {
    return this.values[this.slot(h >>> 0)]!;
  }

  /** The count of `h`, 0 when absent. */
  countOf(h: number): number {
    const n = this.get(h);
    return n === ABSENT ? 0 : n;
  }

  has(h: number): boolean {
    return this.get(h) !== ABSENT;
  }

  /** Sets the count of `h` (`n` ≥ 0). */
  set(h: number, n: number): void {
    if (!(n >= 0)) throw new RangeError(`HashCounts: a count must be ≥ 0, not ${n}`);
    const key = h >>> 0;
    let i = this.slot(key);
    if (this.values[i] === ABSENT) {
      if ((this.count + 1) * 2 > this.keys.length) {
        this.grow();
        i = this.slot(key);
      }
      this.count++;
      this.keys[i] = key;
    }
    this.values[i] = n;
  }

  /** Adds `n` to the count of `h` (absent counts as 0). */
  add(h: number, n: number): void {
    this.set(h, this.countOf(h) + n);
  }

  /** Every hash with its count, in no particular order. */
  *entries(): IterableIterator<[number, number]> {
    for (let i = 0; i < this.keys.length; i++) if (this.values[i] !== ABSENT) yield [this.keys[i]!, this.values[i]!];
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.values = new Float64Array(keys.length * 2).fill(ABSENT);
    this.mask = this.keys.length - 1;
    this.shift--;
    for (let i = 0; i < keys.length; i++) {
      if (values[i] === ABSENT) continue;
      const j = this.slot(keys[i]!);
      this.keys[j] = keys[i]!;
      this.values[j] = values[i]!;
    }
  }
}
