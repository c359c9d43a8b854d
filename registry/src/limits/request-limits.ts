// Which requests take a slot of which concurrency limit (limits.* in the config):
// manifest PUTs, whose bodies are buffered and parsed (small and large ones apart), and upload requests that
// stream a body or complete an upload, which hold a hash session, write buffers
// and a file. Everything else is cheap enough to need none.
import type { IncomingMessage } from 'node:http';
import type { LimitsConfig } from '#contract/config/schema.js';
import { ConcurrencyLimit, KeyedConcurrencyLimit, type Release } from './concurrency.js';

const NONE: Release = () => {};

/** The body's declared length, or undefined for a chunked body (Node's parser refuses malformed lengths). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const length = req.headers['content-length'];
  return length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
}

/** A body declared no bigger than `limit`; chunked bodies (no declared length) are not. */
export function declaredWithin(req: IncomingMessage, limit: number): boolean {
  const length = declaredLength(req);
  return length !== undefined && length <= limit;
}

function carriesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
}

/** The client a per-client limit counts against: the identity, or the address of an anonymous one. */
export function clientKey(subject: string | undefined, req: IncomingMessage): string {
  return !subject || subject === 'anonymous' ? `anonymous@${req.socket.remoteAddress ?? '?'}` : subject;
}

export class RequestLimits {
  private readonly manifestPuts: ConcurrencyLimit;
  private readonly largeManifestPuts: ConcurrencyLimit;
  private readonly largeManifestBytes: number;
  private readonly uploads: ConcurrencyLimit;
  private readonly uploadsPerClient: KeyedConcurrencyLimit;

  constructor(config: LimitsConfig) {
    const line = { queueLength: config.queueLength, waitMs: config.queueSeconds * 1000 };
    this.manifestPuts = new ConcurrencyLimit({ name: 'manifest PUTs', slots: config.manifestPuts, ...line });
    this.largeManifestPuts = new ConcurrencyLimit({ name: 'large manifest PUTs', slots: config.largeManifestPuts, ...line });
    this.largeManifestBytes = config.largeManifestBytes;
    this.uploads = new ConcurrencyLimit({ name: 'uploads', slots: config.uploads, ...line });
    this.uploadsPerClient = new KeyedConcurrencyLimit({ name: 'uploads of this client', slots: config.uploadsPerClient, ...line });
  }

  /** Slots for `req` on `route` (the route table's name), after authorization; release them when it ends. */
  async admit(route: string, req: IncomingMessage, subject: string | undefined): Promise<Release> {
    if (route === 'manifest' && req.method === 'PUT') {
      // Real manifests are small; bodies near the size limit are what a hostile client sends, and
      // their slots bound the memory they hold.
      return (declaredWithin(req, this.largeManifestBytes) ? this.manifestPuts : this.largeManifestPuts).acquire();
    }
    const upload = (route === 'upload' && (req.method === 'PATCH' || req.method === 'PUT'))
      || (route === 'upload-start' && req.method === 'POST' && carriesBody(req));
    if (!upload) return NONE;
    const own = await this.uploadsPerClient.acquire(clientKey(subject, req));
    try {
      const shared = await this.uploads.acquire();
      return () => {
        shared();
        own();
      };
    } catch (err) {
      own();
      throw err;
    }
  }
}
