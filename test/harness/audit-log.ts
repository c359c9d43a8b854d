// The audit log is written when a response closes, after the client has its answer:
// a test reads it until the line it expects is there (bounded).
import { readFile } from 'node:fs/promises';

export type AuditLine = Record<string, unknown> & { method?: string; repository?: string; action?: string; result?: string };

/** The first audit line matching `match`, waiting up to `timeoutMs` for it; undefined when it never came. */
export async function awaitAuditLine(file: string, match: (line: AuditLine) => boolean, timeoutMs = 5_000): Promise<AuditLine | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const found = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine).find(match);
    if (found || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
