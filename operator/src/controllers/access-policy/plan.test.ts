import { activate, liveIsCurrent, planRobot, propagating, pullSecretWrite, schedule, type RobotInput, type RobotPlan } from './plan.js';
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

describe('pullSecretWrite', () => {
  const cred = (password: string) => ({ username: user, password });

  it('keeps the current credential, reporting a rotation while a successor waits', () => {
    const a = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    const b = secret('b', 'pw-b', T0 + H);
    expect(pullSecretWrite(user, { kind: 'keep', credential: cred('pw-a'), secrets: [a] })).toEqual({ credential: cred('pw-a'), rotating: false });
    expect(pullSecretWrite(user, { kind: 'keep', credential: cred('pw-a'), secrets: [a, b] })).toEqual({ credential: cred('pw-a'), rotating: true });
  });

  it('switches to the successor and names it for activation', () => {
    const plan: RobotPlan = { kind: 'switch', id: 'b', credential: cred('pw-b'), secrets: [], rotation: true };
    expect(pullSecretWrite(user, plan)).toEqual({ credential: cred('pw-b'), activateId: 'b', rotating: false });
  });

  it('writes a secret minted for an unprotected pull secret at once, already active', () => {
    expect(pullSecretWrite(user, { kind: 'mint', immediate: true, secrets: [] }, 'fresh')).toEqual({ credential: cred('fresh'), rotating: false });
    expect(() => pullSecretWrite(user, { kind: 'mint', immediate: true, secrets: [] })).toThrow(/minted secret missing/);
  });

  it('keeps the old credential while a minted successor propagates', () => {
    expect(pullSecretWrite(user, { kind: 'mint', immediate: false, keep: cred('pw-a'), secrets: [] }, 'fresh')).toEqual({ credential: cred('pw-a'), rotating: true });
  });
});

describe('schedule', () => {
  const timing = { now: T0 + H, periodMs: 24 * H, overlapMs: H, propagationMs: 120_000 };
  const keep = (wakeAt?: number): RobotPlan => ({ kind: 'keep', credential: { username: user, password: 'x' }, secrets: [], wakeAt });

  it('wakes at the earliest rotation due', () => {
    const a = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    const b = secret('b', 'pw-b', T0 - 2 * H, { activatedAt: iso(T0 - 2 * H) });
    expect(schedule([{ secrets: [a], plan: keep() }, { secrets: [b], plan: keep() }], timing)).toEqual({ nextRotation: T0 + 22 * H, wake: T0 + 22 * H });
  });

  it('makes a rotation request after the newest secret due at once', () => {
    const a = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    expect(schedule([{ secrets: [a], plan: keep() }], { ...timing, rotateRequestedAt: T0 + H / 2 })).toMatchObject({ nextRotation: T0 + H / 2 });
    // A request older than the secret is already satisfied.
    expect(schedule([{ secrets: [a], plan: keep() }], { ...timing, rotateRequestedAt: T0 - 1 })).toMatchObject({ nextRotation: T0 + 24 * H });
  });

  it('wakes when a predecessor expires or a pending successor has propagated, whichever is first', () => {
    const old = secret('a', 'pw-a', T0 - 25 * H, { activatedAt: iso(T0 - 25 * H), expiresAt: iso(T0 + 2 * H) });
    const current = secret('b', 'pw-b', T0, { activatedAt: iso(T0) });
    expect(schedule([{ secrets: [old, current], plan: keep() }], timing).wake).toBe(T0 + 2 * H);
    const pending = secret('c', 'pw-c', T0 + H - 60_000);
    expect(schedule([{ secrets: [old, current, pending], plan: keep() }], timing).wake).toBe(T0 + H + 60_000);
  });

  it('wakes when a kept plan asks to, and never for a rotation already due', () => {
    const due = secret('a', 'pw-a', T0 - 30 * H, { activatedAt: iso(T0 - 30 * H) });
    expect(schedule([{ secrets: [due], plan: keep(T0 + 3 * H) }], timing)).toEqual({ nextRotation: T0 - 6 * H, wake: T0 + 3 * H });
    expect(schedule([{ secrets: [due], plan: keep() }], timing)).toEqual({ nextRotation: T0 - 6 * H, wake: Infinity });
  });

  it('has nothing to wait for without robots', () => {
    expect(schedule([], timing)).toEqual({ nextRotation: Infinity, wake: Infinity });
  });

  it('counts credentials handed out less than the propagation delay ago, and wakes when they are valid', () => {
    const fresh = secret('n', 'pw-n', T0 + H - 30_000, { activatedAt: iso(T0 + H - 30_000) });
    const settled = secret('a', 'pw-a', T0, { activatedAt: iso(T0) });
    const robots = [{ secrets: [fresh], plan: keep() }, { secrets: [settled], plan: keep() }];
    expect(propagating(robots, timing)).toEqual({ robots: 1, until: T0 + H + 90_000 });
    expect(schedule(robots, timing).wake).toBe(T0 + H + 90_000);
    expect(propagating([{ secrets: [settled] }], timing)).toBeUndefined();
  });
});
