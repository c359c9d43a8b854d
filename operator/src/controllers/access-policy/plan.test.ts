import { activate, liveIsCurrent, planRobot, type RobotInput } from './plan.js';
import { digestOf, type StoredSecret } from './credentials.js';

const H = 3600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const user = 'ap/readers/app';

function secret(id: string, password: string, createdAt: number, extra: Partial<StoredSecret> = {}): StoredSecret {
  return { id, digest: digestOf(password), hash: `scrypt$1024$8$1$${id}`, createdAt: iso(createdAt), ...extra };
}

const base = (over: Partial<RobotInput>): RobotInput => ({
  username: user, secrets: [], now: T0, periodMs: 24 * H, overlapMs: H, propagationMs: 120_000, ...over,
});

describe('planRobot', () => {
  it('mints at once for a namespace without a pull secret', () => {
    expect(planRobot(base({}))).toEqual({ kind: 'mint', immediate: true, secrets: [] });
  });

  it('keeps a current credential and wakes when it is due', () => {
    const s = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    const plan = planRobot(base({ secrets: [s], live: { username: user, password: 'pw-a' }, now: T0 + H }));
    expect(plan).toEqual({ kind: 'keep', credential: { username: user, password: 'pw-a' }, secrets: [s], wakeAt: T0 + 24 * H });
  });

  it('mints a successor when due, keeping the old credential in the pull secret meanwhile', () => {
    const s = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    const plan = planRobot(base({ secrets: [s], live: { username: user, password: 'pw-a' }, now: T0 + 25 * H }));
    expect(plan).toEqual({ kind: 'mint', immediate: false, keep: { username: user, password: 'pw-a' }, secrets: [s] });
  });

  it('waits for the successor to propagate, then switches to it', () => {
    const a = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    const b = secret('b', 'pw-b', T0 + 25 * H);
    const input = base({ secrets: [a, b], live: { username: user, password: 'pw-a' }, remembered: { id: 'b', password: 'pw-b' } });
    expect(planRobot({ ...input, now: T0 + 25 * H + 60_000 })).toMatchObject({ kind: 'keep', wakeAt: T0 + 25 * H + 120_000 });
    expect(planRobot({ ...input, now: T0 + 25 * H + 120_000 })).toEqual({
      kind: 'switch', id: 'b', credential: { username: user, password: 'pw-b' }, secrets: [a, b], rotation: true,
    });
  });

  it('mints again when the successor\'s plaintext was lost (operator restart), dropping the orphan', () => {
    const a = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    const b = secret('b', 'pw-b', T0 + 25 * H);
    const plan = planRobot(base({ secrets: [a, b], live: { username: user, password: 'pw-a' }, now: T0 + 26 * H }));
    expect(plan).toEqual({ kind: 'mint', immediate: false, keep: { username: user, password: 'pw-a' }, secrets: [a] });
  });

  it('treats an on-demand request as making older secrets due', () => {
    const a = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    const plan = planRobot(base({ secrets: [a], live: { username: user, password: 'pw-a' }, now: T0 + H, rotateRequestedAt: T0 + H - 1 }));
    expect(plan.kind).toBe('mint');
    // A request older than the secret is already satisfied.
    expect(planRobot(base({ secrets: [a], live: { username: user, password: 'pw-a' }, now: T0 + H, rotateRequestedAt: T0 - 1 })).kind).toBe('keep');
  });

  it('replaces a tampered or foreign credential at once', () => {
    const a = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    expect(planRobot(base({ secrets: [a], live: { username: user, password: 'edited' }, now: T0 + H }))).toEqual({ kind: 'mint', immediate: true, secrets: [a] });
    expect(planRobot(base({ secrets: [a], live: { username: 'someone-else', password: 'pw-a' }, now: T0 + H })).kind).toBe('mint');
  });

  it('uses a remembered secret for a missing pull secret instead of minting another', () => {
    const b = secret('b', 'pw-b', T0);
    expect(planRobot(base({ secrets: [b], remembered: { id: 'b', password: 'pw-b' }, now: T0 + 1000 }))).toMatchObject({ kind: 'switch', id: 'b', rotation: false });
  });

  it('recognises a credential written before a crash as active', () => {
    const b = secret('b', 'pw-b', T0);
    const plan = planRobot(base({ secrets: [b], live: { username: user, password: 'pw-b' }, now: T0 + 1000 }));
    expect(plan).toMatchObject({ kind: 'keep', secrets: [{ id: 'b', activatedAt: iso(T0 + 1000) }] });
  });

  it('ignores expired secrets', () => {
    const a = secret('a', 'pw-a', T0, { activatedAt: iso(T0), expiresAt: iso(T0 + H) });
    expect(planRobot(base({ secrets: [a], live: { username: user, password: 'pw-a' }, now: T0 + 2 * H }))).toEqual({ kind: 'mint', immediate: true, secrets: [] });
  });
});

describe('activate', () => {
  it('starts the overlap of the predecessors and drops stale pending secrets', () => {
    const a = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    const b = secret('b', 'pw-b', T0 + H);
    const c = secret('c', 'pw-c', T0 + 2 * H);
    expect(activate([a, b, c], 'c', T0 + 3 * H, H)).toEqual([
      { ...a, expiresAt: iso(T0 + 4 * H) },
      { ...c, activatedAt: iso(T0 + 3 * H) },
    ]);
  });
});

describe('liveIsCurrent', () => {
  it('is true only for the newest active secret', () => {
    const a = secret('a', 'pw-a', T0, { activatedAt: iso(T0), expiresAt: iso(T0 + 2 * H) });
    const b = secret('b', 'pw-b', T0 + H, { activatedAt: iso(T0 + H) });
    expect(liveIsCurrent([a, b], { username: user, password: 'pw-b' })).toBe(true);
    expect(liveIsCurrent([a, b], { username: user, password: 'pw-a' })).toBe(false);
    expect(liveIsCurrent([a, b], undefined)).toBe(false);
  });
});
