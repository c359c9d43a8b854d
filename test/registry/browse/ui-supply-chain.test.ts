// The UI's supply-chain badges in a real browser, from results Berth stored for
// pushes by real clients (client-seed.ts: crane, oras, cosign, scanning with an
// OSV database fixture): the vulnerable image is signed and shows its advisory
// with severity and fixed version, the fixed one shows no known vulnerability
// and no signature, and the same digest copied to another repository, where it
// is not signed, is shown unsigned there with one verdict per key set; cosign's
// signature manifest is shown as not applicable to scanning, with no SBOM of its own.
import { rm } from 'node:fs/promises';
import { ADMIN, basic } from '../auth/fixtures.js';
import { BrowserRun, shot } from './browser.js';
import { ADVISORY, COPY, REPO, startClientSeededRegistry, type ClientSeeded } from './client-seed.js';

let s: ClientSeeded;
let browser: BrowserRun;

const shortDigest = (d: string) => `sha256:${d.slice(7, 19)}`;
const cosignTag = (d: string) => `sha256-${d.slice(7)}.sig`;

async function stored(path: string): Promise<any> {
  const res = await fetch(`${s.reg.url}${path}`, { headers: { Authorization: basic(ADMIN.username, ADMIN.password) } });
  expect(res.status).toBe(200);
  return res.json();
}

beforeAll(async () => {
  s = await startClientSeededRegistry();
  browser = await BrowserRun.launch(s.reg.url);
}, 300_000);

afterAll(async () => {
  await browser?.stop();
  await s?.reg.stop();
  if (s) await rm(s.ws.dir, { recursive: true, force: true });
}, 60_000);

test('the tags table: signed and vulnerable badges from the stored verdict and scan; the cosign signature tag as an accessory', async () => {
  // What Berth stored, as its own APIs report it.
  expect((await stored(`/v2/${REPO}/_berth/vulnerabilities/${s.vulnerable}`)).vulnerabilities.map((v: any) => v.id)).toEqual([ADVISORY.id]);
  expect((await stored(`/v2/${REPO}/_berth/vulnerabilities/${s.fixed}`)).vulnerabilities).toEqual([]);
  expect(await stored(`/v2/${REPO}/_berth/signatures/${s.vulnerable}`)).toMatchObject({ signed: true });
  expect(await stored(`/v2/${REPO}/_berth/signatures/${s.fixed}`)).toMatchObject({ signed: false });

  const t = await browser.session(ADMIN);
  await t.page.goto(`${s.reg.url}/ui/#/r/${REPO}`);
  const vulnerable = t.page.locator('tr[data-tag="1.0"]');
  await vulnerable.waitFor();
  expect(await vulnerable.locator('.badge').allTextContents()).toEqual(expect.arrayContaining(['signed', 'SBOM', '1 vulns (Critical)']));
  expect(await vulnerable.locator('.badge-ok').getAttribute('title')).toBe('release');
  const fixed = t.page.locator('tr[data-tag="1.1"]');
  const fixedBadges = await fixed.locator('.badge').allTextContents();
  expect(fixedBadges).toContain('no known vulns');
  expect(fixedBadges).not.toContain('signed');
  const signatureTag = t.page.locator(`tr[data-tag="${cosignTag(s.vulnerable)}"]`);
  await signatureTag.waitFor();
  // cosign's signature config names no platform and Go's zero time; an accessory has no badges of its own.
  expect(await signatureTag.locator('.chip').count()).toBe(0);
  expect(await signatureTag.locator('.badge').allTextContents()).toEqual(['cosign signature']);
  expect(await vulnerable.getByTestId('image-size').textContent()).toMatch(/\d+(\.\d)? (B|KiB)$/);
  await shot(t.page, 'repository-supply-chain');
  await browser.close(t);
});

test('the artifact page: the advisory with severity, installed and fixed versions; one verified verdict; the SBOM oras attached and the cosign tag as referrers', async () => {
  const t = await browser.session(ADMIN);
  await t.page.goto(`${s.reg.url}/ui/#/r/${REPO}/-/a/${s.vulnerable}`);
  const table = t.page.getByTestId('vulnerabilities');
  await table.waitFor();
  expect(await table.locator('tbody tr td').allTextContents()).toEqual([ADVISORY.id, 'Critical', 'busybox', '1.36.1-r28', ADVISORY.fixed]);
  expect(await t.page.locator('h1 .badge').allTextContents()).toEqual(['image', 'signed']);
  const verdicts = t.page.getByTestId('verdicts').locator('li');
  expect(await verdicts.allTextContents()).toEqual([expect.stringMatching(/: verified by release$/)]);
  const referrers = await t.page.getByTestId('referrers').textContent();
  expect(referrers).toContain('application/vnd.cyclonedx+json');
  expect(referrers).toContain(shortDigest(s.sbom));
  expect(referrers).toContain('cosign sig tag');
  await shot(t.page, 'artifact-vulnerabilities', true);

  await t.page.goto(`${s.reg.url}/ui/#/r/${REPO}/-/a/${s.fixed}`);
  await t.page.getByText('No known vulnerabilities.').waitFor();
  expect(await t.page.locator('h1 .badge').allTextContents()).toEqual(['image', 'signature not verified']);
  await browser.close(t);
});

test('the same digest in a repository where it is not signed: unsigned there, one verdict per key set, the same scan', async () => {
  const t = await browser.session(ADMIN);
  await t.page.goto(`${s.reg.url}/ui/#/r/${COPY}`);
  const row = t.page.locator('tr[data-tag="1.0"]');
  await row.waitFor();
  const badges = await row.locator('.badge').allTextContents();
  expect(badges).toContain('1 vulns (Critical)');
  expect(badges).not.toContain('signed');
  await t.page.goto(`${s.reg.url}/ui/#/r/${COPY}/-/a/${s.vulnerable}`);
  await t.page.getByTestId('vulnerabilities').waitFor();
  expect(await t.page.getByTestId('verdicts').locator('li').allTextContents()).toEqual([expect.stringMatching(/: not verified \(.+\)$/)]);
  // And back in the signed repository, still one verdict: the copy's does not show there.
  await t.page.goto(`${s.reg.url}/ui/#/r/${REPO}/-/a/${s.vulnerable}`);
  await t.page.getByTestId('vulnerabilities').waitFor();
  expect(await t.page.getByTestId('verdicts').locator('li').count()).toBe(1);
  await browser.close(t);
});

test("cosign's signature manifest is not an image: not scanned, no SBOM attached to it, shown as not applicable", async () => {
  const head = await fetch(`${s.reg.url}/v2/${REPO}/manifests/${cosignTag(s.vulnerable)}`, {
    method: 'HEAD', headers: { Authorization: basic(ADMIN.username, ADMIN.password), Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  const signature = head.headers.get('docker-content-digest')!;
  expect(signature).toMatch(/^sha256:/);
  expect((await stored(`/v2/${REPO}/_berth/vulnerabilities/${signature}`)).notApplicable).toMatch(/^not a container image: a signature/);
  expect((await stored(`/v2/${REPO}/referrers/${signature}`)).manifests).toEqual([]);
  const t = await browser.session(ADMIN);
  await t.page.goto(`${s.reg.url}/ui/#/r/${REPO}/-/a/${signature}`);
  const note = t.page.getByTestId('scan-not-applicable');
  await note.waitFor();
  expect(await note.textContent()).toMatch(/^Not applicable: not a container image: a signature \(layers application\/vnd\.dev\.cosign\.simplesigning\.v1\+json\)/);
  await browser.close(t);
});

test('no CSP violation and no request to another origin', () => {
  expect(browser.violations).toEqual([]);
  expect(browser.foreign).toEqual([]);
});
