// Parses and validates a pushed manifest, and lists what it references so the
// manifest store can check that every referenced blob and manifest is present.
import { Code, RegistryError } from '../errors.js';
import { digestOf, parseDigest, type Digest } from '../reference.js';
import { parseBoundedJson } from './bounded-json.js';
import { IMAGE_MANIFESTS, INDEXES, MediaType, isNonDistributable } from './media-types.js';

/** An OCI descriptor; `P` narrows the platform where a reader has checked its shape. */
export interface Descriptor<P = unknown> {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
  readonly urls?: string[];
  readonly data?: string;
  readonly platform?: P;
}

export interface ParsedManifest {
  readonly mediaType: string;
  /** Blobs that must be in the repository (config and distributable layers). */
  readonly blobs: Digest[];
  /** Manifests that must be in the repository (index children). */
  readonly manifests: Digest[];
  readonly subject?: Digest;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

function invalid(reason: string): RegistryError {
  return new RegistryError(Code.MANIFEST_INVALID, { reason });
}

function checkDescriptor(value: unknown, where: string): Descriptor & { parsed: Digest } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${where}: not a descriptor`);
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw invalid(`${where}.mediaType: required string`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${where}.size: required non-negative integer`);
  if (typeof d.digest !== 'string') throw invalid(`${where}.digest: required string`);
  const parsed = parseDigest(d.digest);
  if (!parsed) throw new RegistryError(Code.DIGEST_INVALID, { reason: `${where}.digest: malformed or unsupported`, digest: d.digest });
  if (d.data !== undefined) {
    if (typeof d.data !== 'string') throw invalid(`${where}.data: must be base64`);
    const bytes = Buffer.from(d.data, 'base64');
    if (bytes.length !== d.size || digestOf(bytes, parsed.algorithm).hex !== parsed.hex) {
      throw invalid(`${where}.data: does not match digest and size`);
    }
  }
  return { ...(d as unknown as Descriptor), parsed };
}

function checkDescriptors(value: unknown, where: string, required: boolean) {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value)) throw invalid(`${where}: required array`);
  return value.map((v, i) => checkDescriptor(v, `${where}[${i}]`));
}

/** Validates `body` pushed with `contentType`; returns its media type and references. */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  const doc = parseBoundedJson(body) as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('body is not a JSON object');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const header = contentType?.split(';')[0].trim() || undefined;
  if (declared && header && declared !== header) throw invalid(`mediaType ${declared} does not match Content-Type ${header}`);
  const mediaType = declared ?? header ?? guessMediaType(doc);
  if (mediaType === MediaType.DOCKER_SCHEMA1 || mediaType === MediaType.DOCKER_SCHEMA1_SIGNED) {
    throw invalid('Docker schema 1 manifests are not supported');
  }
  const subject = doc.subject === undefined ? undefined : checkDescriptor(doc.subject, 'subject').parsed;
  const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : undefined;
  const annotations = isStringRecord(doc.annotations) ? doc.annotations : undefined;
  if (IMAGE_MANIFESTS.has(mediaType)) {
    if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
    const config = checkDescriptor(doc.config, 'config');
    const layers = checkDescriptors(doc.layers, 'layers', mediaType === MediaType.DOCKER_MANIFEST);
    const blobs = unique([config, ...layers.filter((l) => !(isNonDistributable(l.mediaType) && l.urls?.length))].map((d) => d.parsed));
    return { mediaType, blobs, manifests: [], subject, artifactType: artifactType ?? config.mediaType, annotations };
  }
  if (INDEXES.has(mediaType)) {
    if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
    const children = checkDescriptors(doc.manifests, 'manifests', true);
    return { mediaType, blobs: [], manifests: unique(children.map((c) => c.parsed)), subject, artifactType, annotations };
  }
  // Other JSON documents (e.g. older artifact manifests) are stored as they are.
  return { mediaType, blobs: [], manifests: [], subject, artifactType, annotations };
}

/** Each digest once: a manifest may name one blob many times, the store checks it once. */
function unique(digests: Digest[]): Digest[] {
  const seen = new Map(digests.map((d) => [d.value, d]));
  return [...seen.values()];
}

function guessMediaType(doc: Record<string, unknown>): string {
  if (Array.isArray(doc.manifests)) return MediaType.OCI_INDEX;
  if (doc.config !== undefined) return MediaType.OCI_MANIFEST;
  if (doc.schemaVersion === 1) return MediaType.DOCKER_SCHEMA1;
  throw invalid('cannot determine the manifest media type: set Content-Type or mediaType');
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}
