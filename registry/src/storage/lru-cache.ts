/** What a cache holding values of different sizes may hold in all, and each value's share of it. */
export interface CacheWeight<V> {
  readonly max: number;
  weigh(value: V): number;
}

/**
 * A small bounded cache for immutable facts (blob sizes, manifest bodies): least
 * recently used goes first. Bounded by entries and, when given a weight, by bytes
 * too, so what clients push (bodies and annotations up to the manifest limit)
 * cannot grow it beyond its budget.
 */
export class LruCache<V> {
  private readonly map = new Map<string, { value: V; weight: number }>();
  private total = 0;

  constructor(private readonly capacity: number, private readonly weight?: CacheWeight<V>) {}

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e !== undefined) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e?.value;
  }

  set(key: string, value: V): void {
    this.delete(key);
    const weight = this.weight?.weigh(value) ?? 0;
    if (this.weight && weight > this.weight.max) return; // would push out everything else
    this.map.set(key, { value, weight });
    this.total += weight;
    while (this.map.size > this.capacity || (this.weight && this.total > this.weight.max)) this.delete(this.map.keys().next().value as string);
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.total -= e.weight;
  }

  /** Entries held now. */
  get size(): number {
    return this.map.size;
  }

  /** The weight held now (0 without a weight). */
  get weightHeld(): number {
    return this.total;
  }
}
