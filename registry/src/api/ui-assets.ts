// The web UI's files (registry/ui/dist, built by scripts/build-ui.mjs): the page
// at /ui and every client-side route under it, and the hashed assets, which never
// change under their name. Every answer carries a CSP that allows this origin
// only, so the page can load nothing from anywhere else.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request, type Response } from 'express';

export const UI_PATH = '/ui';
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
  + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/** registry/ui/dist, found from this module in the sources or in dist/. */
export function uiDistDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'registry', 'ui', 'dist');
    dir = dirname(dir);
  }
  return join(process.cwd(), 'registry', 'ui', 'dist');
}

function security(res: Response): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

export function mountUi(app: Express, root = uiDistDir()): void {
  const indexFile = join(root, 'index.html');
  let page: Buffer | undefined;
  const sendPage = (_req: Request, res: Response) => {
    security(res);
    page ??= existsSync(indexFile) ? readFileSync(indexFile) : undefined;
    res.setHeader('Cache-Control', 'no-cache');
    if (!page) {
      res.status(503).type('text/plain').send('The web UI is not built: run npm run build.\n');
      return;
    }
    res.status(200).type('text/html').send(page);
  };
  app.use(`${UI_PATH}/assets`, (_req, res, next) => { security(res); next(); }, express.static(join(root, 'assets'), {
    immutable: true, maxAge: '365d', index: false,
  }));
  app.get(UI_PATH, sendPage);
  app.get(`${UI_PATH}/*path`, (req, res, next) => {
    // The session endpoints are the token endpoint's; a missing asset is no page.
    if (req.path.startsWith(`${UI_PATH}/session/`) || req.path.startsWith(`${UI_PATH}/assets/`)) {
      next();
      return;
    }
    sendPage(req, res);
  });
  app.get('/', (_req, res) => { res.redirect(302, `${UI_PATH}/`); });
}
