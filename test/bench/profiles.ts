// Workload sizes: the full profile (the published figures: about 18 minutes, plus about
// 23 for the metadata section on S3) and --quick (a fast check of the same code paths).
import type { BlobCase } from './blobs.js';
import { MiB } from './results.js';

export interface Profile {
  readonly name: 'full' | 'quick';
  readonly limitBytes: number;
  readonly bigBlob: number;
  readonly bigBlobRepetitions: number;
  readonly blobCases: readonly BlobCase[];
  readonly blobRepetitions: number;
  readonly requestSeconds: number;
  readonly requestRepetitions: number;
  readonly tags: number;
  readonly repos: number;
  readonly listingSeconds: number;
  readonly imageBytes: number;
  readonly imageLayers: number;
  readonly imageRepetitions: number;
  /** GC workload: repositories x images (two blobs each). */
  readonly gcRepos: number;
  readonly gcImages: number;
  /** Metadata section on S3: tags of the large repository, repositories in the catalog, cross-replica rounds. */
  readonly metadataTags: number;
  readonly metadataRepos: number;
  readonly stalenessRounds: number;
}

function cases(table: [number, number, number][]): BlobCase[] {
  const out: BlobCase[] = [];
  for (const mode of ['monolithic', 'chunked'] as const) {
    for (const [size, concurrency, count] of table) out.push({ size, concurrency, count, mode });
  }
  return out;
}

export const FULL: Profile = {
  name: 'full',
  limitBytes: 1024 * MiB,
  bigBlob: 512 * MiB,
  bigBlobRepetitions: 3,
  blobCases: cases([
    [MiB, 1, 100], [MiB, 10, 300],
    [10 * MiB, 1, 20], [10 * MiB, 10, 60],
    [100 * MiB, 1, 4], [100 * MiB, 10, 10],
  ]),
  blobRepetitions: 1,
  requestSeconds: 5,
  requestRepetitions: 2,
  tags: 10_000,
  repos: 1_000,
  listingSeconds: 5,
  imageBytes: 1024 * MiB,
  imageLayers: 8,
  imageRepetitions: 2,
  gcRepos: 50,
  gcImages: 100,
  metadataTags: 10_000,
  metadataRepos: 10_000,
  stalenessRounds: 100,
};

export const QUICK: Profile = {
  name: 'quick',
  limitBytes: 256 * MiB,
  bigBlob: 128 * MiB,
  bigBlobRepetitions: 1,
  blobCases: cases([[MiB, 1, 20], [MiB, 10, 50], [10 * MiB, 10, 20], [100 * MiB, 1, 2]]),
  blobRepetitions: 1,
  requestSeconds: 2,
  requestRepetitions: 1,
  tags: 1_000,
  repos: 100,
  listingSeconds: 2,
  imageBytes: 256 * MiB,
  imageLayers: 4,
  imageRepetitions: 1,
  gcRepos: 10,
  gcImages: 50,
  metadataTags: 1_000,
  metadataRepos: 1_000,
  stalenessRounds: 20,
};
