// A counting semaphore with a short, bounded line. Over its slots a request waits
// in line (first come, first served) for up to `waitMs`; when the line is full or
// the wait runs out it is refused with 429 TOOMANYREQUESTS and Retry-After, so the
// memory and CPU of expensive work stay bounded by configuration, not by how many
// requests arrive. A waiting request has not read its body: its bytes stay in the
// kernel's socket buffers, not in the registry's memory.
import { Code, RegistryError } from '../errors.js';

export type Release = () => void;

interface Waiter {
  readonly grant: (release: Release) => void;
  readonly timer: NodeJS.Timeout;
}

export interface LimitOptions {
  /** Named in the 429's detail. */
  readonly name: string;
  readonly slots: number;
  /** Most requests waiting at once; 0 refuses at once when every slot is taken. */
  readonly queueLength: number;
  readonly waitMs: number;
}

export class ConcurrencyLimit {
  private active = 0;
  private readonly line: Waiter[] = [];

  constructor(private readonly options: LimitOptions) {}

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.line.length;
  }

  /** A slot, once one is free; throws the 429 when none frees up in time. */
  acquire(): Promise<Release> {
    if (this.active < this.options.slots) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.line.length >= this.options.queueLength) return Promise.reject(this.refusal('the line is full'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          this.line.splice(this.line.indexOf(waiter), 1);
          reject(this.refusal(`no slot within ${this.options.waitMs} ms`));
        }, this.options.waitMs),
      };
      this.line.push(waiter);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.line.shift();
      if (next) {
        clearTimeout(next.timer);
        next.grant(this.releaser()); // the slot passes on without being freed
      } else {
        this.active--;
      }
    };
  }

  private refusal(why: string): RegistryError {
    const retryAfter = String(Math.max(1, Math.ceil(this.options.waitMs / 1000)));
    return new RegistryError(Code.TOOMANYREQUESTS, {
      limit: this.options.name, slots: this.options.slots, reason: why,
    }, { 'Retry-After': retryAfter }, `too many concurrent ${this.options.name}; retry later`);
  }
}

/** One limit per key (a client), each created on first use and dropped when idle. */
export class KeyedConcurrencyLimit {
  private readonly limits = new Map<string, ConcurrencyLimit>();

  constructor(private readonly options: LimitOptions) {}

  get keys(): number {
    return this.limits.size;
  }

  async acquire(key: string): Promise<Release> {
    let limit = this.limits.get(key);
    if (!limit) {
      limit = new ConcurrencyLimit(this.options);
      this.limits.set(key, limit);
    }
    const own = limit;
    const forget = () => {
      if (own.inUse === 0 && own.waiting === 0 && this.limits.get(key) === own) this.limits.delete(key);
    };
    let release: Release;
    try {
      release = await own.acquire();
    } catch (err) {
      forget();
      throw err;
    }
    return () => {
      release();
      forget();
    };
  }
}
