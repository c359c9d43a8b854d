// `auth.federation`: outside token issuers whose JWTs the registry accepts as
// credentials — a Kubernetes cluster's ServiceAccount issuer (pods, the kubelet's
// credential provider) and CI issuers (GitHub Actions, GitLab). Policy rules name
// the identities these tokens map to (contract/auth/policy-file.ts, `federated`).
import { z } from 'zod';

/** Asymmetric JWS algorithms only: `none` and the HMAC family can never be allowed. */
export const FEDERATION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const httpsURL = z.string().url().refine((u) => u.startsWith('https://'), { message: 'must be an https:// URL' });
/** The name policy rules use for an issuer: short, DNS-label-like. */
export const ISSUER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const federationIssuerSchema = z.object({
  name: z.string().regex(ISSUER_NAME, 'lowercase letters, digits and -, at most 63').describe('Short name policy rules use for this issuer (`federated[].issuer`) and the audit log shows.'),
  issuer: httpsURL.describe('The `iss` claim, exactly. Discovery is read from <issuer>/.well-known/openid-configuration.'),
  audiences: z.array(z.string().min(1)).min(1).describe('Accepted `aud` values; a token must name at least one.'),
  type: z.enum(['kubernetes', 'oidc']).default('oidc').describe('Claim mapping: `kubernetes` maps a ServiceAccount token to system:serviceaccount:<ns>:<sa> (pod kept for the audit log); `oidc` takes the subject from `subjectClaim` and keeps the string claims for rules.'),
  verify: z.enum(['jwks', 'tokenReview', 'both']).default('jwks').describe('`jwks`: signature against the issuer\'s published keys (a deleted pod\'s token works until it expires); `tokenReview`: asks the API server (refuses a deleted pod\'s or ServiceAccount\'s token); `both`: both checks.'),
  caFile: z.string().optional().describe('CA bundle (PEM) for the issuer\'s discovery and JWKS endpoints and the TokenReview API server; else the system CAs.'),
  jwksURI: httpsURL.optional().describe('JWKS URL; skips OIDC discovery.'),
  tokenFile: z.string().optional().describe('File holding a bearer token sent with discovery, JWKS and TokenReview requests (in a cluster: the registry\'s own ServiceAccount token); re-read on every request.'),
  apiServer: httpsURL.optional().describe('Kubernetes API server for TokenReview (required with verify `tokenReview` or `both`).'),
  reviewCacheSeconds: z.number().int().min(1).max(60).default(60).describe('How long a TokenReview answer is reused; also the longest a registry token issued from a reviewed token lives.'),
  algorithms: z.array(z.enum(FEDERATION_ALGORITHMS)).min(1).default([...FEDERATION_ALGORITHMS]).describe('Accepted signature algorithms (asymmetric only).'),
  clockSkewSeconds: z.number().int().min(0).max(60).default(10).describe('Tolerated clock difference for `exp`, `nbf` and `iat`.'),
  subjectClaim: z.string().min(1).default('sub').describe('`oidc`: the claim that names the identity.'),
  requiredClaims: z.array(z.string().min(1)).default([]).describe('Claims every token must carry as non-empty strings, beyond iss, aud, exp and the subject: for `oidc` top-level claims (repository, ref, ...); for `kubernetes` the mapped ones (`pod` accepts only pod-bound tokens).'),
}).strict().superRefine((issuer, ctx) => {
  if (issuer.verify !== 'jwks') {
    if (issuer.type !== 'kubernetes') ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['verify'], message: 'tokenReview needs type: kubernetes' });
    if (!issuer.apiServer) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['apiServer'], message: `verify: ${issuer.verify} needs apiServer` });
  }
});

export const federationSchema = z.object({
  issuers: z.array(federationIssuerSchema).default([]).describe('Token issuers whose JWTs are accepted as the password at the token endpoint (any username) and as a Bearer on /v2.'),
}).strict().superRefine((federation, ctx) => {
  const names = new Set<string>();
  const urls = new Set<string>();
  federation.issuers.forEach((issuer, i) => {
    if (names.has(issuer.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['issuers', i, 'name'], message: `duplicate issuer name ${issuer.name}` });
    if (urls.has(issuer.issuer)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['issuers', i, 'issuer'], message: `duplicate issuer ${issuer.issuer}` });
    names.add(issuer.name);
    urls.add(issuer.issuer);
  });
});

export type FederationIssuerConfig = z.output<typeof federationIssuerSchema>;
export type FederationConfig = z.output<typeof federationSchema>;
