// The HTTP layer below the routes: limits on the request head, timeouts against
// slow clients, and the spec's JSON error body for requests Node's parser refuses
// before any route sees them (garbage request lines, unknown or lower-case
// methods, bad header syntax, a Content-Length smaller than the body, broken
// chunked framing). Node's own answer to those is a bare 400 with no body.
//
// Timeouts, and why:
// - headersTimeoutSeconds (20 s): the whole request head must arrive within it.
//   An honest client sends its head in one packet; a slowloris trickles it forever.
// - no total request timeout: a large push over a slow link may take hours.
// - idleTimeoutSeconds (60 s): a request body, or a response the client reads, that
//   moves no byte for this long is cut, so a stalled upload cannot hold its slot and
//   descriptor. A request the registry itself is still working on (a long GC run, a
//   slow store with its own timeout) is not cut: no byte is owed by the client then.
// - keep-alive connections idle for 65 s are closed (longer than the 60 s most
//   proxies and load balancers use, so they close first and never reuse a dead one).
import { STATUS_CODES, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Code, type CodeName, type ErrorDescriptor } from '../errors.js';
import { HTTP_STATUS } from './errors.js';

const statusOf = (descriptor: ErrorDescriptor): number => HTTP_STATUS[descriptor.name as CodeName];

export interface HttpLimits {
  readonly headersTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
}

/** Called for every request refused below the routes, with the status sent (or 0 when the socket was only closed). */
export type RefusalObserver = (status: number, reason: string) => void;

const KEEP_ALIVE_MS = 65_000;
/** How often Node checks open connections against headersTimeout. */
const CHECK_INTERVAL_MS = 1_000;
/** A refused connection gets this long to read its error before it is closed. */
const LINGER_MS = 2_000;

/** Options for http(s).createServer. */
export function serverOptions(limits: HttpLimits): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    connectionsCheckingInterval: CHECK_INTERVAL_MS,
    // A missing Host is answered by guardRequests with the JSON body, not by Node with a bare 400.
    requireHostHeader: false,
  };
}

/** Parser error codes (llhttp's, and Node's for timeouts) to what the client is told. */
function descriptorFor(code: string | undefined): ErrorDescriptor {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': return Code.HEADERS_TOO_LARGE;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW': return Code.BODY_FRAMING_TOO_LARGE;
    case 'HPE_INVALID_VERSION': return Code.HTTP_VERSION_UNSUPPORTED;
    case 'ERR_HTTP_REQUEST_TIMEOUT': return Code.REQUEST_TIMEOUT;
    default: return Code.REQUEST_MALFORMED;
  }
}

function errorBody(descriptor: ErrorDescriptor, reason: string): string {
  return JSON.stringify({ errors: [{ code: descriptor.code, message: descriptor.message, detail: { reason } }] });
}

/** A whole HTTP/1.1 response, for a socket that has no ServerResponse. */
function rawResponse(descriptor: ErrorDescriptor, reason: string): string {
  const body = errorBody(descriptor, reason);
  return `HTTP/1.1 ${statusOf(descriptor)} ${STATUS_CODES[statusOf(descriptor)]}\r\n`
    + 'Content-Type: application/json\r\n'
    + `Content-Length: ${Buffer.byteLength(body)}\r\n`
    + 'Docker-Distribution-API-Version: registry/2.0\r\n'
    + 'Connection: close\r\n\r\n'
    + body;
}

interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/**
 * Sets the timeouts and head limits on `server`, and answers parser-level errors
 * with the JSON error body where the socket is still writable, then closes it.
 */
export function hardenServer(server: Server, limits: HttpLimits, observe: RefusalObserver = () => {}): void {
  server.headersTimeout = limits.headersTimeoutSeconds * 1000;
  server.requestTimeout = 0;
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.timeout = limits.idleTimeoutSeconds * 1000;
  // One more than allowed, so guardRequests can tell "at the limit" from "cut at the limit".
  server.maxHeadersCount = limits.maxHeaders + 1;

  const refused = new WeakSet<Socket>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (refused.has(socket)) return; // the parser reports once per chunk it cannot take
    refused.add(socket);
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
      observe(0, err.code ?? 'closed');
      socket.destroy();
      return;
    }
    const descriptor = descriptorFor(err.code);
    const reason = (err as { reason?: string }).reason ?? err.message;
    const answer = () => {
      observe(statusOf(descriptor), err.code ?? 'parse error');
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      socket.end(rawResponse(descriptor, reason));
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    };
    // The response of an earlier request on this connection (node-internal link: there is no public one).
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!inFlight || inFlight.writableFinished) {
      answer();
    } else if (inFlight.req?.complete) {
      // The earlier request is whole (bytes after its body are the broken ones): let its answer finish first.
      inFlight.once('finish', answer);
      inFlight.once('close', () => { if (!inFlight.writableFinished) socket.destroy(); });
    } else if (!inFlight.headersSent) {
      answer(); // the broken bytes are in this request's own body: this is its answer
    } else {
      observe(0, err.code ?? 'parse error');
      socket.destroy();
    }
  });

  const exchanges = new WeakMap<Socket, Exchange>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => exchanges.set(req.socket, { req, res }));
  // With a listener here Node leaves the decision to it: cut a stalled body or reader, keep a request
  // the registry is still working on.
  server.on('timeout', (socket: Socket) => {
    const exchange = exchanges.get(socket);
    const working = exchange && exchange.req.complete && !exchange.res.headersSent;
    if (working) return;
    if (exchange && !exchange.res.writableFinished) observe(0, exchange.req.complete ? 'stalled reader' : 'stalled body');
    socket.destroy();
  });
}

/**
 * Wraps the request listener with the checks Node's parser does not make: the
 * header count, a Host header on HTTP/1.1, and the HTTP major version.
 */
export function guardRequests(
  limits: HttpLimits,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  observe: RefusalObserver = () => {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const refuse = (res: ServerResponse, descriptor: ErrorDescriptor, reason: string) => {
    observe(statusOf(descriptor), reason);
    const body = errorBody(descriptor, reason);
    res.shouldKeepAlive = false;
    res.writeHead(statusOf(descriptor), {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Docker-Distribution-API-Version': 'registry/2.0',
      Connection: 'close',
    }).end(body);
  };
  return (req, res) => {
    if (req.httpVersionMajor !== 1) refuse(res, Code.HTTP_VERSION_UNSUPPORTED, `HTTP/${req.httpVersion}`);
    else if (req.rawHeaders.length / 2 > limits.maxHeaders) refuse(res, Code.HEADERS_TOO_LARGE, `more than ${limits.maxHeaders} header fields`);
    else if (req.httpVersionMinor >= 1 && req.headers.host === undefined) refuse(res, Code.REQUEST_MALFORMED, 'missing Host header');
    else listener(req, res);
  };
}

