// "Last referenced" markers: the writer's half of the online GC protocol (see the
// comment at the top of collector.ts). Before a push commits a reference to a blob or
// manifest that may already exist, it touches the digest's marker; the sweeper reads
// the marker before condemning the digest and again after moving it aside, and puts
// it back when the marker changed in between.
import { randomBytes } from 'node:crypto';
import type { Digest } from '../reference.js';
import { isNotFound, type StorageDriver } from './driver/driver.js';
import { paths } from './paths.js';

export interface Marker {
  /** When the marker was written (the writer's clock, epoch ms). */
  readonly at: number;
  /** Random per touch, so two touches in the same millisecond still differ. */
  readonly nonce: string;
}

/** A digest's touch in flight, and the one that will start after it, shared by everyone who asked meanwhile. */
interface Flight {
  readonly current: Promise<void>;
  next?: Promise<void>;
}

export class GcMarkers {
  private readonly flights = new Map<string, Flight>();

  constructor(private readonly driver: StorageDriver) {}

  /**
   * Writes a fresh marker: one that starts after this call and has been written
   * when the promise resolves, which is all the protocol asks of a touch. Touches of
   * one digest asked while one is in flight share the next write instead of each
   * making its own: concurrent pushes of one image (or of images sharing a base
   * layer) otherwise queue their writes of one key behind each other in the store.
   */
  touch(d: Digest): Promise<void> {
    const flight = this.flights.get(d.value);
    if (!flight) return this.fly(d, this.write(d)).current;
    // The in-flight write may have started before this call: join the one after it.
    flight.next ??= flight.current.catch(() => undefined).then(() => this.fly(d, this.write(d)).current);
    return flight.next;
  }

  async touchAll(digests: Iterable<Digest>): Promise<void> {
    const unique = new Map<string, Digest>();
    for (const d of digests) unique.set(d.value, d);
    await Promise.all([...unique.values()].map((d) => this.touch(d)));
  }

  private async write(d: Digest): Promise<void> {
    const marker: Marker = { at: Date.now(), nonce: randomBytes(8).toString('hex') };
    await this.driver.putContent(paths.gcTouched(d), JSON.stringify(marker));
  }

  /** Makes `write` the digest's flight until it settles; the queued next write then takes its place. */
  private fly(d: Digest, write: Promise<void>): Flight {
    const flight: Flight = { current: write };
    this.flights.set(d.value, flight);
    const land = () => {
      if (this.flights.get(d.value) === flight && !flight.next) this.flights.delete(d.value);
    };
    write.then(land, land);
    return flight;
  }

  /** The current marker, or undefined when the digest was never touched (or the marker is unreadable). */
  async read(d: Digest): Promise<Marker | undefined> {
    try {
      const parsed = JSON.parse((await this.driver.getContent(paths.gcTouched(d))).toString('utf8')) as Marker;
      return typeof parsed.at === 'number' && typeof parsed.nonce === 'string' ? parsed : undefined;
    } catch (err) {
      if (isNotFound(err) || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  /** Removes the marker of a digest whose content is gone. */
  async remove(d: Digest): Promise<void> {
    try {
      await this.driver.delete(paths.gcTouched(d));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** True when two reads of a marker saw the same touch (both absent counts as the same). */
export function sameMarker(a: Marker | undefined, b: Marker | undefined): boolean {
  return a?.nonce === b?.nonce && a?.at === b?.at;
}
