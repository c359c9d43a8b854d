import { repositoryConditions, repositoryFigures } from './status.js';

const report = { name: 'team/app', tagCount: 3, manifestCount: 4, sizeBytes: 1000, quotas: [{ scope: 'team/*', limitBytes: 10_000, usedBytes: 5000 }, { scope: 'team/app', limitBytes: 2000, usedBytes: 1000 }], lastPushTime: '2026-11-29T01:00:00.000Z' };

describe('repositoryConditions', () => {
  const byType = (o: Parameters<typeof repositoryConditions>[0]) => Object.fromEntries(repositoryConditions(o).map((c) => [c.type, c]));

  it('an invalid spec is neither applied nor ready', () => {
    const c = byType({ kind: 'invalid', message: 'spec.quota.size: bad' });
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: 'spec.quota.size: bad' });
    expect(c.Applied).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
  });

  it('a spec rendered fail-closed is neither ready nor applied, saying what is enforced instead', () => {
    const problems = ['spec.security: preventVulnerable.severity: Invalid enum value; every pull of its images is refused until it is fixed'];
    const pending = byType({ kind: 'observed', applied: false, registry: 'main', report, problems });
    expect(pending.Ready).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: problems[0] });
    expect(pending.Applied).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: `waiting for Registry main to render the fail-closed stand-in: ${problems[0]}` });
    const enforced = byType({ kind: 'observed', applied: true, registry: 'main', report, problems });
    expect(enforced.Applied).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: `Registry main enforces the fail-closed stand-in: ${problems[0]}` });
    expect(enforced.Ready.status).toBe('False');
  });

  it('a missing Registry is named', () => {
    expect(byType({ kind: 'registryNotFound', registry: 'main' }).Ready).toMatchObject({ status: 'False', reason: 'RegistryNotFound', message: 'Registry main not found' });
  });

  it('not yet rendered: pending, whatever the registry answers', () => {
    const c = byType({ kind: 'observed', applied: false, registry: 'main', report });
    expect(c.Applied).toMatchObject({ status: 'False', reason: 'Pending' });
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'Pending' });
  });

  it('rendered but unreachable: applied, not ready, with the cause', () => {
    const c = byType({ kind: 'observed', applied: true, registry: 'main', unreachable: 'connect ECONNREFUSED' });
    expect(c.Applied.status).toBe('True');
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'RegistryUnreachable', message: 'connect ECONNREFUSED' });
  });

  it('rendered and read: ready, empty or synced', () => {
    expect(byType({ kind: 'observed', applied: true, registry: 'main' }).Ready).toMatchObject({ status: 'True', reason: 'Empty' });
    expect(byType({ kind: 'observed', applied: true, registry: 'main', report }).Ready).toMatchObject({ status: 'True', reason: 'Synced', message: 'settings applied; 3 tag(s), 1000 bytes' });
  });
});

describe('repositoryFigures', () => {
  it('takes the quota of the repository\'s own scope, not a team scope it is also in', () => {
    expect(repositoryFigures('team/app', report, 2000)).toEqual({ tagCount: 3, manifestCount: 4, sizeBytes: 1000, quotaUsedBytes: 1000, quotaLimitBytes: 2000, lastPushTime: report.lastPushTime });
  });

  it('an empty repository has zero figures and its quota limit', () => {
    expect(repositoryFigures('team/app', undefined, 2000)).toEqual({ tagCount: 0, manifestCount: 0, sizeBytes: 0, quotaUsedBytes: 0, quotaLimitBytes: 2000 });
    expect(repositoryFigures('team/app', undefined, undefined)).toEqual({ tagCount: 0, manifestCount: 0, sizeBytes: 0 });
  });
});
