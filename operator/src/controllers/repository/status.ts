// Status of a Repository: the figures the registry reports and two conditions.
// Applied: the settings are in the Registry's rendered config. Ready: applied, and
// the figures were read from the registry just now. A spec rendered fail-closed
// (settings.ts) is neither, with each problem and what is enforced instead.
// Pure, so unit-tested.
import type { ConditionInput } from '../../api/conditions.js';
import type { RepositoryStatus } from '../../api/types.js';
import type { RepositoryReport } from './admin-client.js';

export const RepositoryReason = {
  InvalidSpec: 'InvalidSpec',
  RegistryNotFound: 'RegistryNotFound',
  Rendered: 'Rendered',
  Pending: 'Pending',
  RegistryUnreachable: 'RegistryUnreachable',
  Synced: 'Synced',
  Empty: 'Empty',
  AuthDisabled: 'AuthDisabled',
} as const;

export type Observation =
  | { kind: 'invalid'; message: string }
  | { kind: 'registryNotFound'; registry: string }
  | {
    kind: 'observed'; applied: boolean; registry: string; report?: RepositoryReport; unreachable?: string;
    /** Parts of the spec rendered as their fail-closed stand-in (settings.ts), each with what is enforced instead. */
    problems?: readonly string[];
  };

const cond = (type: string, ok: boolean, reason: string, message: string): ConditionInput => ({ type, status: ok ? 'True' : 'False', reason, message });

export function repositoryConditions(o: Observation): ConditionInput[] {
  if (o.kind === 'invalid') return [cond('Ready', false, RepositoryReason.InvalidSpec, o.message), cond('Applied', false, RepositoryReason.InvalidSpec, o.message)];
  if (o.kind === 'registryNotFound') {
    const msg = `Registry ${o.registry} not found`;
    return [cond('Ready', false, RepositoryReason.RegistryNotFound, msg), cond('Applied', false, RepositoryReason.RegistryNotFound, msg)];
  }
  if (o.problems?.length) {
    const message = o.problems.join('; ');
    return [
      cond('Ready', false, RepositoryReason.InvalidSpec, message),
      cond('Applied', false, RepositoryReason.InvalidSpec, `${o.applied ? `Registry ${o.registry} enforces` : `waiting for Registry ${o.registry} to render`} the fail-closed stand-in: ${message}`),
    ];
  }
  const applied = o.applied
    ? cond('Applied', true, RepositoryReason.Rendered, `settings are in Registry ${o.registry}'s config`)
    : cond('Applied', false, RepositoryReason.Pending, `waiting for Registry ${o.registry} to render the settings`);
  let ready: ConditionInput;
  if (!o.applied) ready = cond('Ready', false, RepositoryReason.Pending, applied.message);
  else if (o.unreachable) ready = cond('Ready', false, RepositoryReason.RegistryUnreachable, o.unreachable);
  else if (!o.report) ready = cond('Ready', true, RepositoryReason.Empty, 'settings applied; the repository holds nothing yet');
  else ready = cond('Ready', true, RepositoryReason.Synced, `settings applied; ${o.report.tagCount} tag(s), ${o.report.sizeBytes} bytes`);
  return [ready, applied];
}

/**
 * The figures part of the status from what the registry reported (undefined: the
 * repository holds nothing yet); `quotaBytes` is the Repository's own quota, whose
 * usage the registry only reports for a repository that has content.
 */
export function repositoryFigures(name: string, report: RepositoryReport | undefined, quotaBytes: number | undefined): Partial<RepositoryStatus> {
  if (!report) return { tagCount: 0, manifestCount: 0, sizeBytes: 0, ...(quotaBytes !== undefined ? { quotaUsedBytes: 0, quotaLimitBytes: quotaBytes } : {}) };
  const quota = report.quotas.find((q) => q.scope === name);
  return {
    tagCount: report.tagCount,
    manifestCount: report.manifestCount,
    sizeBytes: report.sizeBytes,
    ...(quota ? { quotaUsedBytes: quota.usedBytes, quotaLimitBytes: quota.limitBytes } : {}),
    ...(report.lastPushTime ? { lastPushTime: report.lastPushTime } : {}),
  };
}
