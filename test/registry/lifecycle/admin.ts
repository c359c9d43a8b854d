// The admin API calls lifecycle tests make: a GC run and a quota scope's usage.
export async function runGc(url: string, dryRun = false, headers: Record<string, string> = {}): Promise<GcResponse> {
  const res = await fetch(`${url}/admin/gc?dryRun=${dryRun}`, { method: 'POST', headers });
  if (res.status !== 200) throw new Error(`GC answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as GcResponse;
}

export interface GcResponse {
  status: 'done';
  report: {
    dryRun: boolean; repositories: number; manifestsMarked: number; blobsMarked: number; blobsDeleted: number; bytesFreed: number;
    layerLinksDeleted: number; restored: number; recovered: number; aborted: boolean; durationSeconds: number;
    manifestsDeleted: { repository: string; digest: string; reason: string }[];
  };
  retention?: { deleted: { kind: string; name: string }[]; wouldDelete: { kind: string; name: string }[] };
}

export async function quotaUsed(url: string, scope: string): Promise<number> {
  const res = await fetch(`${url}/admin/quotas`);
  const body = (await res.json()) as { quotas: { scope: string; usedBytes: number }[] };
  const entry = body.quotas.find((q) => q.scope === scope);
  if (!entry) throw new Error(`no quota scope ${scope}`);
  return entry.usedBytes;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
