// An index's findings: the union of its platform manifests' findings, one entry
// per (advisory, package), listing the platforms it was found on.
import type { Platform } from '../inventory/model.js';
import { findingKey, type Finding } from './matcher.js';

export interface PlatformFindings {
  readonly digest: string;
  readonly platform?: Platform;
  readonly findings: readonly Finding[];
}

export interface AggregatedFinding extends Finding {
  /** "os/arch[/variant]" of every child manifest that has it. */
  readonly platforms: readonly string[];
}

export function aggregateFindings(children: readonly PlatformFindings[]): AggregatedFinding[] {
  const byKey = new Map<string, AggregatedFinding>();
  for (const child of children) {
    const p = child.platform ? `${child.platform.os}/${child.platform.architecture}${child.platform.variant ? `/${child.platform.variant}` : ''}` : child.digest;
    for (const f of child.findings) {
      const key = findingKey(f);
      const seen = byKey.get(key);
      byKey.set(key, seen ? { ...seen, platforms: [...seen.platforms, p] } : { ...f, platforms: [p] });
    }
  }
  return [...byKey.values()];
}
