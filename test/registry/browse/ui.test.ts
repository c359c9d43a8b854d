// The web UI in a real browser: Debian's Chromium driven by playwright-core, on a
// seeded registry process (a multi-arch index, base annotations, an SBOM and a
// signature, a Helm chart, 10,000 tags in one repository, 300 more repositories,
// a tag moved three times). Every page is signed in as an identity, navigated and
// checked; screenshots at 1280x800 go to docs/ui/; no CSP violation and no
// request to another origin is allowed. Page timings are written to
// results/ui-timings.json (figures, not assertions).
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../harness/tools.js';
import { REPO_ROOT } from '../../harness/registry-process.js';
import { BrowserRun, shot, type Identity, type Tab } from './browser.js';
import { percentiles, reloadTimes } from './page-timing.js';
import { ADMIN, IDENTITIES, MATRIX, startSeededRegistry, tokenFor, type Seeded } from './seed.js';

const MANY_TAGS = 10_000;
const FLEET = 300;
const SAMPLES = 20;

let s: Seeded;
let browser: BrowserRun;
const timings: Record<string, number[]> = {};

const session = (who?: Identity, viewport?: { width: number; height: number }, dark?: boolean) => browser.session(who, viewport, dark);
const close = (t: Tab) => browser.close(t);

beforeAll(async () => {
  s = await startSeededRegistry({ extraTags: MANY_TAGS, extraRepositories: FLEET });
  browser = await BrowserRun.launch(s.reg.url);
}, 600_000);

afterAll(async () => {
  await browser?.stop();
  await s?.reg.stop();
  const figures = Object.fromEntries(Object.entries(timings).map(([k, xs]) => [k, percentiles(xs)]));
  await mkdir(join(REPO_ROOT, 'results'), { recursive: true });
  await writeFile(join(REPO_ROOT, 'results', 'ui-timings.json'), `${JSON.stringify(figures, null, 2)}\n`);
}, 60_000);

test('sign in keeps the access token in memory and the refresh token in an HttpOnly cookie; a reload resumes the session', async () => {
  const t = await session(IDENTITIES.alice);
  const cookies = await t.context.cookies();
  expect(cookies.map((c) => [c.name, c.path, c.httpOnly, c.secure, c.sameSite])).toEqual([['berth_ui_refresh', '/ui/session', true, true, 'Strict']]);
  expect(await t.page.evaluate<string>('document.cookie')).toBe('');
  expect(await t.page.evaluate<string>('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)')).not.toMatch(/eyJ/);
  await t.page.reload();
  await t.page.getByTestId('who').filter({ hasText: 'alice' }).waitFor();
  await shot(t.page, 'sign-in-done');
  await t.page.goto(`${s.reg.url}/ui/#/login`);
  await shot(t.page, 'sign-in');
  await close(t);
});

test('the repositories page: search finds a repository among hundreds; sorting by size; usage bars', async () => {
  const t = await session(ADMIN);
  const table = t.page.getByTestId('repositories');
  await table.locator('tbody tr').first().waitFor();
  await shot(t.page, 'repositories');
  timings['repositories first page (300+ repositories)'] = await reloadTimes(t.page, (i) => `${s.reg.url}/ui/#/?n=${i}`, table.locator('tbody tr').nth(49), SAMPLES);
  await t.page.getByLabel('Search repositories').fill('team-a/ap');
  await table.locator('tbody tr').filter({ hasText: 'team-a/app' }).waitFor();
  expect(await table.locator('tbody tr').count()).toBe(1);
  await t.page.getByLabel('Search repositories').fill('');
  await t.page.getByRole('combobox').selectOption('size');
  await table.locator('tbody tr').first().waitFor();
  expect(await table.locator('[role=meter]').count()).toBeGreaterThan(0);
  await close(t);
});

test('the repository page: both platforms of the index in one row, badges, pull command by digest; 10,000 tags page fast', async () => {
  const t = await session(IDENTITIES.alice);
  await t.page.goto(`${s.reg.url}/ui/#/r/team-a/app`);
  const multi = t.page.locator('tr[data-tag="multi"]');
  await multi.waitFor();
  expect(await multi.locator('.chip').allTextContents()).toEqual(['linux/amd64', 'linux/arm64']);
  const v1 = t.page.locator('tr[data-tag="v1"]');
  expect(await v1.textContent()).toContain('SBOM');
  expect(await v1.textContent()).toContain(`@${s.app.digest}`);
  await shot(t.page, 'repository');
  timings['repository of 10,000 tags, first 50 rows'] = await reloadTimes(
    t.page, (i) => `${s.reg.url}/ui/#/r/team-a/many?s=${i}`, t.page.getByTestId('tags').locator('tbody tr').nth(49), SAMPLES);
  expect(await t.page.getByTestId('tags').locator('tbody tr').count()).toBe(50);
  await t.page.getByRole('button', { name: 'Next' }).click();
  await t.page.locator('tr[data-tag="t00049"]').waitFor();
  await close(t);
  const phone = await session(IDENTITIES.alice, { width: 390, height: 844 }, true);
  await phone.page.goto(`${s.reg.url}/ui/#/r/team-a/app`);
  await phone.page.locator('tr[data-tag="multi"]').waitFor();
  await shot(phone.page, 'repository-phone-dark');
  await close(phone);
});

test('the artifact page: layers with their commands, referrers by kind, platforms, base image; at most 4 API calls', async () => {
  const t = await session(IDENTITIES.alice);
  const calls: string[] = [];
  t.page.on('request', (r) => { if (r.url().includes('/api/v1/')) calls.push(r.url()); });
  const start = Date.now();
  await t.page.goto(`${s.reg.url}/ui/#/r/team-a/app/-/a/${s.app.digest}`);
  await t.page.getByTestId('layers').waitFor();
  await t.page.getByText('Built on:').waitFor();
  (timings['artifact page'] ??= []).push(Date.now() - start);
  expect(await t.page.getByTestId('layers').locator('tbody tr').allTextContents()).toEqual([
    expect.stringContaining('ADD file:rootfs'), expect.stringContaining('apk add'), expect.stringContaining('COPY app /app'),
  ]);
  const referrers = await t.page.getByTestId('referrers').textContent();
  expect(referrers).toContain('sbom');
  expect(referrers).toContain('signature');
  expect(await t.page.getByText('Built on:').textContent()).toContain('open/base:1');
  expect(calls.length).toBeLessThanOrEqual(4);
  await shot(t.page, 'artifact');
  await t.page.goto(`${s.reg.url}/ui/#/r/team-a/app/-/a/${s.index.digest}`);
  await t.page.getByTestId('platforms').waitFor();
  expect(await t.page.getByTestId('platforms').locator('.chip').allTextContents()).toEqual(['linux/amd64', 'linux/arm64']);
  await shot(t.page, 'artifact-index');
  await close(t);
});

test('tag history: roll back moves the tag (crane sees it within 1 s) and writes one audit record', async () => {
  const t = await session(IDENTITIES.alice);
  await t.page.goto(`${s.reg.url}/ui/#/r/team-a/app/-/h/release`);
  const rows = t.page.getByTestId('history').locator('tbody tr');
  await rows.nth(2).waitFor();
  await t.page.locator('[data-testid="history"][data-access="push"]').waitFor();
  expect(await rows.count()).toBe(3);
  await shot(t.page, 'history');
  const docker = await mkdtemp(join(tmpdir(), 'berth-crane-'));
  await writeFile(join(docker, 'config.json'), JSON.stringify({ auths: { [s.reg.host]: { auth: Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64') } } }));
  const before = Date.now();
  await rows.nth(2).getByRole('button', { name: 'Roll back to this' }).click();
  await t.page.getByRole('status').filter({ hasText: 'now points to' }).waitFor();
  const clicked = Date.now();
  const digest = await run('crane', ['digest', '--insecure', `${s.reg.host}/team-a/app:release`], { env: { DOCKER_CONFIG: docker }, timeoutMs: 10_000 });
  (timings['rollback click to crane digest'] ??= []).push(Date.now() - clicked);
  expect(digest.stdout.trim()).toBe(s.releases[0].digest);
  const token = await tokenFor(s.reg.url, ADMIN);
  let records: any[] = [];
  for (let i = 0; i < 40 && records.length === 0; i++) {
    const res = await fetch(`${s.reg.url}/api/v1/audit?action=tag.restore&since=${before}`, { headers: { Authorization: `Bearer ${token}` } });
    records = ((await res.json()) as { items: any[] }).items;
    if (!records.length) await new Promise((r) => setTimeout(r, 50));
  }
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ actor: 'alice', repository: 'team-a/app', tag: 'release', digest: s.releases[0].digest });
  await rows.first().filter({ hasText: 'restore' }).waitFor();
  await shot(t.page, 'history-rolled-back');
  await close(t);
});

test('bob may pull but not push team-b: no roll back button', async () => {
  const t = await session(IDENTITIES.bob);
  await t.page.goto(`${s.reg.url}/ui/#/r/team-b/svc/-/h/v1`);
  await t.page.getByTestId('history').locator('tbody tr').nth(1).waitFor();
  await t.page.locator('[data-testid="history"][data-access="pull"]').waitFor();
  expect(await t.page.getByRole('button', { name: 'Roll back to this' }).count()).toBe(0);
  await close(t);
});

test('the activity and storage pages', async () => {
  const t = await session(ADMIN);
  await t.page.goto(`${s.reg.url}/ui/#/activity`);
  await t.page.getByTestId('activity').locator('tbody tr').first().waitFor();
  await t.page.getByLabel('Filter by action').fill('tag.restore');
  await t.page.getByLabel('Filter by action').press('Tab');
  await t.page.getByTestId('activity').locator('tbody tr').filter({ hasText: 'tag.restore' }).first().waitFor();
  await shot(t.page, 'activity');
  await t.page.goto(`${s.reg.url}/ui/#/storage`);
  await t.page.getByTestId('quotas').waitFor();
  expect(await t.page.getByTestId('quotas').textContent()).toContain('team-a/**');
  await t.page.getByTestId('gc').waitFor();
  await shot(t.page, 'storage');
  await close(t);
});

test('a repository an identity cannot pull never appears (3 identities and anonymous x 4 repositories)', async () => {
  for (const who of ['alice', 'bob', 'carol', 'anonymous'] as const) {
    const t = await session(who === 'anonymous' ? undefined : IDENTITIES[who]);
    for (const [repo, pullers] of Object.entries(MATRIX)) {
      await t.page.goto(`${s.reg.url}/ui/#/`);
      await t.page.getByTestId('repositories').waitFor();
      await t.page.getByLabel('Search repositories').fill(repo);
      // The list shows the search's answer once it came: the row, or (no other name contains these) nothing.
      if (pullers.includes(who)) await t.page.getByTestId('repositories').locator('tbody tr a').getByText(repo, { exact: true }).waitFor();
      else await t.page.getByText('No repositories to show.').waitFor();
      const shown = (await t.page.getByTestId('repositories').locator('tbody tr a').allTextContents()).includes(repo);
      expect([who, repo, shown]).toEqual([who, repo, pullers.includes(who)]);
      await t.page.goto(`${s.reg.url}/ui/#/r/${repo}`);
      if (pullers.includes(who)) await t.page.getByTestId('tags').waitFor();
      else await t.page.getByRole('alert').filter({ hasText: 'Not found' }).first().waitFor();
    }
    await close(t);
  }
});

test('no CSP violation and no request to another origin in the whole run', () => {
  expect(browser.violations).toEqual([]);
  expect(browser.foreign).toEqual([]);
});
