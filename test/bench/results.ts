// Collects measurements (one value per server per row) and renders them as a
// text table with Berth/other ratios, plus a JSON file for docs/BENCHMARKS.md.

export interface Row {
  readonly storage: 'filesystem' | 's3';
  readonly workload: string;
  readonly unit: string;
  /** Whether a bigger number is better (throughput) or worse (latency, memory). */
  readonly higherIsBetter: boolean;
  readonly values: Record<string, number>;
}

export class Results {
  readonly rows: Row[] = [];
  readonly limits: Record<string, number> = {};
  readonly notes: string[] = [];

  /** Records a figure; repeated measurements keep the best (runs alternate between servers), or the worst for peaks. */
  record(storage: Row['storage'], workload: string, unit: string, higherIsBetter: boolean, server: string, value: number,
    keep: 'best' | 'worst' = 'best'): void {
    let row = this.rows.find((r) => r.storage === storage && r.workload === workload && r.unit === unit);
    if (!row) {
      row = { storage, workload, unit, higherIsBetter, values: {} };
      this.rows.push(row);
    }
    const old = row.values[server];
    const preferBigger = keep === 'best' ? higherIsBetter : !higherIsBetter;
    row.values[server] = old === undefined ? value : preferBigger ? Math.max(old, value) : Math.min(old, value);
  }

  value(storage: Row['storage'], workload: string, unit: string, server: string): number | undefined {
    return this.rows.find((r) => r.storage === storage && r.workload === workload && r.unit === unit)?.values[server];
  }

  render(servers: readonly string[]): string {
    const others = servers.filter((s) => s !== 'berth');
    const header = ['storage', 'workload', 'unit', ...servers, ...others.map((o) => `berth/${o}`)];
    const lines: string[][] = [header];
    // Rows of one workload together, workloads in the order they ran.
    const order = [...new Set(this.rows.map((r) => `${r.storage} ${r.workload}`))];
    const rows = [...this.rows].sort((a, b) => order.indexOf(`${a.storage} ${a.workload}`) - order.indexOf(`${b.storage} ${b.workload}`));
    for (const r of rows) {
      const cells = [r.storage === 's3' ? 's3' : 'fs', r.workload, r.unit + (r.higherIsBetter ? '' : ' (lower=better)')];
      for (const s of servers) cells.push(r.values[s] === undefined ? '-' : formatNumber(r.values[s]));
      for (const o of others) {
        const b = r.values.berth;
        const v = r.values[o];
        cells.push(b === undefined || v === undefined || v === 0 ? '-' : `${(b / v).toFixed(2)}x`);
      }
      lines.push(cells);
    }
    const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
    return lines.map((l) => l.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
  }

  toJSON(): object {
    return { rows: this.rows, limits: this.limits, notes: this.notes };
  }
}

export function formatNumber(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export const MiB = 1024 * 1024;
