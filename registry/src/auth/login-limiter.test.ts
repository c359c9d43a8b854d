import { LoginLimiter, type LoginLimits } from './login-limiter.js';

const limits: LoginLimits = { maxFailures: 3, windowSeconds: 60, lockoutSeconds: 10, maxLockoutSeconds: 25, failureDelayMs: 100, maxDelayMs: 250 };

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

describe('login limiter', () => {
  test('locks a key after maxFailures within the window, for lockoutSeconds', () => {
    const c = clock();
    const l = new LoginLimiter(limits, c.now);
    l.fail(['user:a']);
    l.fail(['user:a']);
    expect(l.retryAfter(['user:a'])).toBe(0);
    l.fail(['user:a']);
    expect(l.retryAfter(['user:a'])).toBe(10);
    expect(l.retryAfter(['user:b'])).toBe(0);
    c.advance(9_500);
    expect(l.retryAfter(['user:a'])).toBe(1);
    c.advance(500);
    expect(l.retryAfter(['user:a'])).toBe(0);
  });

  test('failures outside the window are forgotten', () => {
    const c = clock();
    const l = new LoginLimiter(limits, c.now);
    l.fail(['user:a']);
    l.fail(['user:a']);
    c.advance(61_000);
    l.fail(['user:a']);
    expect(l.retryAfter(['user:a'])).toBe(0);
  });

  test('repeated lockouts double, up to the bound', () => {
    const c = clock();
    const l = new LoginLimiter(limits, c.now);
    const lockout = () => {
      for (let i = 0; i < 3; i++) l.fail(['addr:1.2.3.4']);
      const s = l.retryAfter(['addr:1.2.3.4']);
      c.advance(s * 1000);
      return s;
    };
    expect([lockout(), lockout(), lockout(), lockout()]).toEqual([10, 20, 25, 25]);
  });

  test('the delay grows past the second failure and is bounded', () => {
    const l = new LoginLimiter({ ...limits, maxFailures: 100 }, clock().now);
    const delays = Array.from({ length: 6 }, () => l.fail(['user:a']));
    expect(delays).toEqual([0, 0, 100, 200, 250, 250]);
  });

  test('a lock on any key (identity or address) applies', () => {
    const l = new LoginLimiter(limits, clock().now);
    for (let i = 0; i < 3; i++) l.fail(['user:x', `addr:10.0.0.${i}`]);
    expect(l.retryAfter(['user:x', 'addr:10.0.0.9'])).toBe(10);
    expect(l.retryAfter(['user:y', 'addr:10.0.0.1'])).toBe(0);
  });

  test('success clears the identity record but not an active lock', () => {
    const c = clock();
    const l = new LoginLimiter(limits, c.now);
    l.fail(['user:a']);
    l.fail(['user:a']);
    l.succeed('user:a');
    l.fail(['user:a']);
    expect(l.retryAfter(['user:a'])).toBe(0);
    l.fail(['user:a']);
    l.fail(['user:a']);
    expect(l.retryAfter(['user:a'])).toBe(10);
    l.succeed('user:a');
    expect(l.retryAfter(['user:a'])).toBe(10);
  });
});
