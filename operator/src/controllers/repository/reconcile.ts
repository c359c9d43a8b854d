// The Repository reconciler. A Repository's settings reach the registry through
// its Registry's config (the Registry reconciler renders every Repository of that
// Registry, a part that is invalid as its fail-closed stand-in); this reconciler
// reports whether they have, and what could not be rendered, reads the
// repository's figures from the registry's admin API into status, and, with
// `deletionPolicy: Delete`, deletes the repository's content before the object
// goes (a finalizer). Figures are polled: pushes raise no Kubernetes event.
import { setConditions } from '../../api/conditions.js';
import { API_VERSION, type Registry, type Repository, type RepositorySecurityStatus, type RepositoryStatus } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { splitKey, type ConfigMapObject } from '../../kube/types.js';
import { canonicalJson } from '../../runtime/canonical-json.js';
import type { ReconcileResult, Reconciler } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import type { Logger } from '../../runtime/logger.js';
import { writeStatus } from '../../runtime/status.js';
import { parseConfigYaml } from '#contract/config/load.js';
import { repositorySettingsSchema } from '#contract/config/schema.js';
import { registryNames } from '../registry/names.js';
import { scanningEnabled, trustKeyNames } from '../registry/security.js';
import { repositorySecuritySchema as repositorySecurityConfig } from '#contract/config/security.js';
import { adminTarget, deleteRepositoryContent, readRepository, readRepositorySecurity, RegistryUnreachableError } from './admin-client.js';
import { renderRepository, type RenderedRepository, type RepositorySettingsEntry } from './settings.js';
import { repositoryConditions, repositoryFigures, type Observation } from './status.js';
import { SecurityCondition, securityConditions, securityFigures, type SecurityObservation } from './security-status.js';
import { diffVulnerabilities, vulnerabilityMessages, type NewVulnerability } from './vulnerability-events.js';

export const CONTENT_FINALIZER = 'berth.dev/repository-content';

export interface RepositoryReconcilerDeps {
  client: KubeClient;
  events: EventRecorder;
  /** How often to re-read a repository's figures. */
  statusIntervalMs: number;
  /** Registry base URLs by `namespace/name`, for an operator outside the cluster; default: the Service. */
  registryUrls?: ReadonlyMap<string, string>;
  now?: () => Date;
}

export function repositoryReconciler(deps: RepositoryReconcilerDeps): Reconciler {
  const { client, events } = deps;
  const now = deps.now ?? (() => new Date());

  /** Whether the Registry's rendered config holds exactly these settings. */
  async function applied(reg: Registry, entry: RepositorySettingsEntry): Promise<boolean> {
    const cm = await client.getOptional<ConfigMapObject>('v1', 'ConfigMap', registryNames(reg.metadata.name).config, reg.metadata.namespace);
    const text = cm?.data?.['config.yaml'];
    if (!text) return false;
    const rendered = parseConfigYaml(text, 'rendered config').repositories.find((r) => r.match === entry.match);
    return !!rendered && canonicalJson(rendered) === canonicalJson(repositorySettingsSchema.parse(entry));
  }

  /** With Registry.spec.security: the repository's security summary, or why it could not be read. */
  async function observeSecurity(reg: Registry, repo: Repository, entry: RepositorySettingsEntry): Promise<SecurityObservation | undefined> {
    if (!reg.spec.security) return undefined;
    const base = { scanningEnabled: scanningEnabled(reg), policy: entry.security ? repositorySecurityConfig.parse(entry.security) : undefined, now: now().getTime() };
    try {
      return { ...base, report: await readRepositorySecurity(await adminTarget(client, reg, deps.registryUrls), repo.spec.name) };
    } catch (err) {
      if (!(err instanceof RegistryUnreachableError)) throw err;
      return { ...base, unreachable: err.message };
    }
  }

  /** What the conditions say, and the figures when the registry could be read. */
  async function observe(repo: Repository): Promise<{ observation: Observation; figures?: Partial<RepositoryStatus>; security?: SecurityObservation }> {
    const reg = await client.getOptional<Registry>(API_VERSION, 'Registry', repo.spec.registryRef.name, repo.metadata.namespace);
    let rendered: RenderedRepository;
    try {
      // Without the Registry, a policy naming keys cannot be checked yet: only the rest of the spec is.
      rendered = renderRepository(reg ? repo : { ...repo, spec: { ...repo.spec, security: undefined } }, reg ? trustKeyNames(reg) : []);
    } catch (err) {
      return { observation: { kind: 'invalid', message: (err as Error).message } };
    }
    if (!reg) {
      if (rendered.problems.length) return { observation: { kind: 'invalid', message: rendered.problems.join('; ') } };
      return { observation: { kind: 'registryNotFound', registry: repo.spec.registryRef.name } };
    }
    const { entry, problems } = rendered;
    const observed = { kind: 'observed' as const, applied: await applied(reg, entry), registry: reg.metadata.name, ...(problems.length ? { problems } : {}) };
    try {
      const report = await readRepository(await adminTarget(client, reg, deps.registryUrls), repo.spec.name);
      return { observation: { ...observed, report }, figures: repositoryFigures(repo.spec.name, report, entry.quotaBytes), security: await observeSecurity(reg, repo, entry) };
    } catch (err) {
      if (!(err instanceof RegistryUnreachableError)) throw err;
      return { observation: { ...observed, unreachable: err.message }, security: await observeSecurity(reg, repo, entry) };
    }
  }

  async function finalize(repo: Repository, log: Logger): Promise<void> {
    const reg = await client.getOptional<Registry>(API_VERSION, 'Registry', repo.spec.registryRef.name, repo.metadata.namespace);
    // With the Registry gone (or going) there is nothing to delete from: its storage goes with it or is the user's.
    if (reg && !reg.metadata.deletionTimestamp) {
      try {
        const had = await deleteRepositoryContent(await adminTarget(client, reg, deps.registryUrls), repo.spec.name);
        if (had) await events.record(repo, 'Normal', 'ContentDeleted', `deleted ${repo.spec.name} from Registry ${reg.metadata.name}; its blobs go with the next garbage collection`);
        log.info('repository content deleted', { repository: repo.spec.name, hadContent: had });
      } catch (err) {
        if (err instanceof RegistryUnreachableError) await events.record(repo, 'Warning', 'ContentDeleteFailed', err.message);
        throw err; // retried with backoff; the finalizer holds the object until the content is gone
      }
    }
    await removeFinalizer(client, repo, CONTENT_FINALIZER);
  }

  return async (key: string, log: Logger): Promise<ReconcileResult | void> => {
    const { namespace, name } = splitKey(key);
    let repo = await client.getOptional<Repository>(API_VERSION, 'Repository', name, namespace);
    if (!repo) return;
    const deletesContent = repo.spec.deletionPolicy === 'Delete';
    if (repo.metadata.deletionTimestamp) {
      // A finalizer added while the policy was Delete is honoured only if the policy still says so.
      if (hasFinalizer(repo, CONTENT_FINALIZER) && deletesContent) await finalize(repo, log);
      else await removeFinalizer(client, repo, CONTENT_FINALIZER);
      return;
    }
    repo = deletesContent ? await addFinalizer(client, repo, CONTENT_FINALIZER) : await removeFinalizer(client, repo, CONTENT_FINALIZER);

    const { observation, figures, security } = await observe(repo);
    const generation = repo.metadata.generation;
    const { block, fresh } = securityBlock(repo.status?.security, security);
    // The security conditions are reported only while the Registry has spec.security.
    const previous = security ? repo.status?.conditions : repo.status?.conditions?.filter((c) => !SECURITY_CONDITIONS.has(c.type));
    const status: RepositoryStatus = {
      // Figures stay as last read while they cannot be read.
      ...(figures ?? pickFigures(repo.status)),
      ...(block ? { security: block } : {}),
      observedGeneration: generation,
      conditions: setConditions(previous, [...repositoryConditions(observation), ...(security ? securityConditions(security) : [])], generation, now()),
    };
    await writeStatus(client, repo, status);
    // Recorded once the status remembers them (vulnerability-events.ts).
    for (const message of vulnerabilityMessages(repo.spec.name, fresh)) await events.record(repo, 'Warning', 'NewVulnerability', message);
    log.debug('repository reconciled', { repository: repo.spec.name, read: !!figures, tags: status.tagCount });
    // The Registry and Repository watches bring us back on changes; pushes do not, so poll.
    return { requeueAfterMs: deps.statusIntervalMs };
  };
}

const SECURITY_CONDITIONS = new Set<string>(Object.values(SecurityCondition));

/** status.security: as read (with the announced set), as last read while unreadable, absent without spec.security. */
function securityBlock(previous: RepositorySecurityStatus | undefined, o: SecurityObservation | undefined): { block?: RepositorySecurityStatus; fresh: NewVulnerability[] } {
  if (!o) return { fresh: [] };
  if (o.unreachable) return { block: previous, fresh: [] };
  const { announced, fresh } = diffVulnerabilities(previous?.announced, o.report);
  return { block: { ...securityFigures(o.report), announced }, fresh };
}

function pickFigures(s: RepositoryStatus | undefined): Partial<RepositoryStatus> {
  if (!s) return {};
  const { tagCount, manifestCount, sizeBytes, quotaUsedBytes, quotaLimitBytes, lastPushTime } = s;
  return Object.fromEntries(Object.entries({ tagCount, manifestCount, sizeBytes, quotaUsedBytes, quotaLimitBytes, lastPushTime }).filter(([, v]) => v !== undefined));
}
