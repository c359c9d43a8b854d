// A small Kubernetes REST client on node:https. It speaks exactly the verbs the
// operator needs (get, list, watch, server-side apply, delete, create/update) and
// surfaces HTTP status codes as KubeApiError, which the runtime relies on to
// tell 404/409/410 apart. Credentials come from @kubernetes/client-node's
// KubeConfig, so kubeconfig files and in-cluster ServiceAccounts both work.
import https from 'node:https';
import http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { isNotFound, KubeApiError } from './errors.js';
import { collectionPath, objectPath, resourceType } from './resources.js';
import type { KubeObject, ObjectList, WatchEvent } from './types.js';

export const FIELD_MANAGER = 'berth-operator';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
}

export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
  timeoutSeconds?: number;
}

export class KubeClient {
  private readonly server: URL;
  private readonly agent: https.Agent;

  constructor(private readonly kc: KubeConfig, private readonly defaultTimeoutMs = 30_000) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await readBody(res);
    if ((res.statusCode ?? 500) >= 400) throw toApiError(res.statusCode ?? 500, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async get<T extends KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T> {
    return this.request<T>('GET', objectPath(resourceType(apiVersion, kind), name, namespace));
  }

  /** The object, or undefined when it does not exist. */
  async getOptional<T extends KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.get<T>(apiVersion, kind, name, namespace);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const path = collectionPath(resourceType(apiVersion, kind), opts.namespace);
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.request<ObjectList<T>>('GET', path, {
        query: { labelSelector: opts.labelSelector, limit: 500, continue: cont },
      });
      items.push(...page.items.map((o) => ({ ...o, apiVersion, kind })));
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (cont);
    return { items, metadata: { resourceVersion } };
  }

  /** Server-side apply with the operator's field manager; force takes over conflicting fields. */
  async apply<T extends KubeObject>(obj: KubeObject, opts: { force?: boolean; subresource?: 'status' } = {}): Promise<T> {
    const t = resourceType(obj.apiVersion, obj.kind);
    let path = objectPath(t, obj.metadata.name, obj.metadata.namespace);
    if (opts.subresource) path += `/${opts.subresource}`;
    return this.request<T>('PATCH', path, {
      query: { fieldManager: FIELD_MANAGER, force: opts.force ?? true },
      body: obj,
      contentType: 'application/apply-patch+yaml',
    });
  }

  async create<T extends KubeObject>(obj: KubeObject): Promise<T> {
    const t = resourceType(obj.apiVersion, obj.kind);
    return this.request<T>('POST', collectionPath(t, obj.metadata.namespace), { body: obj, query: { fieldManager: FIELD_MANAGER } });
  }

  /** PUT with the object's resourceVersion: fails with 409 if someone else wrote in between. */
  async update<T extends KubeObject>(obj: KubeObject): Promise<T> {
    const t = resourceType(obj.apiVersion, obj.kind);
    return this.request<T>('PUT', objectPath(t, obj.metadata.name, obj.metadata.namespace), {
      body: obj,
      query: { fieldManager: FIELD_MANAGER },
    });
  }

  async delete(apiVersion: string, kind: string, name: string, namespace?: string, preconditionUid?: string): Promise<void> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' };
    if (preconditionUid) body.preconditions = { uid: preconditionUid };
    await this.request('DELETE', objectPath(resourceType(apiVersion, kind), name, namespace), { body });
  }

  /**
   * Streams watch events until the server closes the stream, the signal aborts
   * or the connection fails. An ERROR event (e.g. 410 Gone) becomes a KubeApiError.
   */
  async watch(apiVersion: string, kind: string, opts: WatchOptions, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const path = collectionPath(resourceType(apiVersion, kind), opts.namespace);
    const res = await this.send('GET', path, {
      query: {
        watch: 1,
        allowWatchBookmarks: true,
        resourceVersion: opts.resourceVersion,
        labelSelector: opts.labelSelector,
        timeoutSeconds: opts.timeoutSeconds,
      },
      timeoutMs: 0,
    }, signal);
    if ((res.statusCode ?? 500) >= 400) throw toApiError(res.statusCode ?? 500, await readBody(res));
    await new Promise<void>((resolve, reject) => {
      let buffer = '';
      let failed = false;
      // The server ends the watch after timeoutSeconds; if it has not by then plus a grace
      // period, the connection is half-open (peer gone without a FIN) and would hang forever.
      const deadline = opts.timeoutSeconds
        ? setTimeout(() => fail(new Error(`watch ${kind} outlived its ${opts.timeoutSeconds} s timeout`)), (opts.timeoutSeconds + 30) * 1000)
        : undefined;
      deadline?.unref();
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        clearTimeout(deadline);
        res.destroy();
        reject(err);
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line) continue;
          const event = JSON.parse(line) as WatchEvent;
          if (event.type === 'ERROR') {
            const status = event.object as unknown as { code?: number; reason?: string; message?: string };
            return fail(new KubeApiError(status.code ?? 500, status.reason ?? 'WatchError', status.message ?? 'watch error'));
          }
          if (event.type !== 'BOOKMARK') event.object = { ...event.object, apiVersion, kind };
          try {
            onEvent(event);
          } catch (err) {
            return fail(err as Error);
          }
        }
      });
      res.on('end', () => {
        clearTimeout(deadline);
        if (!failed) resolve();
      });
      res.on('aborted', () => fail(new Error('watch connection aborted')));
      res.on('error', (err) => fail(err));
      res.on('close', () => {
        clearTimeout(deadline);
        if (!failed) resolve();
      });
    });
  }

  private async send(method: string, path: string, opts: RequestOptions, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const reqOpts: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { Accept: 'application/json' },
      agent: url.protocol === 'https:' ? this.agent : undefined,
      signal,
    };
    // Re-read credentials per request: in-cluster ServiceAccount tokens rotate.
    await this.kc.applyToHTTPSOptions(reqOpts);
    // applyToHTTPSOptions also sets a new agent on every call, which made every request
    // a new TLS connection with a new secure context (measured: over a third of the
    // operator's CPU while it created 1,000 pull secrets). The TLS options stay on the
    // request, where the keep-alive agent reads them and pools by them.
    reqOpts.agent = url.protocol === 'https:' ? this.agent : undefined;
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (payload !== undefined) {
      (reqOpts.headers as Record<string, string>)['Content-Type'] = opts.contentType ?? 'application/json';
      // Node frames a DELETE body by closing the connection, not with a length; an
      // HTTP/1.1 server then reads the body as the next request (400). Say the length.
      (reqOpts.headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(reqOpts, resolve);
      req.on('error', reject);
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url.pathname}: timed out after ${timeoutMs} ms`)));
      }
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function toApiError(status: number, text: string): KubeApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string; details?: unknown };
    return new KubeApiError(status, s.reason ?? 'Unknown', s.message ?? text, s.details);
  } catch {
    return new KubeApiError(status, 'Unknown', text || `HTTP ${status}`);
  }
}
