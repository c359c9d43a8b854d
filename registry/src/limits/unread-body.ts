// Early answers (413, 429, a refused upload) are written only after the rest of
// the request body has been read and discarded, a bounded amount for a bounded
// time. Closing a connection with unread bytes makes the kernel reset it, and
// the client then sees the reset instead of the answer. Nothing is buffered.
import type { IncomingMessage } from 'node:http';
import { noteReceived } from '../storage/received-buffers.js';

/** Bodies up to this size are read and discarded before an early answer; bigger ones are cut. */
const DRAIN_MAX_BYTES = 16 * 1024 * 1024;
const DRAIN_MAX_MS = 10_000;

/** Runs `answer` once the unread rest of the request body has been discarded (or at once when there is none, or too much). */
export function afterUnreadBody(req: IncomingMessage, answer: () => void): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (req.complete || req.destroyed || req.readableEnded || declared > DRAIN_MAX_BYTES) {
    answer();
    return;
  }
  let seen = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    req.off('data', onData);
    answer();
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    noteReceived(chunk.length); // discarded socket buffers are freed like an upload's
    if (seen > DRAIN_MAX_BYTES) finish();
  };
  const timer = setTimeout(finish, DRAIN_MAX_MS);
  req.on('data', onData);
  req.once('end', finish);
  req.once('error', finish);
  req.once('close', finish);
  req.resume();
}
