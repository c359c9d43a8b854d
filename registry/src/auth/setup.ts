// Builds authentication from the config: signing keys, policy source, login
// limiter, authenticator, the AccessController and the token endpoint.
import { readFile } from 'node:fs/promises';
import type { Express } from 'express';
import type { RegistryConfig } from '#contract/config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { OpenAccess, repository, type AccessController } from './access.js';
import { Authenticator, type AdminCredential } from './authenticator.js';
import { FederationVerifier } from './federation/verifier.js';
import { LoginLimiter } from './login-limiter.js';
import { Permissions, SCANNER_SUBJECT } from './permissions.js';
import { Policy } from './policy.js';
import { PolicyFileSource, staticPolicy, type PolicySource } from './policy-source.js';
import { parseSecretHash } from '#contract/auth/secret-hash.js';
import { ephemeralSigningKey, loadSigningKeys } from './signing-keys.js';
import { TokenAccessController } from './token-access.js';
import { mountTokenEndpoint } from './token-endpoint.js';
import { TokenService } from './tokens.js';
import { UiSessionCookie } from './ui-session.js';

export interface Auth {
  readonly access: AccessController;
  /** Mounts the token endpoint (nothing when auth is off). */
  readonly routes: (app: Express) => void;
  /** A short-lived pull-only token for one repository, for a scanner backend (undefined when auth is off). */
  readonly scannerToken?: (repo: string) => Promise<string>;
}

async function adminCredential(config: RegistryConfig['auth']): Promise<AdminCredential | undefined> {
  const admin = config.admin;
  if (!admin) return undefined;
  if (admin.passwordHash) return { username: admin.username, hash: parseSecretHash(admin.passwordHash) };
  if (admin.passwordFile) {
    const password = (await readFile(admin.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    if (!password) throw new Error(`auth.admin.passwordFile ${admin.passwordFile} is empty`);
    return { username: admin.username, password };
  }
  return undefined;
}

export async function createAuth(config: RegistryConfig, log: Logger, metrics: Metrics): Promise<Auth> {
  const auth = config.auth;
  if (!auth.enabled) return { access: new OpenAccess(), routes: () => undefined };

  let keys = await loadSigningKeys(auth.signingKeys);
  if (keys.length === 0) {
    keys = [ephemeralSigningKey()];
    log.warn({ msg: 'auth enabled without auth.signingKeys: using an ephemeral signing key; tokens will not survive a restart or verify on other replicas', kid: keys[0].kid });
  }
  const admin = await adminCredential(auth);
  if (!admin) log.warn({ msg: 'auth enabled without an admin password: no admin identity' });

  // Public upstreams declared anonymousPull: their whole cached namespace.
  const anonymousPull = [
    ...config.repositories.filter((r) => r.anonymousPull).map((r) => r.match),
    ...config.mirror.upstreams.filter((u) => u.anonymousPull).map((u) => `${u.host}/**`),
  ];
  let policy: PolicySource;
  if (auth.policyFile) {
    policy = await PolicyFileSource.open({ file: auth.policyFile, robotFiles: auth.robotFiles, anonymousPull, log, metrics });
  } else {
    policy = staticPolicy(Policy.empty(anonymousPull));
    log.warn({ msg: 'auth enabled without auth.policyFile: only the admin (and anonymous pull from config) have access' });
  }

  const tokens = new TokenService(keys, {
    issuer: auth.issuer,
    service: auth.service,
    accessTTLSeconds: auth.tokenTTLSeconds,
    refreshTTLSeconds: auth.refreshTokenTTLSeconds,
  });
  const limiter = new LoginLimiter(auth.loginLimits);
  const federation = await FederationVerifier.open(auth.federation);
  const authenticator = new Authenticator(admin, policy, limiter, metrics, log, federation);
  const permissions = new Permissions(policy, admin?.username);
  const access = new TokenAccessController(tokens, authenticator, permissions,
    { service: auth.service, realm: auth.realm, publicURL: config.http.publicURL }, metrics, log, () => policy.close());
  log.info({ msg: 'auth enabled', service: auth.service, signingKey: keys[0].kid, verifyingKeys: keys.map((k) => k.kid),
    federatedIssuers: auth.federation.issuers.map((i) => `${i.name}=${i.issuer} (${i.verify})`) });
  return {
    access,
    routes: (app) => mountTokenEndpoint(app, {
      tokens, authenticator, permissions, log, ...(config.ui.enabled ? { uiSession: new UiSessionCookie(auth.refreshTokenTTLSeconds) } : {}),
    }),
    scannerToken: async (repo) => (await tokens.issueAccessToken(SCANNER_SUBJECT, [repository(repo, 'pull')])).token,
  };
}
