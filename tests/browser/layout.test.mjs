// The first screen works for the lesson: at 1280x800 the architecture and the key chart are in
// view with Play as the one primary action and an incident seconds away; on a 390 px phone,
// Play stays within reach, the architecture runs top to bottom, settings open as a sheet and
// every control is a 44 px target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, withBrowser } from './harness.mjs';

const env = withBrowser();

async function open(width, height, query = '') {
  const errors = [];
  const page = await env.browser.context.newPage();
  await page.setViewportSize({ width, height });
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  await page.goto(`${env.server.url}${query}`);
  await page.getByTestId('play').waitFor({ state: 'attached' });
  return { page, errors };
}

const nowS = (page) => page.evaluate(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS));

test('the first screen at 1280x800 shows the architecture, the status chart and Play, an incident seconds away', async () => {
  const { page, errors } = await open(1280, 800);
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowS === '50.000');
  for (const selector of ['svg.architecture', '[data-testid=chart-status] canvas', '[data-testid=play]']) {
    const box = await page.locator(selector).first().boundingBox();
    assert.ok(box && box.y >= 0 && box.y + Math.min(box.height, 150) <= 800, `${selector} is on the first screen: ${JSON.stringify(box)}`);
  }
  // Play is the one primary action.
  assert.equal(await page.locator('button.primary:visible').count(), 1);
  assert.match(await page.getByTestId('play').getAttribute('class'), /primary/);
  assert.ok(await page.getByTestId('settings-toggle').isVisible(), 'the settings are a click away');
  assert.equal(await page.locator('#settings').isVisible(), false, 'the settings drawer starts closed');
  // Paused 10 virtual seconds before the index goes missing, at 2x: 5 s of wall time away.
  const speed = Number(await page.getByTestId('speed').inputValue());
  assert.ok((60 - (await nowS(page))) / speed <= 10, `speed ${speed}`);
  await page.getByTestId('play').click();
  await page.waitForFunction(() => /Missing index/.test(document.querySelector('[data-testid=caption]')?.textContent ?? ''), null, { timeout: 60_000 });
  assert.match(await page.getByTestId('caption').textContent(), /^t = 60 s\s*Missing index: every query now costs 6000 times more \(5 ms becomes 30\.0 s\)/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a preset picked starts shortly before its trigger, at its speed', async () => {
  const { page, errors } = await open(1280, 800, '?v=2&preset=baseline');
  await page.getByTestId('preset').selectOption('sick-instance');
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowS === '20.000');
  assert.equal(await page.getByTestId('speed').inputValue(), '2');
  assert.match(await page.getByTestId('caption').textContent(), /Fast-forwarded to 20 s/);
  await page.getByTestId('play').click();
  await page.waitForFunction(() => /Instance 2 loses its database connection/.test(document.querySelector('[data-testid=captions]')?.textContent ?? ''), null, { timeout: 60_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('on a 390 px phone: Play in reach at the bottom, a vertical architecture, a settings sheet, 44 px targets', async () => {
  const { page, errors } = await open(390, 844);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page is ${width} px wide`);
  // The transport bar stays at the bottom of the screen wherever the page is scrolled.
  for (const y of [0, 3000]) {
    await page.evaluate((y) => window.scrollTo(0, y), y);
    const bar = await page.getByTestId('phone-play').boundingBox();
    assert.ok(bar && bar.y + bar.height <= 844 && bar.y + bar.height > 780, `Play at ${JSON.stringify(bar)} after scrolling to ${y}`);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  // The architecture is drawn top to bottom, fitting the screen.
  const svg = page.locator('svg.architecture');
  assert.match(await svg.getAttribute('class'), /vertical/);
  const svgBox = await svg.boundingBox();
  assert.ok(svgBox.width <= 390, `architecture ${svgBox.width} px wide`);
  const y0 = (await page.getByTestId('instance-0').boundingBox()).y;
  const y1 = (await page.getByTestId('instance-1').boundingBox()).y;
  assert.ok(y1 > y0 + 20, 'instances are stacked');
  // Every visible control is at least 44 px tall.
  const small = await page.evaluate(() => [...document.querySelectorAll('button, select, input[type=text], summary')]
    .filter((e) => e.offsetParent !== null && !e.closest('.sr-only'))
    .map((e) => [e.textContent.trim().slice(0, 30) || e.id, e.getBoundingClientRect().height])
    .filter(([, h]) => h < 44));
  assert.deepEqual(small, []);
  // Settings open as a sheet over the whole screen, and close again.
  await page.getByTestId('phone-settings').click();
  const sheet = await page.locator('#settings').boundingBox();
  assert.ok(sheet.x === 0 && sheet.width >= 389 && sheet.height >= 843, `sheet ${JSON.stringify(sheet)}`);
  await page.getByTestId('settings-close').click();
  assert.equal(await page.locator('#settings').isVisible(), false);
  await page.getByTestId('phone-play').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.playing === 'true');
  assert.deepEqual(errors, []);
  await page.close();
});

/** The height of the page and the smallest text on it (HTML and the architecture's SVG, scaled). */
function measure() {
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  let smallest = Infinity;
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el) || el.closest('svg') || el.classList.contains('sr-only')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own) smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize));
  }
  for (const svg of document.querySelectorAll('svg.architecture')) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const t of svg.querySelectorAll('text')) smallest = Math.min(smallest, parseFloat(getComputedStyle(t).fontSize) * scale);
  }
  return { height: document.body.getBoundingClientRect().height, smallest,
    compare: document.querySelectorAll('[data-testid=compare]').length, seed: document.querySelectorAll('#seed').length,
    drawing: document.querySelector('svg.architecture')?.getAttribute('class') ?? '' };
}

test('embed layouts fit a 700 px docs column with text of at least 11 px, and keep A/B and the seed out', async () => {
  const errors = [];
  const sizes = {};
  for (const layout of ['chart', 'diagram', 'compact']) {
    const page = await env.browser.context.newPage();
    await page.setViewportSize({ width: 700, height: 400 });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${env.server.url}?v=2&preset=seed-incident&embed=1&layout=${layout}`);
    await page.getByTestId('clock').waitFor();
    const m = await page.evaluate(measure);
    sizes[layout] = m;
    assert.ok(m.smallest >= 11, `${layout}: text of ${m.smallest.toFixed(1)} px`);
    assert.equal(m.compare + m.seed, 0, `${layout}: A/B or seed shown`);
    await page.close();
  }
  assert.ok(sizes.chart.height <= 500, `chart layout ${sizes.chart.height} px tall`);
  assert.ok(sizes.diagram.height <= 700, `diagram layout ${sizes.diagram.height} px tall`);
  assert.ok(sizes.compact.height <= 700, `compact layout ${sizes.compact.height} px tall`);
  assert.match(sizes.compact.drawing, /dense/, 'a 700 px frame draws the dense architecture');
  assert.deepEqual(errors, []);
});

test('one chart, the architecture and three locked settings fit 700 px at 700 px wide, at rest and at the lesson moment', async () => {
  const errors = [];
  const page = await env.browser.context.newPage();
  await page.setViewportSize({ width: 700, height: 400 });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  const controls = 'db_pool.max_size,db_pool.connection_timeout_ms,database.query_timeout_ms';
  await page.goto(`${env.server.url}?v=2&preset=seed-incident&embed=1&controls=${controls}&lock=1&speed=max&stop=100&autoplay=1`);
  await page.getByTestId('clock').waitFor();
  // The settings are pinned in the page, as plain values: no drawer, no inputs, no "the fix" badge.
  const pinned = page.getByTestId('pinned-settings');
  assert.equal(await pinned.locator('.knob').count(), 3);
  assert.equal(await pinned.locator('input, select').count(), 0);
  assert.equal(await pinned.locator('.lesson-badge').count(), 0);
  assert.equal(await page.getByTestId('knob-db_pool-max_size').textContent(), '10 connections/instance');
  assert.equal(await page.getByTestId('knob-db_pool-connection_timeout_ms').textContent(), 'none');
  assert.equal(await page.getByTestId('settings-toggle').count(), 0);
  const boxes = await pinned.locator('.knob').evaluateAll((ks) => ks.map((k) => k.getBoundingClientRect().top));
  assert.ok(Math.max(...boxes) - Math.min(...boxes) < 1, `the three settings share one row: ${boxes}`);
  // At rest.
  const rest = await page.evaluate(measure);
  // At the lesson moment: the run pauses at 100 s, every pool full and requests waiting.
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowS === '100.000', null, { timeout: 60_000 });
  const moment = await page.evaluate(measure);
  for (const [when, m] of [['at rest', rest], ['at 100 s', moment]]) {
    assert.ok(m.height >= 500 && m.height <= 700, `${when}: ${m.height} px tall`);
    assert.ok(m.smallest >= 11, `${when}: text of ${m.smallest.toFixed(1)} px`);
    assert.match(m.drawing, /dense/);
  }
  assert.match(await page.getByTestId('instance-0').textContent(), /waiting for a connection/);
  assert.match(await page.getByTestId('architecture-legend').textContent(), /95 % or more.*C closed, O open/);
  assert.equal(await page.locator('[data-testid=captions] li').count(), 1, 'one caption line in a compact embed');
  assert.deepEqual(errors, []);
  await page.close();
});
