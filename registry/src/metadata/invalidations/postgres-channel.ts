// Invalidations over PostgreSQL LISTEN/NOTIFY. A write's pg_notify runs inside its
// transaction, so other replicas hear of a change exactly when it commits (typically
// within milliseconds). The LISTEN connection is watched by a heartbeat: when it
// stops answering, or drops, this replica reports itself disconnected (caches stop
// serving mutable facts) until it has listened again and told subscribers to drop
// everything, since notifications sent meanwhile are lost.
import { randomUUID } from 'node:crypto';
import { sql } from '../engine/kysely.js';
import pg from 'pg';
import type { Db } from '../engine/engine.js';
import { Subscribers, type Invalidation, type InvalidationChannel } from './channel.js';

export const CHANNEL = 'berth_invalidations';
/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_PAYLOAD = 7_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2_000;

interface Message {
  /** The sending replica, which has delivered the events itself. */
  readonly o: string;
  readonly e: Invalidation[];
}

/** Splits events into NOTIFY payloads small enough to send. */
export function payloads(origin: string, events: readonly Invalidation[]): string[] {
  const out: string[] = [];
  let batch: Invalidation[] = [];
  let size = 0;
  for (const e of events) {
    const s = JSON.stringify(e).length + 1;
    if (batch.length && size + s > MAX_PAYLOAD) {
      out.push(JSON.stringify({ o: origin, e: batch } satisfies Message));
      batch = [];
      size = 0;
    }
    batch.push(e);
    size += s;
  }
  if (batch.length) out.push(JSON.stringify({ o: origin, e: batch } satisfies Message));
  return out;
}

export class PostgresInvalidations extends Subscribers implements InvalidationChannel {
  readonly origin = randomUUID();
  private client: pg.Client | undefined;
  private state = false;
  private closed = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoff = RECONNECT_MIN_MS;
  private beatSentAt = 0;
  private beatPending = false;

  constructor(private readonly config: pg.ClientConfig, private readonly heartbeatMs: number) {
    super();
  }

  get connected(): boolean {
    return this.state;
  }

  /** Listens; resolves once listening (or rejects on the first failure; retries continue in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  async publishInTransaction(trx: Db, events: readonly Invalidation[]): Promise<void> {
    for (const p of payloads(this.origin, events)) await sql`select pg_notify(${CHANNEL}, ${p})`.execute(trx);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = undefined;
    this.setConnected(false);
    await c?.end().catch(() => undefined);
  }

  private setConnected(value: boolean): void {
    if (this.state === value) return;
    this.state = value;
    this.connectionChanged(value);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      let m: Message;
      try {
        m = JSON.parse(msg.payload) as Message;
      } catch {
        return;
      }
      if (m.o !== this.origin && Array.isArray(m.e)) this.deliver(m.e);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoff = RECONNECT_MIN_MS;
    this.beatPending = false;
    // Whatever changed while nobody listened is unknown: drop everything first.
    this.deliver([{ kind: 'all' }]);
    this.setConnected(true);
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.beat(client), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** A round trip on the LISTEN connection; two intervals without an answer mean it is gone. */
  private beat(client: pg.Client): void {
    if (this.client !== client) return;
    if (this.beatPending) {
      if (Date.now() - this.beatSentAt > 2 * this.heartbeatMs) this.lost(client);
      return;
    }
    this.beatPending = true;
    this.beatSentAt = Date.now();
    client.query('select 1').then(() => { this.beatPending = false; }, () => this.lost(client));
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.heartbeat);
    this.setConnected(false);
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    // end() waits for a dead socket; destroy it so nothing lingers.
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch(() => {
        this.backoff = Math.min(this.backoff * 2, RECONNECT_MAX_MS);
        this.scheduleReconnect();
      });
    }, this.backoff);
    this.reconnectTimer.unref();
  }
}
