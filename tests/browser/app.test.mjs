// The live app, driven as a person would: start, change settings, inject faults, load presets,
// share and reopen links, open broken ones, use the keyboard and a phone-sized screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, knobControl, withBrowser, download } from './harness.mjs';

const env = withBrowser();

const clock = (page) => page.getByTestId('clock');
const nowS = async (page) => Number(await clock(page).getAttribute('data-now-s'));
const readout = async (page, id) => Number(await page.getByTestId(id).getAttribute('data-value'));

/** Waits until the virtual clock passes `t` seconds. */
async function runUntil(page, t, timeout = 90_000) {
  await page.waitForFunction(
    (t) => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= t,
    t,
    { timeout },
  );
}


async function open(query = '') {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}${query}`, errors);
  await page.getByRole('heading', { name: 'Outage Lab' }).waitFor();
  return { page, errors };
}

test('play moves the clock, pause stops it, step adds one second', async () => {
  const { page, errors } = await open('?v=1&preset=baseline&speed=10');
  await page.getByTestId('play').click();
  await runUntil(page, 2);
  await page.getByTestId('play').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.playing === 'false');
  const paused = await nowS(page);
  await page.waitForTimeout(300);
  assert.equal(await nowS(page), paused, 'paused means paused');
  await page.getByTestId('step').click();
  await page.waitForFunction((p) => Number(document.querySelector('[data-testid=clock]').dataset.nowS) === Math.floor(p) + 1, paused);
  // Charts and the architecture view are drawn.
  // One canvas per chart (seven), none folded in the first seconds.
  assert.equal(await page.locator('.chart canvas').count(), 7);
  assert.equal(await page.locator('.chart.empty').count(), 0);
  assert.ok(await page.getByTestId('instance-0').isVisible());
  assert.deepEqual(errors, []);
  await page.close();
});

test('a setting changes the running simulation and the link; a bad value is refused and kept', async () => {
  const { page, errors } = await open('?v=1&preset=seed-incident&speed=10');
  await page.getByTestId('play').click();
  await runUntil(page, 1);
  const pool = await knobControl(page, 'knob-db_pool-max_size');
  await pool.fill('50');
  await pool.press('Enter');
  await page.waitForFunction(() => location.search.includes('&z='));
  await page.locator('[data-testid=instance-0] text', { hasText: 'pool' }).filter({ hasText: '/50' }).first().waitFor();
  // A refused value: the reason names the field, the text stays, the run keeps 50.
  await pool.fill('0');
  await pool.press('Enter');
  const error = page.getByTestId('knob-db_pool-max_size-error');
  await error.waitFor();
  assert.match(await error.textContent(), /db_pool\.max_size: is 0; must be from 1 to 1000/);
  assert.equal(await pool.inputValue(), '0');
  assert.equal(await pool.getAttribute('aria-invalid'), 'true');
  const url = page.url();
  assert.ok(!url.includes('max_size%22%3A0'), 'the refused value is not in the link');
  // A setting that needs a restart says so.
  const count = await knobControl(page, 'knob-instances-count');
  await count.fill('6');
  await count.press('Enter');
  await page.getByText('waiting for reset').waitFor();
  assert.equal(await page.locator('[data-testid^=instance-]').count(), 4);
  await page.getByTestId('reset').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid^=instance-]').length === 6);
  assert.deepEqual(errors, []);
  await page.close();
});

test('injecting a missing index makes the 5xx readout rise', async () => {
  const { page, errors } = await open('?v=1&preset=baseline&speed=25');
  await page.getByTestId('play').click();
  await runUntil(page, 15);
  assert.ok((await readout(page, 'readout-5xx')) < 0.01, 'healthy before');
  await page.getByTestId('fault-db_slow').click();
  await page.getByTestId('active-faults').waitFor();
  await page.getByTestId('speed').selectOption('max');
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid=readout-5xx]').dataset.value) > 0.05,
    null,
    { timeout: 90_000 },
  );
  // The fault is on the timeline of the link.
  assert.match(page.url(), /&z=/);
  assert.deepEqual(errors, []);
  await page.close();
});

/** Runs the open preset to its end and returns the summary. */
async function runToEnd(page) {
  // A finished run's result stays until the new run restarts; wait for the new one.
  const before = await page.evaluate(() => document.querySelector('[data-testid=result]')?.dataset.run ?? null);
  await page.getByTestId('run-to-end').click();
  await page.waitForFunction(
    (before) => {
      const result = document.querySelector('[data-testid=result]');
      return result && result.dataset.run !== before;
    },
    before,
    { timeout: 120_000 },
  );
  return JSON.parse(await page.getByTestId('summary-json').textContent());
}

const rate5xx = (s) => {
  const total = Object.values(s).reduce((a, b) => a + b, 0);
  return (s['500'] + s['502'] + s['503'] + s['504']) / total;
};

const PRESET_OUTCOMES = {
  'baseline': async (page, s) => {
    assert.ok(rate5xx(s.status) < 0.01, 'healthy');
    assert.equal(await page.locator('.alert.page').count(), 0, 'no page');
  },
  'seed-incident': async (page, s) => {
    assert.ok(s.status['200'] / s.attempts.arrived < 0.6, 'most requests fail');
    await page.locator('.alert.page[data-rule="error_rate5m"]').waitFor({ state: 'attached' });
  },
  'seed-incident-fixed': async (page) => {
    const incidents = page.getByTestId('incidents');
    await incidents.waitFor({ state: 'attached' });
    assert.match(await incidents.locator('li').first().textContent(), /HikariPool|Connection is not available/, 'the root cause is the first error');
  },
  'upstream-hang': async (_page, s) => {
    assert.ok(s.status['502'] + s.status['504'] > 1000, 'the cascade takes every endpoint down');
  },
  'upstream-hang-fixed': async (_page, s) => {
    assert.ok(s.breaker.opened > 0, 'the breakers open');
    assert.equal(s.status['502'], 0);
  },
  'cache-stampede': async (page) => {
    // Coalescing: switch it on and the database loads per expiry fall.
    const before = JSON.parse(await page.getByTestId('summary-json').textContent());
    await (await knobControl(page, 'knob-cache-stampede_protection')).selectOption('coalescing');
    const after = await runToEnd(page);
    assert.ok(after.db.queries * 10 < before.db.queries, `${after.db.queries} vs ${before.db.queries} queries`);
  },
  'retry-storm': async (_page, s) => {
    assert.ok(s.amplification > 2, `amplification ${s.amplification}`);
  },
  'retry-contention': async (_page, s) => {
    assert.ok(s.retries > s.requests.arrived, 'retries dominate without backoff');
  },
  'sick-instance': async (page, s) => {
    assert.ok(rate5xx(s.status) > 0.03, 'the shallow check keeps the sick instance');
    await (await knobControl(page, 'knob-load_balancer-health_check-kind')).selectOption('deep');
    const deep = await runToEnd(page);
    assert.ok(rate5xx(deep.status) < 0.01, `a deep check pulls it out: ${rate5xx(deep.status)}`);
  },
  'lying-200': async (page, s) => {
    assert.equal(rate5xx(s.status_seen), 0, 'monitoring sees nothing');
    assert.ok(s.status['500'] > 0, 'users do fail');
    assert.equal(await page.locator('.alert').count(), 0, 'and no alert fires');
  },
  'mmc': async (_page, s) => {
    assert.ok(Math.abs(s.queue_wait_ms.mean - 1.785) / 1.785 < 0.15, `mean wait ${s.queue_wait_ms.mean}`);
  },
};

for (const [preset, check] of Object.entries(PRESET_OUTCOMES)) {
  test(`preset ${preset} shows its lesson`, async () => {
    const { page, errors } = await open();
    await page.getByTestId('preset').selectOption(preset);
    await page.waitForFunction((p) => location.search.includes(`preset=${p}`), preset);
    assert.ok((await page.getByTestId('lesson').textContent()).includes('Watch:'));
    const summary = await runToEnd(page);
    await check(page, summary);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('a copied link reopens the same state and the same run', async () => {
  const { page, errors } = await open('?v=1&preset=upstream-hang-fixed');
  const seed = page.getByTestId('seed');
  await seed.fill('977');
  await seed.press('Enter');
  await page.getByTestId('speed').selectOption('50');
  const readTimeout = await knobControl(page, 'knob-upstream-read_timeout_ms');
  await readTimeout.fill('1500');
  await readTimeout.press('Enter');
  await page.getByTestId('play').click();
  await runUntil(page, 30);
  await page.getByTestId('fault-upstream_down_fast').click();
  await page.getByTestId('active-faults').waitFor();
  const link = await page.getByTestId('share-link').inputValue();
  const first = await runToEnd(page);

  const again = await env.browser.context.newPage();
  const errors2 = [];
  again.on('console', (m) => { if (m.type() === 'error') errors2.push(m.text()); });
  await again.goto(link);
  assert.equal(await again.getByTestId('seed').inputValue(), '977');
  assert.equal(await again.getByTestId('speed').inputValue(), '50');
  assert.equal(await again.getByTestId('preset').inputValue(), 'upstream-hang-fixed');
  assert.equal(await again.getByTestId('knob-upstream-read_timeout_ms').inputValue(), '1500');
  const second = await runToEnd(again);
  assert.deepEqual(second, first, 'the same run, injected fault included');
  assert.deepEqual(errors, []);
  assert.deepEqual(errors2, []);
  await again.close();
  await page.close();
});

test('a broken or unknown link says so and opens the default scenario', async () => {
  for (const [query, words] of [
    ['?v=1&preset=black-friday-2031', /preset: "black-friday-2031" is not a preset/],
    ['?v=7&preset=baseline', /newer version/],
    ['?v=1&preset=baseline&d=%%%', /broken %-escape|base64/],
    ['?v=1&preset=baseline&d=eyJkYl9wb29sIjp7Im1heF9zaXplIjowfX0', /db_pool\.max_size: is 0/],
  ]) {
    const { page, errors } = await open(query);
    const message = page.getByTestId('link-error');
    await message.waitFor();
    assert.match(await message.textContent(), words, query);
    assert.equal(await page.getByTestId('preset').inputValue(), 'baseline');
    await page.getByTestId('play').click();
    await runUntil(page, 0.5);
    assert.deepEqual(errors, [], query);
    await page.close();
  }
});

test('everything works from the keyboard, with visible focus', async () => {
  const { page, errors } = await open('?v=1&preset=baseline&speed=10');
  await page.keyboard.press('Tab'); // skip link
  let reached = false;
  for (let i = 0; i < 10 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.dataset?.testid === 'play');
  }
  assert.ok(reached, 'play is reachable by Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  await runUntil(page, 1);
  // A setting by keyboard: focus the pool size field, type, Enter.
  await (await knobControl(page, 'knob-db_pool-max_size')).focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('12');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.search.includes('&z='));
  // Every control has an accessible name.
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, button')]
      .filter((el) => !el.closest('[hidden]'))
      .filter((el) => {
        const label = el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim();
        return !label;
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unnamed, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('alerts and breaker openings are announced; a log line shows its request path', async () => {
  const { page, errors } = await open('?v=1&preset=upstream-hang-fixed&speed=max');
  await page.getByTestId('play').click();
  await page.waitForFunction(
    () => /Circuit breaker opened/.test(document.querySelector('[data-testid=announcer]').textContent)
      || document.querySelector('[data-breaker="breaker OPEN"]'),
    null,
    { timeout: 90_000 },
  );
  await page.getByTestId('play').click();
  await page.getByTestId('log-filter').selectOption('breaker_open');
  const line = page.locator('.log-lines button').first();
  await line.click();
  const trace = page.getByTestId('trace');
  await trace.waitFor();
  const text = await trace.textContent();
  assert.match(text, /reached the load balancer/);
  assert.match(text, /got a worker thread/);
  assert.match(text, /ended: 503/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the layout fits a 390 px phone and a 1280 px screen without sideways scrolling', async () => {
  for (const width of [390, 1280]) {
    const { page, errors } = await open('?v=1&preset=seed-incident');
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(100);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scroll <= width, `${width}: page is ${scroll} px wide`);
    // On a phone, Play sits in the bar at the bottom of the screen.
    assert.ok(await page.getByTestId(width <= 640 ? 'phone-play' : 'play').isVisible());
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('reduced motion stops the flow animation', async () => {
  const page = await env.browser.context.newPage();
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(`${env.server.url}?v=1&preset=baseline&speed=10`);
  await page.getByTestId('play').click();
  await runUntil(page, 2);
  const animation = await page.evaluate(() => getComputedStyle(document.querySelector('.flow:not(.idle)')).animationName);
  assert.equal(animation, 'none');
  await page.close();
});

test('A/B: side B copies the run, differs only where changed, and the link keeps both sides', async () => {
  const { page, errors } = await open('?v=2&preset=seed-incident&speed=max');
  await page.getByTestId('compare').click();
  await page.getByTestId('editing-side').waitFor();
  assert.match(await page.getByTestId('editing-side').textContent(), /side B/);
  for (const [id, value] of [['knob-db_pool-max_size', '50'], ['knob-db_pool-connection_timeout_ms', '5000']]) {
    const field = await knobControl(page, id);
    await field.fill(value);
    await field.press('Enter');
  }
  await page.getByTestId('ab-differs').waitFor();
  assert.match(await page.getByTestId('ab-differs').textContent(), /db_pool\.max_size, db_pool\.connection_timeout_ms/);
  await page.waitForFunction(() => location.search.includes('&b='));
  const link = await page.getByTestId('share-link').inputValue();
  await runToEnd(page);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=ab-requests-b]').dataset.value) > 0);
  const value = async (id) => Number(await page.getByTestId(id).getAttribute('data-value'));
  // Common random numbers: the same users arrive on both sides.
  assert.equal(await value('ab-requests-a'), await value('ab-requests-b'));
  assert.ok(await value('ab-succeeded-b') > await value('ab-succeeded-a'), 'the fix saves requests');
  // Two canvases per chart with something to show (no breaker here: that chart folds).
  const shown = await page.locator('.chart:not(.empty)').count();
  assert.equal(await page.locator('.ab-pair canvas').count(), 2 * shown);
  assert.equal(shown, 6);
  // Side A's settings were not touched.
  await page.getByTestId('edit-a').click();
  assert.equal(await page.getByTestId('knob-db_pool-max_size').inputValue(), '10');
  // The link reopens both sides.
  const again = await env.browser.context.newPage();
  await again.goto(link);
  await again.getByTestId('ab-summary').waitFor();
  assert.match(await again.getByTestId('ab-differs').textContent(), /db_pool\.max_size/);
  await again.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test('exports: metrics, log, scenario and charts download, and the scenario imports back', async () => {
  // Not at max speed: the pause must land before the run ends (a click at the end restarts it).
  const { page, errors } = await open('?v=2&preset=sick-instance&seed=5&speed=50');
  await page.getByTestId('play').click();
  await runUntil(page, 60);
  await page.getByTestId('play').click();
  const csv = await download(page, 'export-csv');
  assert.equal(csv.name, 'outage-lab-sick-instance-seed5-metrics.csv');
  const lines = csv.text.trim().split('\n');
  assert.match(lines[0], /^t_s,arrivals,status_200,status_500/);
  assert.ok(lines.length >= 61, `${lines.length} lines`);
  const json = JSON.parse((await download(page, 'export-json')).text);
  assert.equal(json.length, lines.length - 1);
  assert.ok(json[40].status['500'] > 0, 'the sick instance fails requests');
  const logs = (await download(page, 'export-logs')).text.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(logs.some((e) => e.error_class === 'db_unreachable'));
  const svg = await download(page, 'svg-status');
  assert.match(svg.text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg.text, /Responses by true status/);
  const png = await download(page, 'png-latency');
  assert.equal(png.name, 'outage-lab-sick-instance-seed5-latency.png');

  // The scenario file imports back: same settings, same link.
  const scenario = await download(page, 'export-scenario');
  const linkBefore = await page.getByTestId('share-link').inputValue();
  const again = await env.browser.context.newPage();
  const errors2 = [];
  again.on('console', (m) => { if (m.type() === 'error') errors2.push(m.text()); });
  await again.goto(`${env.server.url}`);
  await again.getByTestId('import-file').setInputFiles({ name: scenario.name, mimeType: 'application/json', buffer: Buffer.from(scenario.text) });
  await again.waitForFunction(() => document.querySelector('[data-testid=lesson] h2').textContent.includes('shallow health check'));
  const parts = (await again.getByTestId('share-link').inputValue()).split('?')[1];
  assert.equal(new URLSearchParams(parts).get('seed'), '5');
  assert.ok(linkBefore.length > 0 && parts.length < 2000, `${parts.length} characters`);
  assert.deepEqual(errors2, []);
  await again.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a broken scenario file, picked or dropped, lists every problem and leaves the run alone', async () => {
  const { page, errors } = await open('?v=2&preset=baseline&speed=25');
  await page.getByTestId('play').click();
  await runUntil(page, 3);
  await page.getByTestId('play').click();
  const before = await page.getByTestId('clock').getAttribute('data-now-s');
  const linkBefore = await page.getByTestId('share-link').inputValue();
  const bad = JSON.stringify({
    version: 1, duration_s: 60,
    traffic: { rate: [{ kind: 'constant', rps: 10 }], endpoints: [{ name: 'GET /', weight: 1, steps: [{ kind: 'cpu', duration: { kind: 'constant', ms: 1 } }] }] },
    db_pool: { max_size: 0, max_sise: 3 }, cache: { ttl_ms: -5 },
  });
  await page.getByTestId('import-file').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(bad) });
  const problems = page.getByTestId('import-problems');
  await problems.waitFor();
  const text = await problems.textContent();
  assert.match(text, /broken\.json was not opened \(3 problems\)/);
  for (const words of [/db_pool\.max_sise: unknown field/, /db_pool\.max_size: is 0/, /cache\.ttl_ms: is -5/]) assert.match(text, words);
  assert.equal(await page.getByTestId('clock').getAttribute('data-now-s'), before);
  assert.equal(await page.getByTestId('share-link').inputValue(), linkBefore);
  // Dropped: not JSON at all.
  await page.getByTestId('drop-zone').evaluate((zone) => {
    const data = new DataTransfer();
    data.items.add(new File(['{ not json'], 'notes.txt', { type: 'text/plain' }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => document.querySelector('[data-testid=import-problems]').textContent.includes('notes.txt'));
  assert.match(await problems.textContent(), /\(file\): /);
  assert.equal(await page.getByTestId('clock').getAttribute('data-now-s'), before);
  assert.deepEqual(errors, []);
  await page.close();
});
