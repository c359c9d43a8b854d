import type { KubeClient } from '../../kube/client.js';
import { ClusterIssuerDiscovery } from './cluster-issuer.js';

function discoveryClient(answers: unknown[]) {
  const calls: string[] = [];
  const client = {
    async request(method: string, path: string) {
      calls.push(`${method} ${path}`);
      return answers.shift();
    },
  } as unknown as KubeClient;
  return { client, calls };
}

describe('the cluster issuer from OIDC discovery', () => {
  it('reads the issuer once per ten minutes', async () => {
    let now = 0;
    const { client, calls } = discoveryClient([{ issuer: 'https://a.example/' }, { issuer: 'https://b.example/' }]);
    const d = new ClusterIssuerDiscovery(client, () => now);
    expect(await d.issuer()).toBe('https://a.example/');
    now = 9 * 60_000;
    expect(await d.issuer()).toBe('https://a.example/');
    now = 10 * 60_000;
    expect(await d.issuer()).toBe('https://b.example/');
    expect(calls).toEqual(['GET /.well-known/openid-configuration', 'GET /.well-known/openid-configuration']);
  });

  it('refuses a document without an https issuer, naming the field that overrides it', async () => {
    for (const doc of [{}, { issuer: 'http://plain.example' }, { issuer: 42 }]) {
      const { client } = discoveryClient([doc]);
      await expect(new ClusterIssuerDiscovery(client).issuer()).rejects.toThrow(/spec\.auth\.federation\.cluster\.issuer/);
    }
  });
});
