// Peak resident memory of a server process during a workload: the kernel's
// high-water mark (VmHWM, reset through /proc/<pid>/clear_refs first) and the
// largest VmRSS seen by polling, whichever is larger.
import { readFileSync, writeFileSync } from 'node:fs';

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

export class RssSampler {
  private peakKiB = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, intervalMs = 25) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
    } catch {
      // not permitted: the polled maximum still bounds the peak from below
    }
    this.peakKiB = statusKiB(pid, 'VmRSS');
    this.timer = setInterval(() => {
      try {
        this.peakKiB = Math.max(this.peakKiB, statusKiB(pid, 'VmRSS'));
      } catch {
        // process gone
      }
    }, intervalMs);
  }

  /** Stops polling; resolves the peak in MiB. */
  stop(): number {
    clearInterval(this.timer);
    try {
      this.peakKiB = Math.max(this.peakKiB, statusKiB(this.pid, 'VmHWM'), statusKiB(this.pid, 'VmRSS'));
    } catch {
      // process gone
    }
    return this.peakKiB / 1024;
  }
}

export function currentRssMiB(pid: number): number {
  return statusKiB(pid, 'VmRSS') / 1024;
}
