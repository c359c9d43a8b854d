// V8 heap flags the server sets at run time, before it loads anything else. V8 reads
// both whenever it uses them, so setting them at start-up works like command-line
// flags in every launcher (npm start, the image's one-flag shebang, the tests).
//
// Old-generation growth. By default the factor adapts up to 4×: under a steady
// request rate the registry's ~25-30 MiB of live objects let the heap reach ~100 MiB
// before each collection, and the pages stay committed, so resident memory swung by
// 50-100 MiB with the moment it was read (docs/BENCHMARKS.md, "Soak"). Request
// objects outlive the small young generation (--max-semi-space-size=4) and are
// promoted, so the old generation fills with garbage quickly. 1.5× bounds it at a
// cost of more frequent, short full collections of a small live set.
//
// Allocation-site pretenuring. When most objects from one allocation site survive a
// scavenge, V8 decides to allocate that site's objects straight in the old
// generation, and keeps the decision. Uploads and manifest PUTs hold their request
// objects across scavenges while they wait on storage; the code that made them also
// serves every HEAD and GET, whose objects then went to the old generation too and
// died there: after 1,200 PUTs a blob HEAD cost 52-71 µs of CPU instead of 32, in
// scavenges that copied ~1 MB each and a full collection every ~160 ms
// (docs/BENCHMARKS.md, "Requests after PUTs: pretenuring").
import { setFlagsFromString } from 'node:v8';

/** The old generation grows to at most 1.5× what survived. */
export const HEAP_GROWTH_FLAG = '--heap-growing-percent=50';
/** No allocation site is ever allocated straight into the old generation. */
export const NO_PRETENURING_FLAG = '--no-allocation-site-pretenuring';

export const HEAP_FLAGS = [HEAP_GROWTH_FLAG, NO_PRETENURING_FLAG] as const;

/** Applies the flags to this process. */
export function tuneHeap(): void {
  for (const flag of HEAP_FLAGS) setFlagsFromString(flag);
}
