import yaml from 'js-yaml';
import { parseConfigYaml } from '#contract/config/load.js';
import type { KubeObject } from '../../kube/types.js';
import { createSelfSignedCertificate } from '../../crypto/self-signed-cert.js';
import { desired, serviceDnsNames, type DesiredInputs } from './desired.js';
import { registry } from './fixtures.test-support.js';
import { CONFIG_HASH_ANNOTATION } from './names.js';
import type { SigningKey } from './signing-keys.js';

const key: SigningKey = { kid: 'kid-one', createdAt: '2026-01-01T00:00:00.000Z', privateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' };
const inputs: DesiredInputs = { signingKeys: [key] };

type Any = Record<string, any>;
const find = (objs: KubeObject[], kind: string, name?: string) => {
  const o = objs.find((x) => x.kind === kind && (!name || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind} ${name ?? ''} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o as KubeObject & Any;
};
const kinds = (objs: KubeObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const podSpec = (objs: KubeObject[]) => find(objs, 'Deployment').spec.template.spec;

describe('desired(registry) for filesystem storage', () => {
  const state = desired(registry(), inputs);

  it('produces ConfigMap, signing-key Secret, PVC, Deployment and Service, and no PDB for one replica', () => {
    expect(kinds(state.objects)).toEqual([
      'ConfigMap/main-config', 'Deployment/main', 'PersistentVolumeClaim/main-data', 'Secret/main-signing-keys', 'Service/main',
    ]);
  });

  it('labels every object and makes the Registry its controlling owner', () => {
    for (const o of state.objects) {
      expect(o.metadata.namespace).toBe('team');
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'berth-operator', 'berth.dev/registry': 'main' });
      expect(o.metadata.ownerReferences).toEqual([
        { apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', name: 'main', uid: 'uid-1234', controller: true, blockOwnerDeletion: true },
      ]);
    }
  });

  it('renders a config the registry accepts, with the mounted paths', () => {
    const cfg = parseConfigYaml(find(state.objects, 'ConfigMap').data['config.yaml']);
    expect(cfg.http.listen).toBe('0.0.0.0:5000');
    expect(cfg.storage.filesystem).toEqual({ root: '/var/lib/berth' });
    expect(cfg.auth).toMatchObject({ enabled: true, service: 'main.team.svc', tokenTTLSeconds: 300, signingKeys: [{ kid: 'kid-one', privateKeyFile: '/etc/berth/keys/kid-one.pem' }] });
    expect(cfg.gc).toMatchObject({ enabled: true, intervalSeconds: 86400, gracePeriodSeconds: 3600 });
    expect(cfg.uploads).toEqual({ purgeIntervalSeconds: 3600, purgeAfterSeconds: 86400 });
    expect(state.configYaml).toBe(find(state.objects, 'ConfigMap').data['config.yaml']);
  });

  it('runs the registry non-root on a read-only root filesystem with health probes and the config hash', () => {
    const dep = find(state.objects, 'Deployment');
    expect(dep.spec.strategy).toEqual({ type: 'Recreate' });
    expect(dep.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toBe(state.configHash);
    const pod = dep.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(pod.topologySpreadConstraints).toBeUndefined();
    const c = pod.containers[0];
    expect(c.command).toEqual(['berth-registry', '--config', '/etc/berth/config.yaml']);
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http', scheme: 'HTTP' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http', scheme: 'HTTP' });
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' } });
    expect(c.volumeMounts.map((m: Any) => m.mountPath).sort()).toEqual(['/etc/berth/config.yaml', '/etc/berth/keys', '/etc/berth/policy', '/tmp', '/var/lib/berth']);
  });

  it('stores the key PEMs in the Secret and indexes their creation times', () => {
    const secret = find(state.objects, 'Secret', 'main-signing-keys');
    expect(Buffer.from(secret.data['kid-one.pem'], 'base64').toString()).toBe(key.privateKeyPem);
    expect(JSON.parse(secret.metadata.annotations!['berth.dev/signing-keys'])).toEqual([{ kid: 'kid-one', createdAt: key.createdAt }]);
  });

  it('reports the in-cluster endpoint', () => {
    expect(state.endpoint).toBe('main.team.svc:5000');
  });

  it('is deterministic', () => {
    expect(desired(registry(), inputs)).toEqual(state);
  });
});

describe('desired(registry) reacting to the spec', () => {
  const s3 = { endpoint: 'https://s3.example.test', bucket: 'images', secretRef: { name: 's3-creds' } };

  it('changes the config hash when the config changes, and only then', () => {
    const base = desired(registry(), inputs).configHash;
    expect(desired(registry({ logLevel: 'debug' }), inputs).configHash).not.toBe(base);
    expect(desired(registry({ gc: { enabled: false, interval: '24h', gracePeriod: '1h' } }), inputs).configHash).not.toBe(base);
    expect(desired(registry(), { signingKeys: [{ ...key, kid: 'kid-two' }, key] }).configHash).not.toBe(base);
    expect(desired(registry({ replicas: 1, image: 'other:tag' }), inputs).configHash).toBe(base);
  });

  it('spreads replicas across nodes, adds a PDB and rolls without downtime when replicas > 1', () => {
    const state = desired(registry({ replicas: 3, storage: { s3 }, metadata: { postgres: { secretRef: { name: 'db' } } } }), inputs);
    const pdb = find(state.objects, 'PodDisruptionBudget', 'main');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'berth-registry', 'app.kubernetes.io/instance': 'main' } } });
    const dep = find(state.objects, 'Deployment');
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(podSpec(state.objects).topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname', maxSkew: 1 });
    // A terminating pod serves until the Service rules dropped it, then drains within the grace period.
    expect(podSpec(state.objects).containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(podSpec(state.objects).terminationGracePeriodSeconds).toBeGreaterThan(5 + 30);
  });

  it('configures S3 with key files mounted from the user Secret', () => {
    const state = desired(registry({ storage: { s3: { ...s3, secretRef: { name: 's3-creds', accessKeyKey: 'AK', secretKeyKey: 'SK' } } } }), inputs);
    const cfg = parseConfigYaml(state.configYaml);
    expect(cfg.storage.s3).toMatchObject({ endpoint: 'https://s3.example.test', bucket: 'images', accessKeyFile: '/etc/berth/s3/accessKey', secretKeyFile: '/etc/berth/s3/secretKey', pathStyle: true });
    const vol = podSpec(state.objects).volumes.find((v: Any) => v.name === 's3');
    expect(vol.secret).toMatchObject({ secretName: 's3-creds', items: [{ key: 'AK', path: 'accessKey' }, { key: 'SK', path: 'secretKey' }] });
    expect(state.objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
  });

  it('builds a managed MinIO: credentials, headless Service, StatefulSet and bucket Job', () => {
    const state = desired(registry({ storage: { minio: { managed: true, bucket: 'blobs' } } }), { ...inputs, minioCredentials: { accessKey: 'ak', secretKey: 'sk' } });
    expect(kinds(state.objects)).toEqual(expect.arrayContaining(['Secret/main-minio-credentials', 'Service/main-minio', 'StatefulSet/main-minio']));
    const svc = find(state.objects, 'Service', 'main-minio');
    expect(svc.spec.clusterIP).toBe('None');
    const sts = find(state.objects, 'StatefulSet', 'main-minio');
    expect(sts.spec.serviceName).toBe('main-minio');
    expect(sts.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    const job = state.objects.find((o) => o.kind === 'Job') as Any;
    expect(job.metadata.name).toMatch(/^main-minio-bucket-[0-9a-f]{8}$/);
    expect(job.spec.template.spec.containers[0].args[0]).toContain('mc mb --ignore-existing "berth/blobs"');
    const cfg = parseConfigYaml(state.configYaml);
    expect(cfg.storage.s3).toMatchObject({ endpoint: 'http://main-minio.team.svc:9000', bucket: 'blobs' });
    expect(() => desired(registry({ storage: { minio: { managed: true } } }), inputs)).toThrow(/minioCredentials/);
  });

  it('serves TLS from a self-signed certificate, with HTTPS probes', () => {
    const reg = registry({ tls: { selfSigned: true } });
    const pair = createSelfSignedCertificate({ commonName: 'x', dnsNames: serviceDnsNames(reg), notBefore: new Date(), notAfter: new Date(Date.now() + 86400_000) });
    const state = desired(reg, { ...inputs, selfSignedTls: pair });
    const secret = find(state.objects, 'Secret', 'main-tls');
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(parseConfigYaml(state.configYaml).http.tls).toEqual({ certFile: '/etc/berth/tls/tls.crt', keyFile: '/etc/berth/tls/tls.key' });
    expect(podSpec(state.objects).containers[0].readinessProbe.httpGet.scheme).toBe('HTTPS');
    expect(serviceDnsNames(reg)).toEqual(['main.team.svc', 'main.team.svc.cluster.local', 'main.team', 'main']);
  });

  it('mounts a user TLS Secret without creating one', () => {
    const state = desired(registry({ tls: { secretRef: { name: 'my-cert' } } }), inputs);
    expect(state.objects.some((o) => o.metadata.name === 'main-tls')).toBe(false);
    expect(podSpec(state.objects).volumes.find((v: Any) => v.name === 'tls').secret.secretName).toBe('my-cert');
  });

  it('drops the signing keys when auth is disabled', () => {
    const state = desired(registry({ auth: { enabled: false } }), { signingKeys: [] });
    expect(state.objects.some((o) => o.kind === 'Secret')).toBe(false);
    expect(parseConfigYaml(state.configYaml).auth).toMatchObject({ enabled: false, signingKeys: [] });
  });

  it('renders the admin identity as a hash in the config and the password only in its Secret', () => {
    const admin = { username: 'admin', password: 'pw-secret', passwordHash: 'scrypt$hash' };
    const state = desired(registry(), { ...inputs, admin });
    expect(parseConfigYaml(state.configYaml).auth.admin).toEqual({ username: 'admin', passwordHash: 'scrypt$hash' });
    expect(state.configYaml).not.toContain('pw-secret');
    const secret = find(state.objects, 'Secret', 'main-admin');
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('pw-secret');
    expect(desired(registry({ auth: { enabled: false } }), { signingKeys: [], admin }).objects.some((o) => o.metadata.name === 'main-admin')).toBe(false);
  });

  it('renders the Repository settings it is given; a change rolls the pods', () => {
    const base = desired(registry(), inputs);
    const state = desired(registry(), { ...inputs, repositories: [{ match: 'team/app', immutableTags: ['v*'], quotaBytes: 1000 }] });
    expect(parseConfigYaml(state.configYaml).repositories).toEqual([{ match: 'team/app', immutableTags: ['v*'], quotaBytes: 1000, anonymousPull: false }]);
    expect(state.configHash).not.toBe(base.configHash);
  });

  it('renders spec.ui into the config; without it the key is absent (the registry default, on) and the hash unchanged', () => {
    const base = desired(registry(), inputs);
    expect(yaml.load(base.configYaml)).not.toHaveProperty('ui');
    expect(parseConfigYaml(base.configYaml).ui).toEqual({ enabled: true });
    const off = desired(registry({ ui: { enabled: false } }), inputs);
    expect(parseConfigYaml(off.configYaml).ui).toEqual({ enabled: false });
    expect(off.configHash).not.toBe(base.configHash);
    // `ui: {}` as written before the API server fills its default: on.
    expect(parseConfigYaml(desired(registry({ ui: {} }), inputs).configYaml).ui).toEqual({ enabled: true });
  });

  it('exposes the Service as asked', () => {
    const state = desired(registry({ service: { type: 'NodePort', port: 443, nodePort: 30443 } }), inputs);
    expect(find(state.objects, 'Service', 'main').spec).toMatchObject({ type: 'NodePort', ports: [{ name: 'http', port: 443, targetPort: 'http', protocol: 'TCP', nodePort: 30443 }] });
    expect(state.endpoint).toBe('main.team.svc:443');
  });

  it('refuses a spec the registry config schema rejects, as a terminal error', () => {
    expect(() => desired(registry({ gc: { interval: 'soon' } }), inputs)).toThrow(expect.objectContaining({ name: 'TerminalError' }));
    expect(() => desired(registry({ storage: { s3: { ...s3, bucket: 'ab' } } }), inputs)).toThrow(/bucket/);
  });

  it('round-trips as YAML (what kubectl would show)', () => {
    const state = desired(registry(), inputs);
    expect(yaml.load(yaml.dump(state.objects))).toEqual(JSON.parse(JSON.stringify(state.objects)));
  });
});
