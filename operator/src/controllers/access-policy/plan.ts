// What to do with one robot (one policy in one namespace), decided from the
// stored secrets, the credential the pull secret holds now, and the plaintext
// of a freshly minted secret if this process still remembers it; then what its
// pull secret gets, and when the policy must be looked at again. Pure.
//
// Rotation never breaks a pull: a new secret is first added to the registry's
// policy (both valid), and only after `propagationMs` (time for the kubelet to
// deliver the policy file and the registry to reload it) written into the pull
// secret; the old one then expires `overlapMs` later. A pull secret that is
// missing or was edited protects nothing, so it gets a credential at once.
import type { Credential } from './dockerconfig.js';
import { digestOf, type StoredSecret } from './credentials.js';

/** The clock and the policy's periods, in epoch ms and ms. */
export interface RotationTiming {
  now: number;
  periodMs: number;
  overlapMs: number;
  propagationMs: number;
  /** Epoch ms of an on-demand rotation request; secrets created before it are due. */
  rotateRequestedAt?: number;
}

export interface RobotInput extends RotationTiming {
  /** The robot's name: the username of its credential. */
  username: string;
  secrets: StoredSecret[];
  /** The credential the pull secret holds now (undefined when missing or unreadable). */
  live?: Credential;
  /** A minted secret whose plaintext this process still holds. */
  remembered?: { id: string; password: string };
}

export type RobotPlan =
  /** Keep (or restore) the pull secret with this credential. */
  | { kind: 'keep'; credential: Credential; secrets: StoredSecret[]; wakeAt?: number }
  /** Write this (remembered) secret into the pull secret, then activate it. */
  | { kind: 'switch'; id: string; credential: Credential; secrets: StoredSecret[]; rotation: boolean }
  /** Mint a new secret and write it at once (the pull secret protects nothing)… */
  | { kind: 'mint'; immediate: true; secrets: StoredSecret[] }
  /** …or keep `keep` in the pull secret until the new one has propagated. */
  | { kind: 'mint'; immediate: false; keep: Credential; secrets: StoredSecret[] };

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : Infinity);

export function unexpired(secrets: StoredSecret[], now: number): StoredSecret[] {
  return secrets.filter((s) => ms(s.expiresAt) > now);
}

/** The newest secret a pull secret has held. */
export function newestActive(secrets: StoredSecret[]): StoredSecret | undefined {
  return secrets.filter((s) => s.activatedAt).sort((a, b) => ms(b.createdAt) - ms(a.createdAt))[0];
}

/** Marks `id` active; every other active secret expires after the overlap; stale pending ones go. */
export function activate(secrets: StoredSecret[], id: string, now: number, overlapMs: number): StoredSecret[] {
  const at = new Date(now).toISOString();
  const until = new Date(now + overlapMs).toISOString();
  return secrets
    .filter((s) => s.id === id || s.activatedAt)
    .map((s) => (s.id === id ? { ...s, activatedAt: s.activatedAt ?? at } : { ...s, expiresAt: s.expiresAt ?? until }));
}

/** Whether the pull secret's credential matches the newest active secret (else the cache may be stale). */
export function liveIsCurrent(secrets: StoredSecret[], live: Credential | undefined): boolean {
  if (!live) return false;
  const newest = newestActive(secrets);
  return !!newest && newest.digest === digestOf(live.password);
}

/** When a secret created at `createdAt` is due for replacement: after the period, or at a later rotation request. */
function dueAt(createdAt: number, timing: RotationTiming): number {
  const requested = timing.rotateRequestedAt !== undefined && timing.rotateRequestedAt > createdAt ? timing.rotateRequestedAt : Infinity;
  return Math.min(createdAt + timing.periodMs, requested);
}

export function planRobot(input: RobotInput): RobotPlan {
  const { now, remembered } = input;
  let secrets = unexpired(input.secrets, now);
  const liveDigest = input.live ? digestOf(input.live.password) : undefined;
  const match = liveDigest && input.live?.username === input.username ? secrets.find((s) => s.digest === liveDigest) : undefined;
  const rememberedPending = remembered ? secrets.find((s) => s.id === remembered.id && !s.activatedAt) : undefined;

  if (!match || !input.live) {
    if (rememberedPending) return { kind: 'switch', id: rememberedPending.id, credential: { username: input.username, password: remembered!.password }, secrets, rotation: false };
    return { kind: 'mint', immediate: true, secrets: secrets.filter((s) => s.activatedAt) };
  }
  // Written into the pull secret but not recorded (a crash in between): it is active now.
  if (!match.activatedAt) secrets = activate(secrets, match.id, now, input.overlapMs);

  const due = dueAt(ms(match.createdAt), input);
  if (now < due) {
    // Not due: a pending successor can only be left over from an older rotation request.
    return { kind: 'keep', credential: input.live, secrets: secrets.filter((s) => s.activatedAt), wakeAt: due };
  }
  const pending = secrets.find((s) => !s.activatedAt && ms(s.createdAt) > ms(match.createdAt));
  if (pending && remembered?.id === pending.id) {
    const readyAt = ms(pending.createdAt) + input.propagationMs;
    if (now >= readyAt) return { kind: 'switch', id: pending.id, credential: { username: input.username, password: remembered.password }, secrets, rotation: true };
    return { kind: 'keep', credential: input.live, secrets, wakeAt: readyAt };
  }
  // Due, and no successor whose plaintext we hold (none yet, or this process restarted).
  return { kind: 'mint', immediate: false, keep: input.live, secrets: secrets.filter((s) => s.activatedAt) };
}

/** What a robot's pull secret is written with this pass. */
export interface PullSecretWrite {
  credential: Credential;
  /** The stored secret to mark active once the pull secret holds it. */
  activateId?: string;
  /** A successor is waiting to propagate: a rotation is under way. */
  rotating: boolean;
}

/** The credential for the pull secret; `mintedPassword` is the plaintext of the secret a `mint` plan minted. */
export function pullSecretWrite(username: string, plan: RobotPlan, mintedPassword?: string): PullSecretWrite {
  switch (plan.kind) {
    case 'keep':
      return { credential: plan.credential, rotating: plan.secrets.some((s) => !s.activatedAt) };
    case 'switch':
      return { credential: plan.credential, activateId: plan.id, rotating: false };
    case 'mint':
      if (!plan.immediate) return { credential: plan.keep, rotating: true };
      if (mintedPassword === undefined) throw new Error(`robot ${username}: minted secret missing`);
      // Minted active: recorded as such in the policy before this write.
      return { credential: { username, password: mintedPassword }, rotating: false };
  }
}

export interface Schedule {
  /** Epoch ms when the first robot is due for rotation (Infinity: none has an active secret). */
  nextRotation: number;
  /** Epoch ms when the policy must be looked at again (Infinity: only when something changes). */
  wake: number;
}

/**
 * Robots whose current credential entered the registry's policy less than the
 * propagation delay ago (handed out at once, to a new namespace): the kubelet may
 * not have delivered the policy to the registry pods yet. With when the last is there.
 */
export function propagating(robots: Array<{ secrets: StoredSecret[] }>, timing: RotationTiming): { robots: number; until: number } | undefined {
  const pending = robots.map(({ secrets }) => newestActive(secrets)).filter((s) => !!s)
    .map((s) => ms(s.createdAt) + timing.propagationMs).filter((validAt) => validAt > timing.now);
  return pending.length ? { robots: pending.length, until: Math.max(...pending) } : undefined;
}

/** From each robot's secrets after this pass and its plan: the next rotation and the next time-based step. */
export function schedule(robots: Array<{ secrets: StoredSecret[]; plan: RobotPlan }>, timing: RotationTiming): Schedule {
  let nextRotation = Infinity;
  let wake = Infinity;
  for (const { secrets, plan } of robots) {
    const newest = newestActive(secrets);
    if (newest) nextRotation = Math.min(nextRotation, dueAt(ms(newest.createdAt), timing));
    // A credential handed out at once becomes valid in the registry later: Ready flips then.
    const validAt = newest ? ms(newest.createdAt) + timing.propagationMs : 0;
    if (validAt > timing.now) wake = Math.min(wake, validAt);
    for (const s of secrets) {
      if (s.expiresAt) wake = Math.min(wake, ms(s.expiresAt));
      if (!s.activatedAt) wake = Math.min(wake, ms(s.createdAt) + timing.propagationMs);
    }
    if (plan.kind === 'keep' && plan.wakeAt !== undefined) wake = Math.min(wake, plan.wakeAt);
  }
  // A due time already past means a rotation is under way: its pending secrets' readiness wakes us.
  if (nextRotation > timing.now) wake = Math.min(wake, nextRotation);
  return { nextRotation, wake };
}
