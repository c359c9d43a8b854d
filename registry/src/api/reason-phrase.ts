// The reason phrase of an error answer. A HEAD answer has no body, and some
// clients report only the status line of a refusal: containerd 1.6 resolves a
// tag with HEAD and words a 403 as "pulling from host <host> failed with status
// code [manifests <tag>]: <status line>", which the kubelet puts in the pod's
// events as is. An error with a message of its own (a pull policy's refusal, an
// immutable tag) therefore carries it after the standard phrase, so the reason
// reaches whoever reads those events. HTTP clients must ignore the phrase
// (RFC 9112 §4); it may hold only tab, space and visible ASCII, so anything else
// becomes '?', and it is bounded.
import { STATUS_CODES } from 'node:http';
import type { RegistryError } from '../errors.js';

export const MAX_REASON_PHRASE = 512;

export function reasonPhrase(error: RegistryError, status: number): string {
  const standard = STATUS_CODES[status] ?? 'Error';
  if (error.message === error.descriptor.message) return standard;
  const phrase = `${standard}: ${error.message.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?')}`;
  return phrase.length > MAX_REASON_PHRASE ? `${phrase.slice(0, MAX_REASON_PHRASE - 3)}...` : phrase;
}
