// The registry's own view of its memory, read from its /metrics (prom-client's
// default gauges): V8 heap used and reserved, and memory held outside the heap
// (Buffers, ArrayBuffers). With RSS, they say where resident memory is: RSS well
// above heapTotal + external is native memory (the allocator, SQLite, worker threads).
export interface HeapFigures {
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
}

const GAUGES = {
  heapUsedMiB: 'nodejs_heap_size_used_bytes',
  heapTotalMiB: 'nodejs_heap_size_total_bytes',
  externalMiB: 'nodejs_external_memory_bytes',
} as const;

/** The figures from a /metrics text; a gauge that is missing reads as NaN. */
export function parseHeapFigures(text: string): HeapFigures {
  const read = (gauge: string) => {
    const m = new RegExp(`^\\w*${gauge} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) / (1024 * 1024) : Number.NaN;
  };
  return {
    heapUsedMiB: read(GAUGES.heapUsedMiB),
    heapTotalMiB: read(GAUGES.heapTotalMiB),
    externalMiB: read(GAUGES.externalMiB),
  };
}

export async function readHeapFigures(registryUrl: string): Promise<HeapFigures> {
  const res = await fetch(`${registryUrl}/metrics`, { signal: AbortSignal.timeout(30_000) });
  return parseHeapFigures(await res.text());
}

export const formatHeapFigures = (h: HeapFigures): string =>
  `heap ${h.heapUsedMiB.toFixed(1)}/${h.heapTotalMiB.toFixed(1)} MiB, external ${h.externalMiB.toFixed(1)} MiB`;
