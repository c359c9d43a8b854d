// The node tests' figures: one `[figure] what: value` line each on stderr, which the
// docs and closing notes quote, and the seconds since a start, to one decimal.
export const figure = (what: string, value: string): void => { process.stderr.write(`[figure] ${what}: ${value}\n`); };
export const seconds = (since: number): string => ((Date.now() - since) / 1000).toFixed(1);
