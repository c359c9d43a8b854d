// Layer facts by layer digest: ten images on one base read the base once.
// The default keeps the most recently used facts in memory; the registry can
// pass a persistent implementation (the metadata index) with the same shape.
import type { LayerFacts } from './layer-facts.js';

export interface LayerFactsCache {
  get(digest: string): Promise<LayerFacts | undefined> | LayerFacts | undefined;
  set(digest: string, facts: LayerFacts): Promise<void> | void;
}

export class MemoryLayerFactsCache implements LayerFactsCache {
  private readonly entries = new Map<string, LayerFacts>();

  constructor(private readonly maxEntries = 1024) {}

  get(digest: string): LayerFacts | undefined {
    const hit = this.entries.get(digest);
    if (hit) {
      this.entries.delete(digest);
      this.entries.set(digest, hit);
    }
    return hit;
  }

  set(digest: string, facts: LayerFacts): void {
    this.entries.delete(digest);
    this.entries.set(digest, facts);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
