// The <outage-lab> element on a dark docs page from another origin, under strict
// Content-Security-Policies: click-to-load (no frame until clicked), the frame sized to its
// content as it grows and shrinks, the lab's events as DOM events, its commands as methods, the
// theme switched by the host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serveStatic, launchBrowser, ROOT } from './harness.mjs';

const APP_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";
const HOST_CSP = "default-src 'self'; script-src 'self' http://127.0.0.1:*; frame-src http://127.0.0.1:*; object-src 'none'; base-uri 'none'";
let app, host, browser;

before(async () => {
  app = await serveStatic(undefined, { 'content-security-policy': APP_CSP, 'access-control-allow-origin': '*' });
  host = await serveStatic(join(ROOT, 'examples/element'), { 'content-security-policy': HOST_CSP });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  for (const s of [app, host]) await s?.close();
});

test('the element loads on click, sizes its frame both ways, reports events and obeys its methods', async () => {
  const errors = [];
  const page = await browser.context.newPage();
  // Tall enough that no click scrolls the frame out of view: Chromium does not run animation
  // frames in a cross-origin frame that is off screen, so the run would wait there.
  await page.setViewportSize({ width: 1280, height: 2400 });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${host.url}?app=${encodeURIComponent(app.url)}`);
  // Click-to-load: a placeholder and no frame until clicked.
  const lazy = page.locator('#lazy-slot');
  await lazy.getByTestId('outage-lab-load').waitFor();
  assert.equal(await lazy.locator('iframe').count(), 0);
  // The eager one reports its height and the host sizes the frame.
  await page.waitForFunction(() => Number(document.getElementById('height').textContent) > 100, null, { timeout: 30_000 });
  const frameHeight = () => page.locator('#eager-slot iframe').evaluate((f) => Number(f.height));
  const lab = page.frames().find((f) => f.url().startsWith(app.url) && f.url().includes('seed-incident-fixed'));
  assert.equal(await lab.evaluate(() => document.documentElement.dataset.theme), 'dark');
  const start = await frameHeight();
  await lab.evaluate(() => { const d = document.createElement('div'); d.id = 'tall'; d.style.height = '900px'; document.body.append(d); });
  await page.waitForFunction((h) => Number(document.querySelector('#eager-slot iframe').height) > h + 800, start);
  await lab.evaluate(() => document.getElementById('tall').remove());
  await page.waitForFunction((h) => Number(document.querySelector('#eager-slot iframe').height) <= h + 5, start);
  // Methods: play to the stop time; the event arrives as a DOM event.
  await page.click('#play');
  await page.locator('#events li[data-event=stopped]').waitFor({ timeout: 60_000 });
  await page.click('#state');
  await page.waitForFunction(() => /seed-incident-fixed at 30\.0 s, paused/.test(document.getElementById('state-out').textContent));
  // Subscribed: the last second's figures arrived as DOM events.
  assert.match(await page.locator('#second').textContent(), /^30 s: \d+\.\d % 5xx$/);
  // The host sets a setting; a refused value comes back as an error event naming the field.
  const refused = await page.evaluate(() => new Promise((resolve) => {
    const lab = document.querySelector('#eager-slot outage-lab');
    lab.addEventListener('outage-lab-error', (e) => resolve(e.detail.message), { once: true });
    lab.set('db_pool.max_size', 50);
    lab.set('db_pool.max_size', -1);
  }));
  assert.match(refused, /^set: db_pool\.max_size: /);
  await page.click('#light');
  await lab.waitForFunction(() => document.documentElement.dataset.theme === 'light');
  // The lazy one loads when clicked.
  await lazy.getByTestId('outage-lab-load').click();
  await lazy.locator('iframe').waitFor();
  assert.match(await lazy.locator('iframe').getAttribute('src'), /preset=seed-incident&.*theme=dark.*embed=1&origins=/);
  assert.equal(await page.locator('#violations li').count(), 0, 'no CSP violation');
  // The copied snippet's flags work on a plain static host: no CORS headers at all.
  const plain = await serveStatic();
  try {
    const ready = await page.evaluate((url) => new Promise((resolve) => {
      const f = document.createElement('iframe');
      f.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-downloads');
      f.src = `${url}?v=2&preset=baseline&embed=1&origins=${encodeURIComponent(location.origin)}`;
      window.addEventListener('message', (e) => { if (e.source === f.contentWindow && e.data?.type === 'ready') resolve(e.origin); });
      document.body.append(f);
    }), plain.url);
    assert.equal(ready, new URL(plain.url).origin, 'the frame keeps the lab origin and loads without CORS');
  } finally {
    await plain.close();
  }
  assert.deepEqual(errors, []);
});
