// S3's multipart limits and the server-side copy built on them. One CopyObject is
// capped at 5 GiB and one upload at 10,000 parts; every part but the last must be
// at least 5 MiB. The limits are options so tests can exercise the >5 GiB and
// >10,000-part paths with small objects.
import type { S3Bucket } from './s3-bucket.js';

export interface MultipartLimits {
  /** Smallest part S3 accepts (all but the last part). */
  readonly minPartBytes: number;
  /** Size of the parts a writer uploads as data streams in (bounds its memory). */
  readonly partBytes: number;
  /** Most parts in one multipart upload. */
  readonly maxParts: number;
  /** Largest range one UploadPartCopy may copy. */
  readonly maxCopyPartBytes: number;
  /** Largest object one CopyObject may copy; bigger ones are copied part by part. */
  readonly maxCopyObjectBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const S3_LIMITS: MultipartLimits = {
  minPartBytes: 5 * MiB,
  partBytes: 16 * MiB,
  maxParts: 10_000,
  maxCopyPartBytes: 5 * GiB,
  maxCopyObjectBytes: 5 * GiB,
};

export function checkLimits(l: MultipartLimits): void {
  if (l.partBytes < l.minPartBytes) throw new Error(`part size ${l.partBytes} is below the ${l.minPartBytes}-byte minimum`);
  // Splitting an object into ranges of at most maxCopyPartBytes yields ranges of at
  // least half that; they must still be valid (non-last) parts.
  if (l.maxCopyPartBytes < 2 * l.minPartBytes) throw new Error('maxCopyPartBytes must be at least twice minPartBytes');
  if (l.maxParts < 3) throw new Error('maxParts must be at least 3');
}

export interface PartRecord {
  readonly part: number;
  readonly etag: string;
  readonly size: number;
}

/** Splits `size` bytes into the fewest equal ranges of at most `max` bytes: [start, end] inclusive. */
export function copyRanges(size: number, max: number): Array<[number, number]> {
  const count = Math.max(1, Math.ceil(size / max));
  const each = Math.ceil(size / count);
  const ranges: Array<[number, number]> = [];
  for (let start = 0; start < size; start += each) ranges.push([start, Math.min(size, start + each) - 1]);
  return ranges;
}

/**
 * Adds `sourceKey` (of `size` bytes) to an open multipart upload as parts
 * `firstPart`, `firstPart + 1`, ... by UploadPartCopy, so no byte passes
 * through the registry.
 */
export async function copyIntoUpload(
  s3: S3Bucket, path: string, sourceKey: string, size: number,
  key: string, uploadId: string, firstPart: number, limits: MultipartLimits,
): Promise<PartRecord[]> {
  const ranges = copyRanges(size, limits.maxCopyPartBytes);
  if (firstPart - 1 + ranges.length >= limits.maxParts) {
    throw new Error(`${size} bytes need ${ranges.length} copy parts, more than one multipart upload holds`);
  }
  const parts: PartRecord[] = [];
  for (const [i, [start, end]] of ranges.entries()) {
    const done = await s3.copyPart(path, key, uploadId, firstPart + i, sourceKey, start, end);
    parts.push({ part: done.part, etag: done.etag, size: end - start + 1 });
  }
  return parts;
}

/** Copies an object of any size: CopyObject up to the limit, multipart copy above it. */
export async function copyObject(
  s3: S3Bucket, path: string, sourceKey: string, size: number, destinationKey: string, limits: MultipartLimits,
): Promise<void> {
  if (size <= limits.maxCopyObjectBytes) {
    await s3.copy(path, sourceKey, destinationKey);
    return;
  }
  const uploadId = await s3.initiate(path, destinationKey);
  try {
    const parts = await copyIntoUpload(s3, path, sourceKey, size, destinationKey, uploadId, 1, limits);
    await s3.complete(path, destinationKey, uploadId, parts);
  } catch (err) {
    await s3.abort(path, destinationKey, uploadId).catch(() => undefined);
    throw err;
  }
}
