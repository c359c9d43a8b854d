// Page timings as the UI test and `npm run bench:ui` take them: the page is
// opened at a fresh URL, then reloaded, and the time runs from the reload to the
// moment the awaited element is in the DOM (page, script, session refresh and
// API calls included). Figures, never assertions.
import type { Locator, Page } from 'playwright-core';

export interface Percentiles {
  readonly samples: number;
  readonly p50: number;
  readonly p95: number;
}

/** `samples` reloads of `url(i)`, each timed until `ready` is in the DOM, in ms. */
export async function reloadTimes(page: Page, url: (i: number) => string, ready: Locator, samples: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    await page.goto(url(i));
    const start = Date.now();
    await page.reload();
    await ready.waitFor();
    times.push(Date.now() - start);
  }
  return times;
}

/** Nearest-rank p50 and p95. */
export function percentiles(xs: readonly number[]): Percentiles {
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.max(Math.ceil(sorted.length * q) - 1, 0)];
  return { samples: xs.length, p50: rank(0.5), p95: rank(0.95) };
}
