// The images, the chart and the operator agree: the chart's appVersion names the
// operator image tag and the registry image the operator deploys by default, and
// the registry image provides the command the operator's Deployments run as the
// user they run as.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { registry } from '../../operator/src/controllers/registry/fixtures.test-support.js';
import { registryDeployment } from '../../operator/src/controllers/registry/workload.js';
import { DEFAULT_POSTGRES_IMAGE } from '../../operator/src/controllers/registry/postgres.js';
import { CHART_DIR } from '../harness/helm-chart.js';
import { REPO_ROOT } from '../harness/registry-process.js';

const read = (...p: string[]) => readFileSync(join(REPO_ROOT, ...p), 'utf8');
const appVersion = (yaml.load(read('charts', 'berth', 'Chart.yaml')) as { appVersion: string }).appVersion;

interface CrdSchema { properties: Record<string, CrdSchema>; default?: unknown }
type PodSpec = { securityContext: { runAsUser: number }; containers: Array<{ command: string[]; image: string }> };

describe('images', () => {
  it('the Registry CRD defaults to the registry image of the chart\'s appVersion', () => {
    const crd = yaml.load(read('crds', 'registries.berth.yaml')) as { spec: { versions: Array<{ schema: { openAPIV3Schema: CrdSchema } }> } };
    const image = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.image.default;
    expect(image).toBe(`ghcr.io/berth-dev/berth-registry:v${appVersion}`);
    const values = yaml.load(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as { image: { repository: string; tag: string } };
    expect(values.image).toMatchObject({ repository: 'ghcr.io/berth-dev/berth-operator', tag: '' }); // tag "" → v<appVersion>
  });

  it('the chart\'s managed PostgreSQL image is the operator\'s own default, the official postgres:15', () => {
    const values = yaml.load(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as { managedPostgres: { image: string } };
    expect(values.managedPostgres.image).toBe(DEFAULT_POSTGRES_IMAGE);
    expect(DEFAULT_POSTGRES_IMAGE).toBe('postgres:15');
  });

  it('Dockerfile.registry installs the command the operator runs, as the user it runs as', () => {
    const pod = (registryDeployment(registry(), 'hash').spec as { template: { spec: PodSpec } }).template.spec;
    const [command] = pod.containers[0].command;
    const dockerfile = read('Dockerfile.registry');
    expect(dockerfile).toContain(`/usr/local/bin/${command}`);
    expect(dockerfile).toMatch(new RegExp(`^USER ${pod.securityContext.runAsUser}:`, 'm'));
  });

  it('Dockerfile.operator runs the compiled operator as the chart\'s non-root user', () => {
    const dockerfile = read('Dockerfile.operator');
    const values = yaml.load(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as { podSecurityContext: { runAsUser: number }; healthPort: number };
    expect(dockerfile).toMatch(new RegExp(`^USER ${values.podSecurityContext.runAsUser}:`, 'm'));
    expect(dockerfile).toContain('/app/dist/operator/src/main.js');
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${values.healthPort}$`, 'm'));
  });

  it('both images build from sources the build context includes, on a distroless non-root base', () => {
    const ignore = read('.dockerignore');
    for (const file of ['Dockerfile.registry', 'Dockerfile.operator']) {
      const dockerfile = read(file);
      expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/nodejs20-debian12:nonroot$/m);
      const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap(([, args]) => args.trim().split(/\s+/).slice(0, -1));
      expect(sources.length).toBeGreaterThan(2);
      for (const src of sources) expect(ignore).toContain(`!${src}`);
    }
  });

  it('the credential-provider image is the static binary alone, built from included sources', () => {
    const ignore = read('.dockerignore');
    const dockerfile = read('Dockerfile.credential-provider');
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap(([, args]) => args.trim().split(/\s+/).slice(0, -1));
    expect(sources).toEqual(['credential-provider/']);
    expect(ignore).toContain('!credential-provider/**');
    expect(dockerfile).toMatch(/CGO_ENABLED=0 .*go build/);
    expect(dockerfile.trim().split('\n').filter((l) => l.startsWith('FROM ')).pop()).toBe('FROM scratch');
    expect(read('.github/workflows/images.yaml')).toContain('dockerfile: Dockerfile.credential-provider');
  });
});
