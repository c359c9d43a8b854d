// The images the node runs, built by scripts/images/build.sh (no Docker) and
// imported into the node's containerd. Each is imported under its build name
// (berth.local/NAME:KEY, what tests put into chart values and Registry specs);
// the operator and registry images are also tagged with the names the chart and
// the CRD default to, so the README's commands run unchanged, as they would
// after `kind load`.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../registry-process.js';
import { CACHE_DIR } from '../tools.js';
import { importImage, type Containerd } from './containerd.js';

const execFileAsync = promisify(execFile);

export const IMAGE_NAMES = ['operator', 'registry', 'minio', 'mc', 'postgres', 'coredns', 'pause', 'busybox', 'credential-provider'] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

export interface BuiltImage {
  name: ImageName;
  /** berth.local/NAME:KEY */
  ref: string;
  key: string;
  cached: boolean;
  buildSeconds: number;
  layers: number;
  compressedBytes: number;
  unpackedBytes: number;
  archive: string;
  /** Every name the node's containerd knows it by. */
  names: string[];
}

export type ImageSet = Record<ImageName, BuiltImage>;

export const IMAGES_DIR = join(CACHE_DIR, 'images');
export const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'images', 'build.sh');

/** The names the chart (image.repository, tag "" → v<appVersion>) and the CRD (spec.image) default to. */
export function defaultImageNames(): Partial<Record<ImageName, string>> {
  const chart = yaml.load(readFileSync(join(REPO_ROOT, 'charts', 'berth', 'Chart.yaml'), 'utf8')) as { appVersion: string };
  const values = yaml.load(readFileSync(join(REPO_ROOT, 'charts', 'berth', 'values.yaml'), 'utf8')) as { image: { repository: string } };
  return {
    operator: `${values.image.repository}:v${chart.appVersion}`,
    registry: `${values.image.repository.replace(/berth-operator$/, 'berth-registry')}:v${chart.appVersion}`,
  };
}

/** Runs the build script (a no-op for images whose inputs did not change) and reads what it made. */
export async function buildImages(log: (m: string) => void = () => {}): Promise<ImageSet> {
  const { stderr } = await execFileAsync('bash', [BUILD_SCRIPT, ...IMAGE_NAMES], { timeout: 15 * 60_000, maxBuffer: 16 << 20 });
  for (const line of stderr.split('\n').filter((l) => l.startsWith('[images]'))) log(line);
  const defaults = defaultImageNames();
  const set = {} as ImageSet;
  for (const name of IMAGE_NAMES) {
    const built = JSON.parse(readFileSync(join(IMAGES_DIR, `${name}.json`), 'utf8')) as Omit<BuiltImage, 'archive' | 'names'>;
    const extra = defaults[name];
    set[name] = { ...built, archive: join(IMAGES_DIR, `${name}.tar`), names: [built.ref, ...(extra ? [extra] : [])] };
  }
  return set;
}

export async function importImages(c: Containerd, images: ImageSet): Promise<void> {
  for (const image of Object.values(images)) await importImage(c, image.archive, image.ref, image.names.slice(1));
}
