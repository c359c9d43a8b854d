// The only module that knows the storage key layout:
//
//   /
//   ├── blobs/<alg>/<hex[0:2]>/<hex>              content of every blob and manifest, by digest
//   ├── repositories/<name...>/                   one folder per repository (names may nest)
//   │   ├── _layers/<alg>/<hex>                   link: the blob belongs to this repository
//   │   ├── _manifests/<alg>/<hex>                link: manifest metadata (media type, subject)
//   │   ├── _tags/<tag>                           the digest the tag points to
//   │   └── _referrers/                          written by earlier versions; unread, removed with the repository
//   ├── _uploads/<id>/{info,data}                 in-progress uploads (state survives restarts)
//   └── _gc/                                      online garbage collection (gc/collector.ts)
//       ├── lock                                  lease: the one replica running GC ({owner, expiresAt})
//       ├── touched/<alg>/<hex>                   "last referenced" marker written before a reference commits
//       └── quarantine/<alg>-<hex>                a blob moved aside while the sweeper re-checks its marker
//
// Repository name components start with [a-z0-9], so "_"-prefixed folders can never
// collide with a nested repository name.
import type { Digest } from '../reference.js';

const REPOS = '/repositories';

export const paths = {
  blobsRoot: () => '/blobs',
  blob: (d: Digest) => `/blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}`,
  repositoriesRoot: () => REPOS,
  repository: (repo: string) => `${REPOS}/${repo}`,
  layerLink: (repo: string, d: Digest) => `${REPOS}/${repo}/_layers/${d.algorithm}/${d.hex}`,
  layersRoot: (repo: string) => `${REPOS}/${repo}/_layers`,
  manifestLink: (repo: string, d: Digest) => `${REPOS}/${repo}/_manifests/${d.algorithm}/${d.hex}`,
  manifestsRoot: (repo: string) => `${REPOS}/${repo}/_manifests`,
  tag: (repo: string, tag: string) => `${REPOS}/${repo}/_tags/${tag}`,
  tagsRoot: (repo: string) => `${REPOS}/${repo}/_tags`,
  referrersRoot: (repo: string) => `${REPOS}/${repo}/_referrers`,
  uploadsRoot: () => '/_uploads',
  upload: (id: string) => `/_uploads/${id}`,
  uploadInfo: (id: string) => `/_uploads/${id}/info`,
  uploadData: (id: string) => `/_uploads/${id}/data`,
  gcLock: () => '/_gc/lock',
  gcTouched: (d: Digest) => `/_gc/touched/${d.algorithm}/${d.hex}`,
  gcQuarantineRoot: () => '/_gc/quarantine',
  gcQuarantine: (d: Digest) => `/_gc/quarantine/${d.algorithm}-${d.hex}`,
};

/** The last path component. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Marker folders inside a repository folder; a folder holding one of these is a repository. */
export const REPOSITORY_MARKERS = ['_manifests', '_layers', '_tags'];
