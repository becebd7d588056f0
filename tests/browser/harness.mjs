// Shared by the browser tests: a static server for dist/ and a headless Chromium from apt.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

/**
 * Serves `dir` (default: dist/) on a free loopback port, under the path `prefix` (default `/`);
 * resolves to { url, close }, `url` ending with the prefix.
 */
export async function serveStatic(dir = join(ROOT, 'dist'), headers = {}, prefix = '/') {
  const server = createServer(async (req, res) => {
    const requested = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!requested.startsWith(prefix)) { res.writeHead(404).end('not found'); return; }
    const path = normalize('/' + requested.slice(prefix.length));
    let file = join(dir, path);
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}${prefix}`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Launches headless Chromium with the flags that work on these machines. */
export async function launchBrowser() {
  const userDataDir = await mkdtemp(join(tmpdir(), 'outage-lab-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => { await context.close(); await rm(userDataDir, { recursive: true, force: true }); },
  };
}

/** Opens a page that records console errors and uncaught exceptions into `errors`. */
export async function openPage(context, url, errors) {
  const page = await context.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(url);
  return page;
}

export { ROOT };

/** Opens the settings drawer if it is closed (the main page starts with it closed). */
export async function openSettings(page) {
  const toggle = page.locator('[data-testid=settings-toggle]:visible, [data-testid=phone-settings]:visible').first();
  if ((await toggle.count()) > 0 && (await toggle.getAttribute('aria-expanded')) === 'false') {
    await toggle.click();
  }
}

/** Opens the settings drawer and the group holding `testid` if closed; returns the control. */
export async function knobControl(page, testid) {
  await openSettings(page);
  const control = page.getByTestId(testid);
  if (!(await control.isVisible())) {
    await control.evaluate((el) => el.closest('details').querySelector('summary').click());
  }
  await control.waitFor();
  return control;
}

/**
 * Serves dist/ and launches Chromium once for the calling test file (registered as its
 * `before` and `after` hooks); the returned object holds `server` and `browser` once started.
 */
export function withBrowser() {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await serveStatic();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** Clicks `testid` and returns the downloaded file's name and text. */
export async function download(page, testid) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  const chunks = [];
  for await (const c of await file.createReadStream()) chunks.push(c);
  return { name: file.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
}
