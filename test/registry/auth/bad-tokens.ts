// Generates federated tokens that must all be refused, in the families an attacker
// or a misconfigured client produces: wrong audience, another issuer, expired, not
// yet valid, tampered, `alg: none`, HMAC keyed with the issuer's public key, and
// missing claims. Each family varies its values at random, so a run covers many
// shapes rather than one token repeated.
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { OidcIssuer } from '../../harness/oidc-issuer.js';

export type BadTokenKind = 'wrong audience' | 'other issuer' | 'expired' | 'not yet valid' | 'tampered' | 'alg none' | 'hmac with public key' | 'missing claims';
export const BAD_TOKEN_KINDS: readonly BadTokenKind[] = ['wrong audience', 'other issuer', 'expired', 'not yet valid', 'tampered', 'alg none', 'hmac with public key', 'missing claims'];

export interface BadTokenContext {
  readonly issuer: OidcIssuer;
  /** Another issuer the registry does not trust. */
  readonly stranger: OidcIssuer;
  readonly audience: string;
  /** Claims the registry requires beyond the subject (missing ones are one family). */
  readonly requiredClaims: readonly string[];
  /** A repository and branch the policy grants: every bad token claims it. */
  readonly repository: string;
  readonly ref: string;
  /** The clock skew the registry tolerates, seconds. */
  readonly skewSeconds: number;
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)];

function hmacToken(alg: 'HS256' | 'HS384' | 'HS512', header: Record<string, unknown>, payload: JWTPayload, secret: Buffer): string {
  const input = `${b64({ ...header, alg })}.${b64(payload)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

export async function badToken(kind: BadTokenKind, ctx: BadTokenContext): Promise<string> {
  const { issuer, audience } = ctx;
  const good = () => issuer.githubClaims({ audience, repository: ctx.repository, ref: ctx.ref });
  const beyondSkew = () => ctx.skewSeconds + 1 + randomInt(7 * 24 * 3600);
  switch (kind) {
    case 'wrong audience': {
      const aud = pick([`${audience}.evil`, 'https://github.com/acme', audience.toUpperCase(), '', `x${randomBytes(4).toString('hex')}`]);
      return issuer.sign({ ...good(), aud: pick([aud, [aud], [aud, 'other']]) });
    }
    case 'other issuer': {
      const claims = ctx.stranger.githubClaims({ audience, repository: ctx.repository, ref: ctx.ref });
      // Its own iss, or ours signed with its key (an unknown kid, or our kid: a bad signature).
      const variant = randomInt(3);
      if (variant === 0) return ctx.stranger.sign(claims);
      return ctx.stranger.sign({ ...claims, iss: issuer.issuer }, variant === 2 ? { kid: issuer.kid } : {});
    }
    case 'expired': {
      const c = good();
      const exp = Math.floor(Date.now() / 1000) - beyondSkew();
      return issuer.sign({ ...c, exp, iat: exp - 300, nbf: exp - 305 });
    }
    case 'not yet valid': {
      const c = good();
      const nbf = Math.floor(Date.now() / 1000) + beyondSkew();
      return issuer.sign({ ...c, nbf, iat: pick([nbf, c.iat as number]), exp: nbf + 300 });
    }
    case 'tampered': {
      const token = await issuer.sign({ ...good(), repository: 'stranger/repo', sub: `repo:stranger/repo:ref:${ctx.ref}` });
      const [h, p, s] = token.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
      switch (randomInt(3)) {
        case 0: // the claims rewritten to the granted repository, signature kept
          return `${h}.${b64({ ...payload, repository: ctx.repository, sub: `repo:${ctx.repository}:ref:${ctx.ref}` })}.${s}`;
        case 1: { // one signature byte flipped
          const sig = Buffer.from(s, 'base64url');
          sig[randomInt(sig.length)] ^= 1 + randomInt(255);
          return `${h}.${b64({ ...payload, repository: ctx.repository })}.${sig.toString('base64url')}`;
        }
        default: // the signature of another token
          return `${h}.${b64({ ...payload, repository: ctx.repository })}.${(await issuer.sign(good())).split('.')[2]}`;
      }
    }
    case 'alg none':
      return `${b64({ alg: pick(['none', 'None', 'NONE', 'nOnE']), typ: 'JWT' })}.${b64(good())}.${pick(['', 'e30', randomBytes(8).toString('base64url')])}`;
    case 'hmac with public key': {
      const pem = Buffer.from(issuer.publicKey.export({ type: 'spki', format: 'pem' }) as string);
      const der = issuer.publicKey.export({ type: 'spki', format: 'der' });
      const jwk = Buffer.from(JSON.stringify(issuer.publicKey.export({ format: 'jwk' })));
      return hmacToken(pick(['HS256', 'HS384', 'HS512'] as const), { typ: 'JWT', kid: issuer.kid }, good(), pick([pem, der, jwk]));
    }
    case 'missing claims': {
      const c: Record<string, unknown> = { ...good() };
      const names = ['exp', 'sub', ...ctx.requiredClaims];
      const drop = names.filter(() => randomInt(2) === 0);
      for (const name of drop.length ? drop : [pick(names)]) {
        if (randomInt(4) === 0 && name !== 'exp') c[name] = ''; // present but empty
        else delete c[name];
      }
      return issuer.sign(c);
    }
  }
}

/** `count` bad tokens, the families in turn. */
export async function badTokens(count: number, ctx: BadTokenContext): Promise<{ kind: BadTokenKind; token: string }[]> {
  const out: { kind: BadTokenKind; token: string }[] = [];
  for (let i = 0; i < count; i++) {
    const kind = BAD_TOKEN_KINDS[i % BAD_TOKEN_KINDS.length];
    out.push({ kind, token: await badToken(kind, ctx) });
  }
  return out;
}
