import { SignJWT } from 'jose';
import { signingKeyFromPem, type SigningKey } from './signing-keys.js';
import { InvalidTokenError, TokenService, type TokenSettings } from './tokens.js';
import { newKeyPem } from '../../../test/registry/auth/fixtures.js';

const settings: TokenSettings = { issuer: 'iss', service: 'svc', accessTTLSeconds: 300, refreshTTLSeconds: 3600 };
const access = [{ type: 'repository' as const, name: 'team-a/app', actions: ['pull' as const, 'push' as const] }];

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InvalidTokenError) return err.reason;
    throw err;
  }
  return 'accepted';
}

describe('token service', () => {
  let ec: SigningKey;
  let rsa: SigningKey;
  let service: TokenService;

  beforeAll(() => {
    ec = signingKeyFromPem('ec-1', newKeyPem('ec'));
    rsa = signingKeyFromPem('rsa-1', newKeyPem('rsa'));
    service = new TokenService([ec, rsa], settings);
  });

  test('keys get the algorithm of their type', () => {
    expect([ec.alg, rsa.alg]).toEqual(['ES256', 'RS256']);
  });

  test('an issued access token verifies with its subject and access claims', async () => {
    const issued = await service.issueAccessToken('ci', access);
    expect(issued.expiresIn).toBe(300);
    await expect(service.verifyAccessToken(issued.token)).resolves.toEqual({ subject: 'ci', access });
    const [header] = issued.token.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'ES256', kid: 'ec-1', typ: 'JWT' });
  });

  test('rotation: tokens signed by a key that now only verifies stay valid; keys removed entirely do not', async () => {
    const rsaFirst = new TokenService([rsa, ec], settings);
    const byRsa = await rsaFirst.issueAccessToken('ci', access);
    await expect(service.verifyAccessToken(byRsa.token)).resolves.toMatchObject({ subject: 'ci' });
    const ecOnly = new TokenService([ec], settings);
    expect(await reason(ecOnly.verifyAccessToken(byRsa.token))).toBe('unknown signing key');
  });

  test('expired, not-yet-valid, foreign-audience and foreign-issuer tokens are refused', async () => {
    const past = new Date(Date.now() - 3600_000);
    expect(await reason(service.verifyAccessToken((await service.issueAccessToken('ci', access, past)).token))).toBe('expired');
    const future = new Date(Date.now() + 3600_000);
    expect(await reason(service.verifyAccessToken((await service.issueAccessToken('ci', access, future)).token))).toBe('claim nbf rejected');
    const other = new TokenService([ec], { ...settings, service: 'other-registry' });
    expect(await reason(service.verifyAccessToken((await other.issueAccessToken('ci', access)).token))).toBe('claim aud rejected');
    const otherIssuer = new TokenService([ec], { ...settings, issuer: 'someone-else' });
    expect(await reason(service.verifyAccessToken((await otherIssuer.issueAccessToken('ci', access)).token))).toBe('claim iss rejected');
  });

  test('tampered payloads and signatures, wrong algorithms and garbage are refused', async () => {
    const { token } = await service.issueAccessToken('ci', access);
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.access[0].actions.push('delete');
    const forgedPayload = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    expect(await reason(service.verifyAccessToken(forgedPayload))).toBe('bad signature');
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    expect(await reason(service.verifyAccessToken(flipped))).toBe('bad signature');
    const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'ec-1' })).toString('base64url')}.${p}.`;
    expect(await reason(service.verifyAccessToken(noneAlg))).toBe('unexpected algorithm');
    const hs = await new SignJWT({ access }).setProtectedHeader({ alg: 'HS256', kid: 'ec-1' }).setSubject('ci').setAudience('svc').setIssuer('iss')
      .setExpirationTime('5m').sign(new TextEncoder().encode('a-guessable-shared-secret-value!'));
    expect(await reason(service.verifyAccessToken(hs))).toBe('unexpected algorithm');
    expect(await reason(service.verifyAccessToken('not.a.jwt'))).toBe('malformed');
    expect(await reason(service.verifyAccessToken(''))).toBe('malformed');
  });

  test('a token signed by an unknown key with a known kid fails the signature check', async () => {
    const impostor = signingKeyFromPem('ec-1', newKeyPem('ec'));
    const forged = await new TokenService([impostor], settings).issueAccessToken('admin', access);
    expect(await reason(service.verifyAccessToken(forged.token))).toBe('bad signature');
  });

  test('refresh and access tokens are not interchangeable', async () => {
    const refresh = await service.issueRefreshToken('ci');
    expect(refresh.expiresIn).toBe(3600);
    await expect(service.verifyRefreshToken(refresh.token)).resolves.toBe('ci');
    expect(await reason(service.verifyAccessToken(refresh.token))).toBe('refresh token used as access token');
    const accessToken = await service.issueAccessToken('ci', access);
    expect(await reason(service.verifyRefreshToken(accessToken.token))).toBe('not a refresh token');
  });

  test('a malformed access claim is refused rather than half-read', async () => {
    const bad = await new SignJWT({ access: [{ type: 'repository', name: 7, actions: 'pull' }] })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' }).setSubject('ci').setAudience('svc').setIssuer('iss').setExpirationTime('5m')
      .sign(ec.privateKey);
    expect(await reason(service.verifyAccessToken(bad))).toBe('malformed access claim');
  });
});
