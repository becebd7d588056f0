// The embed: the lab in a sandboxed frame on another origin, under a strict
// Content-Security-Policy, resized and driven by its host page through postMessage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serveStatic, launchBrowser, ROOT } from './harness.mjs';

// The headers docs/embedding.md recommends for the app.
const APP_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";
const HOST_CSP = "default-src 'self'; frame-src http://127.0.0.1:*; object-src 'none'; base-uri 'none'";
let app, host, otherHost, browser;

before(async () => {
  app = await serveStatic(undefined, {
    'content-security-policy': APP_CSP,
    'access-control-allow-origin': '*',
  });
  host = await serveStatic(join(ROOT, 'examples/embed'), { 'content-security-policy': HOST_CSP });
  otherHost = await serveStatic(join(ROOT, 'examples/embed'), { 'content-security-policy': HOST_CSP });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  for (const s of [app, host, otherHost]) await s?.close();
});

/** Opens the example host page (on `server`), recording console errors of every frame. */
async function openHost(server, extra = '') {
  const errors = [];
  const page = await browser.context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}?app=${encodeURIComponent(app.url)}${extra}`);
  return { page, errors };
}

const labFrame = (page) => page.frames().find((f) => f.url().startsWith(app.url));

test('the sandboxed embed reports its height, obeys its host and reports events, with no CSP violation', async () => {
  const { page, errors } = await openHost(host);
  // The frame tells its host its content height, and the host resizes it.
  await page.waitForFunction(() => Number(document.getElementById('height').textContent) > 200, null, { timeout: 30_000 });
  const frame = labFrame(page);
  assert.ok(frame, 'the lab frame is loaded');
  // Compact: only the requested panels and settings.
  assert.equal(await frame.locator('[data-testid=preset]').count(), 0);
  assert.equal(await frame.locator('canvas').count(), 2);
  assert.equal(await frame.locator('.knob').count(), 2);
  // Commands: play runs it to the stop time (150 s), and the events come back.
  await page.click('#play');
  await page.locator('#events li[data-event="breaker_opened"]').first().waitFor({ timeout: 60_000 });
  await page.locator('#events li[data-event="stopped"]').waitFor({ timeout: 60_000 });
  assert.equal(await frame.locator('[data-testid=clock]').getAttribute('data-now-s'), '150.000');
  await page.click('#state');
  await page.waitForFunction(() => document.getElementById('state-out').textContent.includes('upstream-hang-fixed at 150.0 s, paused'));
  // Load another preset from the host.
  await page.selectOption('#preset', 'baseline');
  await page.click('#load');
  await page.click('#state');
  await page.waitForFunction(() => document.getElementById('state-out').textContent.startsWith('baseline at 0.0 s'));
  // No storage, no CSP violation, no console error, in the host or in the frame.
  assert.equal(await page.locator('#violations li').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('commands from an origin that is not allowed are ignored', async () => {
  // The other host tells the lab to obey only the first host's origin.
  const { page, errors } = await openHost(otherHost, `&allow=${encodeURIComponent(host.url.slice(0, -1))}`);
  await page.waitForFunction((app) => [...document.querySelectorAll('iframe')].some((f) => f.src.startsWith(app)), app.url);
  let frame;
  await page.waitForFunction(() => true);
  for (let i = 0; i < 100 && !(frame = labFrame(page)); i++) await page.waitForTimeout(100);
  await frame.locator('[data-testid=clock]').waitFor();
  await page.click('#play');
  await page.click('#state');
  await page.waitForTimeout(1_000);
  assert.equal(await frame.locator('[data-testid=clock]').getAttribute('data-now-s'), '0.000');
  assert.equal(await page.locator('#state-out').textContent(), 'not asked');
  // Not even its height: with an allow-list, the lab talks to the allowed origins only.
  assert.equal(await page.locator('#events li').count(), 0);
  assert.equal(await page.locator('#height').textContent(), 'none yet');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the app itself runs under the strict CSP, and a bad embed parameter is named', async () => {
  const errors = [];
  const page = await browser.context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${app.url}?v=1&preset=baseline&embed=1&panels=charts,bogus&stop=-3&autoplay=1`);
  const notice = page.getByTestId('link-error');
  await notice.waitFor();
  assert.match(await notice.textContent(), /panels: "bogus" is not one of/);
  assert.match(await notice.textContent(), /stop: "-3"/);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS) > 0.5);
  assert.deepEqual(errors, []);
  await page.close();
});
