import { X509Certificate } from 'node:crypto';
import type { MirrorSpec, RegistrySpec } from '../../api/types.js';
import { clusterIPEndpoint, mirrorDialsClusterIP, nodesDialClusterIP } from './cluster-ip.js';
import { serviceDnsNames } from './desired.js';
import { registry } from './fixtures.test-support.js';
import { planSelfSignedTls } from './tls.js';

const mirror: MirrorSpec = { upstreams: [{ host: 'docker.io', url: 'https://registry-1.docker.io' }] };
const reg = (extra: Partial<RegistrySpec> = {}) => registry({ tls: { selfSigned: true }, ...extra });
const sans = (pem: string) => new X509Certificate(pem).subjectAltName?.split(', ') ?? [];

describe('the Service ClusterIP nodes dial', () => {
  it('is dialled by containerd for mirror upstreams, so the self-signed certificate names it, without node access', () => {
    const r = reg({ mirror });
    expect(mirrorDialsClusterIP(r)).toBe(true);
    expect(nodesDialClusterIP(r, false)).toBe(true);
    const plan = planSelfSignedTls(undefined, serviceDnsNames(r), new Date(), ['10.96.0.50']);
    expect(sans(plan.pair.certPem)).toContain('IP Address:10.96.0.50');
    expect(sans(plan.pair.certPem)).toContain('DNS:main.team.svc');
    // A certificate issued before (without the IP) is replaced, not kept.
    const before = planSelfSignedTls(undefined, serviceDnsNames(r), new Date(), []);
    const renewed = planSelfSignedTls(before.pair, serviceDnsNames(r), new Date(), ['10.96.0.50']);
    expect(renewed.change).toBe('renewed');
    expect(sans(renewed.pair.certPem)).toContain('IP Address:10.96.0.50');
  });

  it('is not needed when the spec names containerd\'s endpoint or nothing is mirrored, unless node access is on', () => {
    const named = reg({ mirror: { ...mirror, containerd: { endpoint: 'https://registry.example.test:5000' } } });
    expect(mirrorDialsClusterIP(named)).toBe(false);
    expect(nodesDialClusterIP(named, false)).toBe(false);
    expect(nodesDialClusterIP(reg(), false)).toBe(false);
    expect(nodesDialClusterIP(reg(), true)).toBe(true);
    expect(mirrorDialsClusterIP(reg({ mirror: { upstreams: [] } }))).toBe(false);
  });

  it('is spelled the way containerd expects a host, IPv6 in brackets, with the Service port and scheme', () => {
    expect(clusterIPEndpoint(reg({ mirror }), '10.96.0.50')).toBe('https://10.96.0.50:5000');
    expect(clusterIPEndpoint(reg({ mirror }), 'fd00::5')).toBe('https://[fd00::5]:5000');
    expect(clusterIPEndpoint(registry({ mirror, service: { port: 443 } }), '10.96.0.50')).toBe('http://10.96.0.50:443');
  });
});
