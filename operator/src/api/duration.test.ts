import { parseDurationSeconds } from './duration.js';

describe('parseDurationSeconds', () => {
  it.each([['90s', 90], ['5m', 300], ['1h30m', 5400], ['720h', 2592000], ['1h0m10s', 3610]])('%s → %d', (text, s) => {
    expect(parseDurationSeconds(text)).toBe(s);
  });
  it.each(['', '1d', '1.5h', 'h', '10'])('rejects "%s"', (text) => {
    expect(() => parseDurationSeconds(text)).toThrow(/invalid duration/);
  });
});
