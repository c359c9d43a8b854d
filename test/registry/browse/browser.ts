// Debian's Chromium driven by playwright-core for the UI tests: a page signed in
// as an identity (or anonymous), every CSP violation and every request to
// another origin collected for the run, and screenshots into docs/ui/.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../harness/registry-process.js';

const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(REPO_ROOT, 'docs', 'ui');

export interface Identity {
  readonly username: string;
  readonly password: string;
}

export interface Tab {
  readonly context: BrowserContext;
  readonly page: Page;
}

export class BrowserRun {
  readonly violations: string[] = [];
  readonly foreign: string[] = [];

  private constructor(private readonly browser: Browser, private readonly origin: string) {}

  static async launch(origin: string): Promise<BrowserRun> {
    await mkdir(SHOTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'], headless: true, timeout: 30_000 });
    return new BrowserRun(browser, origin);
  }

  async session(who?: Identity, viewport = { width: 1280, height: 800 }, dark = false): Promise<Tab> {
    const context = await this.browser.newContext({ viewport, colorScheme: dark ? 'dark' : 'light' });
    // Runs in the page before its scripts (outside its CSP): collects every violation report.
    await context.addInitScript({ content: `document.addEventListener('securitypolicyviolation', (e) => {
      (window.cspViolations = window.cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI);
    });` });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('request', (r) => { if (!r.url().startsWith(this.origin) && !r.url().startsWith('data:')) this.foreign.push(r.url()); });
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) this.violations.push(m.text()); });
    if (who) {
      await page.goto(`${this.origin}/ui/#/login`);
      await page.getByLabel('Username').fill(who.username);
      await page.getByLabel('Password').fill(who.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('who').filter({ hasText: who.username }).waitFor();
    } else {
      await page.goto(`${this.origin}/ui/`);
      await page.getByTestId('who').waitFor();
    }
    return { context, page };
  }

  /** Closes the tab after collecting the violations its page saw. */
  async close({ context, page }: Tab): Promise<void> {
    this.violations.push(...await page.evaluate<string[]>('window.cspViolations || []'));
    await context.close();
  }

  async stop(): Promise<void> {
    await this.browser.close();
  }
}

/** A screenshot of the page as docs/ui/<name>.png: the viewport, or the whole page. */
export async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}
