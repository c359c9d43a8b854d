// The signature matrix with the real cosign against a real Berth registry:
// three formats (.sig tag with simple signing, OCI 1.1 referrer, sigstore bundle
// v0.3 DSSE) × {good, wrong key, tampered, replayed onto another digest}, plus
// an unsigned image and a child of a signed index. Tampered and replayed
// signatures start as real cosign output, then are altered or moved the way an
// attacker with push access would.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyAuthority } from '../../../registry/src/security/signatures/authority.js';
import { trustedKey } from '../../../registry/src/security/signatures/keys.js';
import { signatureTag } from '../../../registry/src/security/signatures/discovery.js';
import { parseManifest, type ManifestJson } from '../../../registry/src/security/signatures/repository.js';
import { verifySignatures, type VerificationResult } from '../../../registry/src/security/signatures/verifier.js';
import { OciLayout } from '../../harness/oci-layout.js';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { RegistryRepository, sha256 } from '../../harness/registry-http.js';
import { run, runOk } from '../../harness/tools.js';

type Format = 'cosign-tag' | 'cosign-referrer' | 'sigstore-bundle';
type Case = 'good' | 'wrong key' | 'tampered' | 'replayed';
const FORMATS: Format[] = ['cosign-tag', 'cosign-referrer', 'sigstore-bundle'];
const CASES: Case[] = ['good', 'wrong key', 'tampered', 'replayed'];

const SIGN: Record<Format, { args: string[]; env: NodeJS.ProcessEnv }> = {
  'cosign-tag': { args: [], env: {} },
  'cosign-referrer': { args: ['--registry-referrers-mode=oci-1-1'], env: { COSIGN_EXPERIMENTAL: '1' } },
  'sigstore-bundle': { args: ['--new-bundle-format=true', '--use-signing-config=false'], env: {} },
};
const INSECURE = ['--allow-http-registry=true', '--allow-insecure-registry=true'];

let registry: RegistryProcess;
let work: string;
let env: NodeJS.ProcessEnv;
let authority: KeyAuthority;
const matrix: string[] = [];

interface LocalImage {
  readonly dir: string;
  readonly digest: string;
}

async function makeImage(seed: string): Promise<LocalImage> {
  const dir = join(work, `img-${seed}`);
  const layout = new OciLayout(dir);
  const top = layout.image({ layers: 1, layerSize: 512 });
  await layout.write(top, 'v1');
  return { dir, digest: top.digest };
}

async function push(image: LocalImage, repo: string, tag: string): Promise<string> {
  await runOk('crane', ['push', '--insecure', image.dir, `${registry.host}/${repo}:${tag}`], { env });
  return image.digest;
}

async function pushImage(repo: string, seed: string): Promise<string> {
  return push(await makeImage(seed), repo, seed);
}

async function cosignSign(format: Format, key: 'trusted' | 'other', repo: string, digest: string): Promise<void> {
  await runOk('cosign', ['sign', '--key', join(work, key, 'cosign.key'), '--tlog-upload=false', '-y', ...INSECURE, ...SIGN[format].args, `${registry.host}/${repo}@${digest}`],
    { env: { ...env, ...SIGN[format].env }, cwd: work });
}

/** The signature manifests cosign attached to `digest` in `repo`, by format. */
async function signatureManifests(repo: RegistryRepository, format: Format, digest: string): Promise<{ digest: string; json: ManifestJson }[]> {
  if (format === 'cosign-tag') {
    const m = await repo.getManifest(signatureTag(digest));
    return m ? [{ digest: m.digest, json: parseManifest(m) }] : [];
  }
  const out = [];
  for (const d of await repo.listReferrers(digest)) {
    const m = (await repo.getManifest(d.digest))!;
    out.push({ digest: m.digest, json: parseManifest(m) });
  }
  return out;
}

/** Changes what was signed while keeping the signature: one field of the signed payload. */
function tamper(format: Format, blob: Buffer): Buffer {
  if (format !== 'sigstore-bundle') {
    const payload = JSON.parse(blob.toString());
    return Buffer.from(JSON.stringify({ ...payload, optional: { ...payload.optional, note: 'tampered' } }));
  }
  const bundle = JSON.parse(blob.toString());
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
  statement.predicate = { ...statement.predicate, note: 'tampered' };
  bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  return Buffer.from(JSON.stringify(bundle));
}

/**
 * Copies the signature artifacts of `from` in `src` onto `to` in `dst`, optionally
 * tampering with each signed layer: what someone with push access could do.
 */
async function copySignatures(format: Format, src: RegistryRepository, from: string, dst: RegistryRepository, to: string, tampered: boolean): Promise<void> {
  const target = (await dst.getManifest(to))!;
  for (const sig of await signatureManifests(src, format, from)) {
    const m = structuredClone(sig.json) as ManifestJson & { layers: { digest: string; size: number }[]; subject?: object };
    await dst.putBlob(await src.getBlob(m.config!.digest));
    for (const layer of m.layers) {
      let blob = await src.getBlob(layer.digest);
      if (tampered) blob = tamper(format, blob);
      layer.digest = await dst.putBlob(blob);
      layer.size = blob.length;
    }
    if (m.subject) m.subject = { mediaType: target.mediaType, digest: to, size: target.bytes.length };
    const bytes = Buffer.from(JSON.stringify(m));
    await dst.putManifest(format === 'cosign-tag' ? signatureTag(to) : sha256(bytes), bytes, m.mediaType!);
  }
}

beforeAll(async () => {
  registry = await startRegistryProcess({ config: { log: { accessLog: false } } });
  work = await mkdtemp(join(tmpdir(), 'berth-sigs-'));
  env = { HOME: work, DOCKER_CONFIG: join(work, 'docker'), COSIGN_PASSWORD: '', SIGSTORE_NO_CACHE: '1', TUF_ROOT: join(work, 'tuf') };
  for (const k of ['trusted', 'other']) {
    await mkdir(join(work, k), { recursive: true });
    await runOk('cosign', ['generate-key-pair'], { env, cwd: join(work, k) });
  }
  await writeFile(join(work, 'trusted_root.json'), JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] }));
  authority = new KeyAuthority([trustedKey('release', await readFile(join(work, 'trusted', 'cosign.pub')))]);
});

afterAll(async () => {
  if (matrix.length) process.stdout.write(`\nsignature matrix (cosign v2.6.4 → Berth verifier):\n${matrix.join('\n')}\n`);
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function row(label: string, expected: boolean, r: VerificationResult): void {
  const reasons = [...new Set(r.evidence.map((e) => e.reason))].join('; ') || 'no signature found';
  matrix.push(`${label.padEnd(30)} expected ${expected ? 'signed  ' : 'unsigned'}  got ${r.signed ? 'signed  ' : 'unsigned'}  ${r.signed === expected ? 'OK ' : 'BAD'}  ${reasons}`);
}

describe.each(FORMATS)('%s', (format) => {
  const repoName = `sig/${format}`;
  const scratchName = `sig/scratch-${format}`;

  it.each(CASES)('%s', async (kind) => {
    const repo = new RegistryRepository(registry.url, repoName);
    const seed = `${format}-${kind.replace(' ', '-')}`;
    const image = await makeImage(seed);
    const subject = await push(image, repoName, seed);
    if (kind === 'good') await cosignSign(format, 'trusted', repoName, subject);
    if (kind === 'wrong key') await cosignSign(format, 'other', repoName, subject);
    if (kind === 'tampered') {
      // Signed for real (same digest, another repository), then altered on the way in.
      await push(image, scratchName, seed);
      await cosignSign(format, 'trusted', scratchName, subject);
      await copySignatures(format, new RegistryRepository(registry.url, scratchName), subject, repo, subject, true);
    }
    if (kind === 'replayed') {
      const other = await pushImage(scratchName, `${seed}-source`);
      await cosignSign(format, 'trusted', scratchName, other);
      await copySignatures(format, new RegistryRepository(registry.url, scratchName), other, repo, subject, false);
    }
    const result = await verifySignatures(repo, subject, { authority });
    const expected = kind === 'good';
    row(`${format} ${kind}`, expected, result);
    expect(result.signed).toBe(expected);
    if (kind !== 'good') expect(result.evidence.length).toBeGreaterThan(0);
    if (kind === 'wrong key' || kind === 'tampered') expect(result.evidence.every((e) => e.reason === 'no trusted key verifies the signature')).toBe(true);
    if (kind === 'replayed') expect(result.evidence.every((e) => e.identity === 'release' && e.reason.startsWith('signed payload names sha256:'))).toBe(true);
    if (kind === 'good') {
      // cosign's own verification agrees that the signature is real.
      const verify = await run('cosign', ['verify', '--key', join(work, 'trusted', 'cosign.pub'), '--insecure-ignore-tlog=true', ...INSECURE,
        // cosign will not read a bundle without a trusted root; an empty one (no logs, no CAs) keeps it offline.
        ...(format === 'sigstore-bundle' ? ['--new-bundle-format=true', '--trusted-root', join(work, 'trusted_root.json')] : []), ...(format === 'cosign-referrer' ? ['--experimental-oci11=true'] : []), `${registry.host}/${repoName}@${subject}`],
      { env: { ...env, ...SIGN[format].env }, cwd: work });
      expect({ code: verify.code, stderr: verify.code ? verify.stderr : "" }).toEqual({ code: 0, stderr: "" });
    }
  });
});

describe('beyond the formats', () => {
  it('an unsigned image is not signed', async () => {
    const repo = new RegistryRepository(registry.url, 'sig/plain');
    const d = await pushImage('sig/plain', 'unsigned');
    const r = await verifySignatures(repo, d, { authority });
    row('unsigned', false, r);
    expect([r.signed, r.evidence]).toEqual([false, []]);
  });

  it('a child manifest is signed when an index in the repository that lists it is signed', async () => {
    const dir = join(work, 'multi');
    const layout = new OciLayout(dir);
    const amd = layout.image({ layers: 1, layerSize: 256, architecture: 'amd64' });
    const arm = layout.image({ layers: 1, layerSize: 256, architecture: 'arm64' });
    const index = layout.index([amd, arm]);
    await layout.write(index, 'multi');
    await runOk('crane', ['push', '--insecure', dir, `${registry.host}/sig/multi:v1`], { env });
    await cosignSign('cosign-tag', 'trusted', 'sig/multi', index.digest);
    const repo = new RegistryRepository(registry.url, 'sig/multi');
    const r = await verifySignatures(repo, arm.digest, { authority });
    row('index-signed child', true, r);
    expect([r.signed, r.evidence.filter((e) => e.verified).map((e) => e.signedDigest)]).toEqual([true, [index.digest]]);
  });
});
