// How far V8 lets the old generation grow past what survived the last full
// collection before it collects again. By default the factor adapts up to 4×:
// under a steady request rate the registry's ~25-30 MiB of live objects let the
// heap reach ~100 MiB before each collection, and the pages stay committed, so
// resident memory swung by 50-100 MiB with the moment it was read (docs/BENCHMARKS.md,
// "Soak"). Request objects outlive the small young generation
// (--max-semi-space-size=4) and are promoted, so the old generation fills with
// garbage quickly. 1.5× bounds it at a cost of more frequent, short full
// collections of a small live set.
import { setFlagsFromString } from 'node:v8';

/** The V8 flag, set at run time: the old generation grows to at most 1.5× what survived. */
export const HEAP_GROWTH_FLAG = '--heap-growing-percent=50';

/**
 * Applies the bound to this process. V8 reads the factor whenever it sets the next
 * limit, so a flag set at start-up (before the server loads) works like a command-line
 * flag, in every launcher (npm start, the image's one-flag shebang, the tests).
 */
export function boundHeapGrowth(): void {
  setFlagsFromString(HEAP_GROWTH_FLAG);
}
