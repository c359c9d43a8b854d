// The federated-token verifier against a real OIDC issuer on loopback (discovery,
// JWKS, GitHub Actions' claim set): what it accepts, how it maps claims, when it
// fetches keys, and that an unreachable issuer is "cannot decide", not "accepted".
import { jest } from '@jest/globals';
import { federationSchema, type FederationIssuerConfig } from '#contract/config/federation.js';
import { FederationVerifier } from '../../../registry/src/auth/federation/verifier.js';
import { IssuerUnreachableError } from '../../../registry/src/auth/federation/https-client.js';
import { InvalidTokenError } from '../../../registry/src/auth/tokens.js';
import { OidcIssuer } from '../../harness/oidc-issuer.js';

const AUDIENCE = 'https://registry.example';
let oidc: OidcIssuer;

beforeAll(async () => {
  oidc = await OidcIssuer.start();
});
afterAll(async () => {
  await oidc?.stop();
});

function issuerConfig(extra: Partial<FederationIssuerConfig> = {}) {
  return federationSchema.parse({ issuers: [{ name: 'github', issuer: oidc.issuer, audiences: [AUDIENCE], caFile: oidc.caFile, ...extra }] });
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    if (err instanceof InvalidTokenError) return err.reason;
    if (err instanceof IssuerUnreachableError) return 'unreachable';
    throw err;
  }
}

describe('federation verifier', () => {
  test('a GitHub Actions token maps to its subject and string claims, and lives until its exp', async () => {
    const verifier = await FederationVerifier.open(issuerConfig({ requiredClaims: ['repository', 'ref'] }));
    const claims = oidc.githubClaims({ audience: AUDIENCE, repository: 'acme/team-a', ref: 'refs/heads/main' });
    const token = await oidc.sign(claims);
    expect(verifier.claims(token)).toBe(true);
    const principal = await verifier.authenticate(token);
    expect(principal.issuer).toBe('github');
    expect(principal.subject).toBe('repo:acme/team-a:ref:refs/heads/main');
    expect(principal.claims).toMatchObject({ repository: 'acme/team-a', ref: 'refs/heads/main', workflow: 'build', event_name: 'push', ref_type: 'branch' });
    expect(principal.claims).not.toHaveProperty('aud');
    expect(principal.validUntil).toBe((claims.exp as number) * 1000);
    expect(principal.audit).toMatchObject({ issuer: 'github', jti: claims.jti });
  });

  test('only JWTs naming a configured issuer are claimed; robot secrets and other JWTs fall through', async () => {
    const verifier = await FederationVerifier.open(issuerConfig());
    expect(verifier.claims('s3cr3t-robot-password')).toBe(false);
    expect(verifier.claims('a.b.c')).toBe(false);
    expect(verifier.claims(await oidc.sign({ iss: 'https://elsewhere.example', exp: 9e9 }))).toBe(false);
    expect(FederationVerifier.none().claims(await oidc.githubToken({ audience: AUDIENCE, repository: 'a/b', ref: 'refs/heads/main' }))).toBe(false);
  });

  test('required claims: a token without one is refused by name', async () => {
    const verifier = await FederationVerifier.open(issuerConfig({ requiredClaims: ['environment'] }));
    const token = await oidc.githubToken({ audience: AUDIENCE, repository: 'acme/team-a', ref: 'refs/heads/main' });
    expect(await outcome(verifier.authenticate(token))).toBe('missing claim environment');
    const { sub: _sub, ...noSubject } = oidc.githubClaims({ audience: AUDIENCE, repository: 'acme/team-a', ref: 'refs/heads/main' });
    expect(await outcome((await FederationVerifier.open(issuerConfig())).authenticate(await oidc.sign(noSubject)))).toBe('missing claim sub');
  });

  test('discovery names another issuer: nothing is accepted', async () => {
    const verifier = await FederationVerifier.open(federationSchema.parse({
      issuers: [{ name: 'github', issuer: `${oidc.issuer}/`, audiences: [AUDIENCE], caFile: oidc.caFile }],
    }));
    const token = await oidc.sign({ ...oidc.githubClaims({ audience: AUDIENCE, repository: 'a/b', ref: 'refs/heads/main' }), iss: `${oidc.issuer}/` });
    expect(await outcome(verifier.authenticate(token))).toBe('unreachable');
  });

  test('an issuer whose certificate is not trusted cannot be asked (no caFile)', async () => {
    const verifier = await FederationVerifier.open(issuerConfig({ caFile: undefined }));
    expect(await outcome(verifier.authenticate(await oidc.githubToken({ audience: AUDIENCE, repository: 'a/b', ref: 'refs/heads/main' })))).toBe('unreachable');
  });

  test('a token from an issuer that is down is not accepted', async () => {
    const gone = await OidcIssuer.start();
    const verifier = await FederationVerifier.open(federationSchema.parse({ issuers: [{ name: 'gone', issuer: gone.issuer, audiences: [AUDIENCE], caFile: gone.caFile }] }));
    const token = await gone.githubToken({ audience: AUDIENCE, repository: 'a/b', ref: 'refs/heads/main' });
    await gone.stop();
    expect(await outcome(verifier.authenticate(token))).toBe('unreachable');
  });

  test('an unknown kid refetches the JWKS at most once per 30 s, however many tokens carry it', async () => {
    const verifier = await FederationVerifier.open(issuerConfig());
    jest.useFakeTimers({ doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    try {
      const t0 = Date.now();
      const fetches = oidc.jwksFetches;
      expect(await outcome(verifier.authenticate(await oidc.githubToken({ audience: AUDIENCE, repository: 'a/b', ref: 'refs/heads/main' })))).toBe('accepted');
      expect(oidc.jwksFetches).toBe(fetches + 1);

      oidc.rotate();
      jest.setSystemTime(t0 + 1_000);
      const rotated = await oidc.githubToken({ audience: AUDIENCE, repository: 'a/b', ref: 'refs/heads/main' });
      for (let i = 0; i < 100; i++) expect(await outcome(verifier.authenticate(rotated))).toBe('unknown signing key');
      jest.setSystemTime(t0 + 29_000);
      expect(await outcome(verifier.authenticate(rotated))).toBe('unknown signing key');
      expect(oidc.jwksFetches).toBe(fetches + 1);

      jest.setSystemTime(t0 + 30_500);
      expect(await outcome(verifier.authenticate(rotated))).toBe('accepted');
      expect(oidc.jwksFetches).toBe(fetches + 2);
      // A forged kid right after that refetch costs nothing either.
      expect(await outcome(verifier.authenticate(await oidc.sign(oidc.githubClaims({ audience: AUDIENCE, repository: 'a/b', ref: 'refs/heads/main' }), { kid: 'forged' })))).toBe('unknown signing key');
      expect(oidc.jwksFetches).toBe(fetches + 2);
    } finally {
      jest.useRealTimers();
    }
  });

  test('times: exp and nbf within the configured skew, iat not in the future', async () => {
    const verifier = await FederationVerifier.open(issuerConfig({ clockSkewSeconds: 10 }));
    const at = async (shiftSeconds: number, ttlSeconds = 300) =>
      outcome(verifier.authenticate(await oidc.githubToken({ audience: AUDIENCE, repository: 'a/b', ref: 'refs/heads/main', shiftSeconds, ttlSeconds })));
    expect(await at(-305)).toBe('accepted'); // expired 5 s ago: within the skew
    expect(await at(-320)).toBe('expired');
    expect(await at(30)).toBe('not yet valid');
    expect(await at(4)).toBe('accepted'); // iat 4 s ahead: within the skew
  });
});
