// Claim mapping: a verified token's payload → the identity policy rules match.
//   kubernetes: sub must be system:serviceaccount:<ns>:<sa> and agree with the
//               kubernetes.io claim; rules see namespace, serviceAccount,
//               serviceAccountUID and, for pod-bound tokens, pod, podUID and node.
//   oidc:       the subject is `subjectClaim`; rules see every top-level string claim
//               (GitHub: repository, ref, workflow, environment, job_workflow_ref, ...).
// A missing or malformed claim refuses the token.
import type { JWTPayload } from 'jose';
import type { FederationIssuerConfig } from '#contract/config/federation.js';
import { InvalidTokenError } from '../tokens.js';
import { claimRecord, type FederatedPrincipal } from './principal.js';

const REGISTERED = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti']);

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const object = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {});

function kubernetesClaims(payload: JWTPayload): Record<string, string> {
  const k8s = object(payload['kubernetes.io']);
  const namespace = text(k8s.namespace);
  const sa = object(k8s.serviceaccount);
  const name = text(sa.name);
  const uid = text(sa.uid);
  if (!namespace || !name || !uid) throw new InvalidTokenError('missing claim kubernetes.io serviceaccount');
  if (payload.sub !== `system:serviceaccount:${namespace}:${name}`) throw new InvalidTokenError('sub disagrees with kubernetes.io');
  const entries: [string, string][] = [['namespace', namespace], ['serviceAccount', name], ['serviceAccountUID', uid]];
  const pod = object(k8s.pod);
  if (text(pod.name) && text(pod.uid)) entries.push(['pod', pod.name as string], ['podUID', pod.uid as string]);
  const node = text(object(k8s.node).name);
  if (node) entries.push(['node', node]);
  return claimRecord(entries);
}

function oidcClaims(payload: JWTPayload): Record<string, string> {
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(payload)) {
    if (!REGISTERED.has(name) && typeof value === 'string') entries.push([name, value]);
  }
  return claimRecord(entries);
}

/** Maps a payload whose signature, issuer, audience and times were already checked. */
export function principalFrom(issuer: FederationIssuerConfig, payload: JWTPayload): FederatedPrincipal {
  if (typeof payload.exp !== 'number') throw new InvalidTokenError('missing claim exp');
  const claims = issuer.type === 'kubernetes' ? kubernetesClaims(payload) : oidcClaims(payload);
  for (const name of issuer.requiredClaims) {
    if (!text(claims[name])) throw new InvalidTokenError(`missing claim ${name}`);
  }
  const subject = issuer.type === 'kubernetes' ? payload.sub! : text(claims[issuer.subjectClaim]);
  if (!subject) throw new InvalidTokenError(`missing claim ${issuer.subjectClaim}`);
  const audit = claimRecord([
    ['issuer', issuer.name],
    ...(['pod', 'podUID', 'serviceAccountUID', 'node'] as const).filter((k) => claims[k] !== undefined && issuer.type === 'kubernetes').map((k) => [k, claims[k]] as const),
    ...(text(payload.jti) ? [['jti', payload.jti as string] as const] : []),
  ]);
  return { issuer: issuer.name, subject, claims, audit, validUntil: payload.exp * 1000 };
}
