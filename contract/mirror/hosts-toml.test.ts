import { KNOWN_SERVERS, renderHostsToml } from './hosts-toml.js';

test('a mirror host with pull and resolve, in front of the upstream\'s own server', () => {
  expect(renderHostsToml({ server: KNOWN_SERVERS['docker.io'], mirror: 'https://10.96.0.50:5000', caFile: '/etc/containerd/certs.d/berth-ca.crt', dialTimeout: '2s' }))
    .toBe([
      'server = "https://registry-1.docker.io"',
      '',
      '[host."https://10.96.0.50:5000"]',
      '  capabilities = ["pull", "resolve"]',
      '  ca = "/etc/containerd/certs.d/berth-ca.crt"',
      '  dial_timeout = "2s"',
      '',
    ].join('\n'));
});

test('air-gapped nodes: no server to fall back to', () => {
  expect(renderHostsToml({ mirror: 'http://127.0.0.1:5000' })).toBe('[host."http://127.0.0.1:5000"]\n  capabilities = ["pull", "resolve"]\n');
});

test('docs/mirroring.md shows exactly what is rendered for docker.io, ghcr.io and quay.io', async () => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../docs/mirroring.md', import.meta.url), 'utf8');
  for (const host of ['docker.io', 'ghcr.io', 'quay.io']) {
    const rendered = renderHostsToml({ server: KNOWN_SERVERS[host], mirror: 'https://10.96.0.50:5000', caFile: '/etc/containerd/certs.d/berth-ca.crt', dialTimeout: '2s' });
    expect(doc).toContain(`# /etc/containerd/certs.d/${host}/hosts.toml\n${rendered}`);
  }
});
