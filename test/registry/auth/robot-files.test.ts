// Robot files (the operator's shards of a large policy) on an in-process registry:
// a robot defined in a robot file authenticates with the grant of the main file's
// rule that names it by prefix; a robot file that does not parse, or two files
// defining one robot, refuse those robots (logged) and never grant more.
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RobotFile } from '#contract/auth/policy-file.js';
import { authWorkspace, eventually, robot, type AuthWorkspace } from './fixtures.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { fetchToken } from './tokens.js';

const web = { username: 'ap/pulls/web', password: 'web-secret' };
const api = { username: 'ap/pulls/api', password: 'api-secret' };
const stray = { username: 'ap/other/x', password: 'stray-secret' };

/** The repository actions a token for `who` carries for team/app (401: refused at the endpoint). */
async function granted(reg: InProcessRegistry, who: { username: string; password: string }): Promise<string[] | 401> {
  const t = await fetchToken(reg.url, ['repository:team/app:pull,push'], who);
  if (t.status === 401) return 401;
  expect(t.status).toBe(200);
  const claims = JSON.parse(Buffer.from(String(t.body.token).split('.')[1], 'base64url').toString()) as { access: Array<{ actions: string[] }> };
  return claims.access.flatMap((a) => a.actions);
}

describe('robot files', () => {
  let ws: AuthWorkspace;
  let reg: InProcessRegistry;
  let files: string[];
  let n = 0;
  const writeRobots = async (i: number, doc: RobotFile | string) => {
    const tmp = join(ws.dir, `.robots-${n++}.tmp`);
    await writeFile(tmp, typeof doc === 'string' ? doc : JSON.stringify(doc));
    await rename(tmp, files[i]);
  };
  const failures = async () => Number(/berth_policy_reloads_total\{result="failure"\} (\d+)/.exec(await (await fetch(`${reg.url}/metrics`)).text())?.[1] ?? 0);

  beforeAll(async () => {
    ws = await authWorkspace();
    files = [0, 1, 2].map((i) => join(ws.dir, `robots-${i}.json`));
    await ws.writePolicy({ rules: [{ name: 'accesspolicy/reg/pulls', robotPrefixes: ['ap/pulls/'], repositories: ['team/**'], actions: ['pull'] }] });
    await writeRobots(0, { robots: [await robot(web.username, { secret: web.password })] });
    await writeRobots(1, { robots: [await robot(api.username, { secret: api.password }), await robot(stray.username, { secret: stray.password })] });
    // robots-2.json is missing, as an optional Secret not created yet: no robots, no error.
    reg = await startInProcessRegistry(ws.config({ auth: { robotFiles: files, loginLimits: { maxFailures: 1000, failureDelayMs: 0 } } }), { dir: ws.dir, captureLog: true });
  });
  afterAll(() => reg?.stop());

  test('a robot in a robot file authenticates with the grant of the rule naming its prefix; another prefix gets nothing', async () => {
    expect(await granted(reg, web)).toEqual(['pull']);
    expect(await granted(reg, api)).toEqual(['pull']);
    expect(await granted(reg, stray)).toEqual([]);
    expect(await granted(reg, { ...web, password: 'wrong' })).toBe(401);
    expect(reg.logLines.some((l) => l.includes('access policy loaded') && l.includes('"robots":3'))).toBe(true);
  });

  test('a robot file that does not parse refuses its robots (logged, metric), the others keep working; fixed, they are back', async () => {
    const before = await failures();
    await writeRobots(1, '{"robots": [{"name": "ap/pulls/api", "secrets": [{"hash": "not-a-hash"}]}]}');
    await eventually(async () => expect(await granted(reg, api)).toBe(401));
    expect(await granted(reg, web)).toEqual(['pull']);
    expect(await failures()).toBeGreaterThan(before);
    expect(reg.logLines.some((l) => l.includes('access policy robots refused') && l.includes('robots-1.json'))).toBe(true);
    await writeRobots(1, { robots: [await robot(api.username, { secret: api.password })] });
    await eventually(async () => expect(await granted(reg, api)).toEqual(['pull']));
  });

  test('a robot file cannot carry rules: the whole file is refused', async () => {
    await writeRobots(2, JSON.stringify({ robots: [await robot('ap/other/y', { secret: 'y-secret' })], rules: [{ subjects: ['*'], repositories: ['**'], actions: ['*'] }] }));
    await eventually(async () => expect(reg.logLines.some((l) => l.includes('access policy robots refused') && l.includes('robots-2.json'))).toBe(true));
    expect(await granted(reg, { username: 'ap/other/y', password: 'y-secret' })).toBe(401);
    expect(await granted(reg, web)).toEqual(['pull']);
  });

  test('a robot defined in two robot files is refused in both, even with the right secret of either', async () => {
    await writeRobots(2, { robots: [await robot(web.username, { secret: 'second-secret' })] });
    await eventually(async () => expect(await granted(reg, web)).toBe(401));
    expect(await granted(reg, { ...web, password: 'second-secret' })).toBe(401);
    expect(reg.logLines.some((l) => l.includes(`robot ${web.username} is also defined in`))).toBe(true);
    await writeRobots(2, { robots: [] });
    await eventually(async () => expect(await granted(reg, web)).toEqual(['pull']));
  });

  test('the policy file defines a robot a robot file defines too: the policy file\'s entry alone counts', async () => {
    await ws.writePolicy({
      robots: [await robot(api.username, { secret: 'main-secret' })],
      rules: [{ name: 'accesspolicy/reg/pulls', robotPrefixes: ['ap/pulls/'], repositories: ['team/**'], actions: ['pull'] }],
    });
    await eventually(async () => expect(await granted(reg, { ...api, password: 'main-secret' })).toEqual(['pull']));
    expect(await granted(reg, api)).toBe(401);
  });
});
