// Stacks layer facts bottom to top, as a container runtime would unpack them:
// an opaque directory or a whiteout in layer N hides what layers below N put
// there, and a file in layer N replaces the same path below.
import type { GoBuildInfo } from './go-buildinfo.js';
import type { LayerFacts } from './layer-facts.js';

export interface MergedFile<T> {
  readonly value: T;
  /** Digest of the layer the file came from. */
  readonly layer: string;
}

export interface MergedView {
  readonly files: Map<string, MergedFile<string>>;
  readonly goBinaries: Map<string, MergedFile<GoBuildInfo>>;
}

function hide<T>(map: Map<string, T>, path: string, wholeTree: boolean): void {
  if (!wholeTree) map.delete(path);
  const prefix = path === '' ? '' : `${path}/`;
  for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key);
}

export function mergeLayers(layers: readonly LayerFacts[]): MergedView {
  const files = new Map<string, MergedFile<string>>();
  const go = new Map<string, MergedFile<GoBuildInfo | null>>();
  for (const layer of layers) {
    for (const dir of layer.opaqueDirs) {
      hide(files, dir, true);
      hide(go, dir, true);
    }
    for (const path of layer.whiteouts) {
      hide(files, path, false);
      hide(go, path, false);
    }
    for (const [path, value] of Object.entries(layer.files)) files.set(path, { value, layer: layer.digest });
    for (const [path, value] of Object.entries(layer.goBinaries)) go.set(path, { value, layer: layer.digest });
  }
  const goBinaries = new Map<string, MergedFile<GoBuildInfo>>();
  for (const [path, f] of go) if (f.value) goBinaries.set(path, { value: f.value, layer: f.layer });
  return { files, goBinaries };
}
