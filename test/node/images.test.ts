// The images scripts/images/build.sh made (and the node runs) are the images
// Dockerfile.operator and Dockerfile.registry describe: the same entrypoint,
// command, user, working directory, environment and ports, the files each COPY
// puts in, on the distroless base's Node runtime, and nothing else (no shell, no
// package manager, no sources, no dev dependencies).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES_DIR, type BuiltImage } from '../harness/node/images.js';
import { REPO_ROOT } from '../harness/registry-process.js';
import { sharedNode } from '../harness/node/shared-node.js';
import { parseDockerfile, type DockerfileImage } from './support/dockerfile.js';

interface ImageConfig {
  User?: string;
  WorkingDir?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  ExposedPorts?: Record<string, unknown>;
}

const layout = join(IMAGES_DIR, 'oci');
const blob = (digest: string) => join(layout, 'blobs', ...digest.split(':'));

/** The config and every path (with its tar type) of an image in the build layout. */
function inspect(image: BuiltImage): { config: ImageConfig; files: Map<string, string> } {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  const ref = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === `${image.name}-${image.key}`);
  if (!ref) throw new Error(`${image.name}-${image.key} is not in ${layout}`);
  const manifest = JSON.parse(readFileSync(blob(ref.digest), 'utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
  const config = (JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as { config: ImageConfig }).config;
  const files = new Map<string, string>();
  for (const layer of manifest.layers) {
    const listing = execFileSync('tar', ['-tvzf', blob(layer.digest)], { encoding: 'utf8', maxBuffer: 256 << 20 });
    for (const line of listing.split('\n').filter(Boolean)) {
      const name = line.split(/\s+/).slice(5).join(' ').replace(/ -> .*$/, '');
      const path = '/' + name.replace(/^\.\//, '').replace(/\/$/, '');
      if (path !== '/' && path !== '/.') files.set(path, line[0]);
    }
  }
  return { config, files };
}

/** What the distroless Node base contributes: the runtime, its libraries, users, CA bundle, /tmp. */
const BASE = [/^\/nodejs(\/bin(\/node)?)?$/, /^\/lib(64)?(\/x86_64-linux-gnu)?(\/[^/]+\.so[.\d]*)?$/, /^\/lib64\/ld-linux-x86-64\.so\.2$/,
  /^\/etc(\/(passwd|group|ssl(\/certs(\/ca-certificates\.crt)?)?))?$/, /^\/tmp$/];

function underAny(path: string, roots: string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(`${r}/`) || r.startsWith(`${path}/`));
}

describe.each([
  ['operator', 'Dockerfile.operator'],
  ['registry', 'Dockerfile.registry'],
] as const)('the %s image and %s', (name, dockerfile) => {
  let image: { config: ImageConfig; files: Map<string, string> };
  let described: DockerfileImage;

  beforeAll(() => {
    image = inspect(sharedNode().images[name]);
    described = parseDockerfile(readFileSync(join(REPO_ROOT, dockerfile), 'utf8'));
  });

  it('agree on entrypoint, command, user, working directory, environment and ports', () => {
    expect(image.config.Entrypoint).toEqual(described.entrypoint);
    expect(image.config.Cmd ?? []).toEqual(described.cmd);
    expect(image.config.User).toBe(described.user);
    expect(image.config.WorkingDir).toBe(described.workdir);
    for (const env of described.env) expect(image.config.Env).toContain(env);
    expect(Object.keys(image.config.ExposedPorts ?? {}).sort()).toEqual(described.expose.map((p) => (p.includes('/') ? p : `${p}/tcp`)).sort());
  });

  it('hold every file the Dockerfile copies, and nothing but those and the Node runtime', () => {
    for (const dest of described.copies) expect(image.files.has(dest)).toBe(true);
    const strays = [...image.files.keys()].filter((p) => !underAny(p, described.copies) && !BASE.some((re) => re.test(p)));
    expect(strays).toEqual([]);
    expect(image.files.has('/bin/sh')).toBe(false);
    // The entrypoint exists (the registry's launcher names node by its absolute path).
    expect(image.files.get(described.entrypoint[0])).toBe('-');
    expect(image.files.get('/nodejs/bin/node')).toBe('-');
  });

  it('ship compiled output only for their own program, and production dependencies only', () => {
    const other = name === 'operator' ? '/app/dist/registry' : '/app/dist/operator';
    expect([...image.files.keys()].filter((p) => p.startsWith(other))).toEqual([]);
    expect([...image.files.keys()].filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts') && !p.startsWith('/app/node_modules/'))).toEqual([]);
    // Exactly the packages the lockfile's production tree has (dev-only ones such as jest and typescript are not).
    const production = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n')
      .filter((p) => p.startsWith(join(REPO_ROOT, 'node_modules') + '/')).map((p) => p.slice(join(REPO_ROOT, 'node_modules').length + 1))
      .filter((p) => !p.includes('/node_modules/'));
    const topLevel = (names: Iterable<string>) => new Set([...names].map((n) => n.split('/').slice(0, n.startsWith('@') ? 2 : 1).join('/')));
    const shipped = [...image.files.keys()].filter((p) => /^\/app\/node_modules\/(@[^/]+\/)?[^/@.][^/]*$/.test(p)).map((p) => p.slice('/app/node_modules/'.length));
    expect([...topLevel(shipped)].sort()).toEqual([...topLevel(production)].sort());
    for (const devOnly of ['jest', 'ts-jest', 'typescript', '@types/jest']) expect(shipped).not.toContain(devOnly);
  });

  it('carry better-sqlite3\'s native addon (the metadata index) and every library it loads', () => {
    const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    expect(image.files.get(`/app/${addon}`)).toBe('-');
    const libs = execFileSync('ldd', [join(REPO_ROOT, addon)], { encoding: 'utf8' }).split('\n')
      .map((l) => /=> (\/\S+)/.exec(l)?.[1] ?? /^\s*(\/\S+)/.exec(l)?.[1]).filter((l): l is string => l !== undefined);
    expect(libs.length).toBeGreaterThan(0);
    for (const lib of libs) expect([lib, image.files.get(lib)]).toEqual([lib, '-']);
  });
});

describe('the images the operator deploys', () => {
  it('MinIO, mc, PostgreSQL, CoreDNS, pause and the provider installer hold their programs (mc and PostgreSQL a shell for their scripts), nothing else', () => {
    const images = sharedNode().images;
    const only = (img: BuiltImage, extra: RegExp[]) => [...inspect(img).files.keys()].filter((p) => !BASE.some((re) => re.test(p)) && !extra.some((re) => re.test(p)));
    expect(only(images.minio, [/^\/usr(\/bin(\/minio)?)?$/])).toEqual([]);
    expect(only(images.mc, [/^\/usr(\/bin(\/mc)?)?$/, /^\/bin(\/(busybox|sh|sleep))?$/])).toEqual([]);
    expect(only(images.coredns, [/^\/coredns$/])).toEqual([]);
    expect([...inspect(images.pause).files.keys()]).toEqual(['/pause']);
    // The provider installer, as Dockerfile.credential-provider: FROM scratch, the binary, `install` by default.
    const provider = inspect(images['credential-provider']);
    expect([...provider.files.keys()]).toEqual(['/berth-credential-provider']);
    expect(provider.config).toMatchObject({ User: '0:0', Entrypoint: ['/berth-credential-provider'], Cmd: ['install', '/host/credential-providers'] });
    expect(inspect(images.minio).config.Entrypoint).toEqual(['/usr/bin/minio']);
    // PostgreSQL: Debian's server binaries and what they load, the official image's entrypoint contract, user 999.
    const pg = inspect(images.postgres);
    expect(pg.config).toMatchObject({ User: '999:999', Entrypoint: ['docker-entrypoint.sh'], Cmd: ['postgres'] });
    expect(only(images.postgres, [/^\/usr(\/(lib|share))?$/, /^\/usr\/lib\/postgresql(\/.*)?$/, /^\/usr\/share\/(postgresql|zoneinfo)(\/.*)?$/, /^\/usr\/lib\/x86_64-linux-gnu(\/[^/]+\.so[.\d]*)?$/,
      /^\/usr\/local(\/bin(\/docker-entrypoint\.sh)?)?$/, /^\/bin(\/(busybox|sh|mkdir|chmod|rm|cat|mktemp))?$/, /^\/var(\/(lib|run)(\/postgresql)?)?$/])).toEqual([]);
  });
});
