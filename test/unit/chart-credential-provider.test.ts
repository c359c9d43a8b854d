// The chart's opt-in installer for berth-credential-provider: off by default; on,
// a DaemonSet whose init container runs the provider image's own command as root
// against the kubelet's provider directory from the host. The real binary is run
// with exactly those arguments (the host directory a temporary one), and the copy
// it installs answers a kubelet request.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { PROVIDER_API_VERSION, providerRequest } from '../harness/credential-provider.js';
import { CHART_DIR, TEST_KUBE_VERSION, findObject, helm, renderChart } from '../harness/helm-chart.js';
import { REPO_ROOT } from '../harness/registry-process.js';
import { run } from '../harness/tools.js';

interface Container { name: string; image: string; args?: string[]; securityContext: Record<string, unknown>; volumeMounts?: Array<{ name: string; mountPath: string }> }
interface PodSpec { initContainers: Container[]; containers: Container[]; volumes: Array<{ name: string; hostPath?: { path: string; type: string } }>; tolerations?: unknown[]; automountServiceAccountToken: boolean }
const podSpec = (o: KubeObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;
const ENABLED = { 'credentialProvider.installer.enabled': true };

describe('credential provider installer (chart)', () => {
  it('is off by default', async () => {
    expect((await renderChart()).filter((o) => o.kind === 'DaemonSet')).toEqual([]);
  });

  it('runs the image\'s own install command as root on the hostPath, then holds the pod', async () => {
    const ds = findObject(await renderChart({ set: { ...ENABLED, 'credentialProvider.installer.hostDir': '/opt/kubelet/providers' } }), 'DaemonSet', 'berth-credential-provider');
    const pod = podSpec(ds);
    const [install] = pod.initContainers;
    expect(install.image).toBe('ghcr.io/berth-dev/berth-credential-provider:v0.1.0');
    expect(install.securityContext).toMatchObject({ runAsUser: 0, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const cmd = readFileSync(join(REPO_ROOT, 'Dockerfile.credential-provider'), 'utf8').match(/^CMD (.+)$/m)![1];
    expect(install.args).toEqual(JSON.parse(cmd));
    const mount = install.volumeMounts!.find((m) => m.mountPath === '/host/credential-providers')!;
    expect(pod.volumes.find((v) => v.name === mount.name)!.hostPath).toEqual({ path: '/opt/kubelet/providers', type: 'DirectoryOrCreate' });
    expect(pod.containers.map((c) => c.name)).toEqual(['pause']);
    expect(pod.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('the init container\'s command installs a provider that answers the kubelet', async () => {
    const pod = podSpec(findObject(await renderChart({ set: ENABLED }), 'DaemonSet'));
    const [install] = pod.initContainers;
    const hostDir = mkdtempSync(join(tmpdir(), 'berth-providers-'));
    const args = install.args!.map((a) => a.replace('/host/credential-providers', hostDir));
    const r = await run('berth-credential-provider', args);
    expect(r).toMatchObject({ code: 0 });
    const installed = `${hostDir}/berth-credential-provider` as const;
    expect(statSync(installed).mode & 0o111).toBe(0o111);
    const token = ['e30', Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url'), 'sig'].join('.');
    const answer = await run(installed, [], { input: providerRequest('main.registry.svc:5000/team-a/app:v1', token) });
    expect(answer.code).toBe(0);
    expect(JSON.parse(answer.stdout)).toMatchObject({ apiVersion: PROVIDER_API_VERSION, auth: { 'main.registry.svc:5000': { password: token } } });
  });

  it('refuses a relative host directory', async () => {
    const r = await helm(['template', 'berth', CHART_DIR, '--kube-version', TEST_KUBE_VERSION, '--set', 'credentialProvider.installer.enabled=true', '--set', 'credentialProvider.installer.hostDir=providers']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/hostDir/);
  });
});
