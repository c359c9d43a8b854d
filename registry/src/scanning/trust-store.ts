// The trusted public keys, by name, read from the files the config names
// (mounted Secrets). There is no other way in: no endpoint uploads a key.
// The files are read again every minute, so a rotated Secret takes effect
// without a restart; a file that cannot be read keeps its last good key out
// (fail closed: a policy naming it cannot be met).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SecurityConfig } from '#contract/config/security.js';
import type { Logger } from '../log.js';
import { trustedKey, type TrustedKey } from '../security/signatures/keys.js';

const RELOAD_MS = 60_000;

export class TrustStore {
  private keys = new Map<string, TrustedKey>();
  private problems = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly config: SecurityConfig['trust'], private readonly log: Logger) {}

  async load(): Promise<void> {
    const keys = new Map<string, TrustedKey>();
    const problems = new Map<string, string>();
    for (const k of this.config.keys) {
      try {
        keys.set(k.name, trustedKey(k.name, await readFile(k.keyFile)));
      } catch (err) {
        problems.set(k.name, (err as Error).message);
        if (this.problems.get(k.name) !== (err as Error).message) this.log.warn({ msg: 'trusted key unusable', key: k.name, file: k.keyFile, err: (err as Error).message });
      }
    }
    this.keys = keys;
    this.problems = problems;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.load(), RELOAD_MS).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The keys named, and the names that are not usable (unknown, unreadable or not a public key). */
  select(names: readonly string[]): { keys: TrustedKey[]; missing: string[] } {
    const keys: TrustedKey[] = [];
    const missing: string[] = [];
    for (const n of names) {
      const k = this.keys.get(n);
      if (k) keys.push(k);
      else missing.push(n);
    }
    return { keys, missing };
  }

  /** A stable id of a set of keys and a signature count: what verdicts are cached under. */
  keysetId(keys: readonly TrustedKey[], minSignatures: number): string {
    const parts = [...keys].map((k) => `${k.name}=${k.hint}`).sort();
    return createHash('sha256').update(`${minSignatures}\n${parts.join('\n')}`).digest('hex').slice(0, 32);
  }

  names(): { name: string; usable: boolean; problem?: string }[] {
    return this.config.keys.map((k) => ({ name: k.name, usable: this.keys.has(k.name), ...(this.problems.has(k.name) ? { problem: this.problems.get(k.name) } : {}) }));
  }
}
