// POST …/-/tags/{tag}/restore {"digest": "sha256:…"}: points the tag back at a
// digest it named before. The repository must be visible to the caller (else it
// does not exist for them), the caller needs push on it, and the write goes
// through the write path (immutability, GC, index, events); the HTTP audit
// records the request as `tag.restore` with both digests.
import type { Request, Response } from 'express';
import { repository, type Grant } from '../../auth/access.js';
import { Code, RegistryError } from '../../errors.js';
import { requireDigest } from '../../reference.js';
import { noteAudit } from '../audit-requests.js';
import type { Services } from '../handlers/context.js';
import { sendJson } from './http.js';

const MAX_BODY = 4096;

export async function restoreTag(services: Services, viewer: Grant, name: string, tag: string, req: Request, res: Response): Promise<void> {
  await services.browsing.repositories.status(viewer, name);
  const grant = await services.access.authorize(req, [repository(name, 'pull', 'push')]);
  const digest = requireDigest(digestIn(await smallBody(req)));
  const outcome = await services.writes.tags.restore(name, tag, digest, { subject: grant.subject, remote: req.socket.remoteAddress });
  noteAudit(res, { digest: digest.value, ...(outcome.previous ? { detail: { previousDigest: outcome.previous.value } } : {}) });
  sendJson(req, res, { repository: name, tag, digest: digest.value, ...(outcome.previous ? { previous: outcome.previous.value } : {}), changed: outcome.changed });
}

/** The body, at most MAX_BODY bytes; not destroyed on refusal, so the error answer can drain the rest. */
async function smallBody(req: Request): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RegistryError(Code.SIZE_INVALID, { reason: `the body exceeds ${MAX_BODY} bytes` });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function digestIn(body: Buffer): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError(Code.PARAMETER_INVALID, { reason: 'the body must be JSON: {"digest": "sha256:..."}' }, {}, 'invalid request body');
  }
  const digest = typeof parsed === 'object' && parsed !== null ? (parsed as { digest?: unknown }).digest : undefined;
  return typeof digest === 'string' ? digest : undefined;
}
