// The screen tells the truth at the moments that teach: the headline counts what users
// experienced, stuck threads show beside requests in flight, an overloaded database is not
// called healthy, faults are named in words, and a balancer failing open says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, knobControl, withBrowser, download } from './harness.mjs';

const env = withBrowser();

async function open(query) {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}${query}`, errors);
  await page.getByTestId('play').waitFor();
  return { page, errors };
}

/** Plays a page opened with `stop=t` until it pauses there, exactly at `t` seconds. */
async function playToStop(page, t) {
  await page.getByTestId('play').click();
  await page.waitForFunction(
    (t) => document.querySelector('[data-testid=clock]').dataset.nowS === t.toFixed(3), t, { timeout: 90_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.playing === 'false');
}

/** Plays until the clock passes `t` seconds, then pauses (at speed, some seconds later). */
async function playTo(page, t) {
  await page.getByTestId('play').click();
  await page.waitForFunction(
    (t) => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= t, t, { timeout: 90_000 });
  await page.getByTestId('play').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.playing === 'false');
}

const value = async (page, id) => Number(await page.getByTestId(id).getAttribute('data-value'));

test('in a hang, the headline counts the users whose requests timed out, and the stuck threads', async () => {
  // Paused at exactly 100 s: the last ten seconds hold the client timeouts of the requests
  // accepted before the queues filled (later, every failure is a refusal, a 5xx).
  const { page, errors } = await open('?v=2&preset=upstream-hang&speed=50&stop=100');
  await playToStop(page, 100);
  const failed = await value(page, 'readout-failed');
  const fiveXx = await value(page, 'readout-5xx');
  assert.ok(failed > fiveXx + 0.05, `users failed ${failed} vs 5xx ${fiveXx}: client timeouts count`);
  assert.ok(await value(page, 'readout-goodput') < 50, 'almost nothing succeeds');
  assert.ok(failed > 0.8, `the headline says most users fail: ${failed}`);
  assert.ok(await value(page, 'readout-threads') >= 700, 'the stuck threads are in the headline');
  assert.match(await page.getByTestId('readout-threads').textContent(), /\/800/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('faults are named in words, in "Active now" and on the chart bands', async () => {
  const { page, errors } = await open('?v=2&preset=seed-incident&speed=50&stop=65');
  await playToStop(page, 65);
  const active = await page.getByTestId('active-faults').textContent();
  assert.match(active, /Missing index/);
  assert.doesNotMatch(active, /db_slow/);
  const { text: svg } = await download(page, 'svg-status');
  assert.match(svg, />Missing index<\/text>/);
  assert.doesNotMatch(svg, /db_slow/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an overloaded database is not called healthy', async () => {
  const { page, errors } = await open('?v=2&preset=baseline&speed=10');
  for (const [id, v] of [['knob-traffic-rate', '2000'], ['knob-database-cores', '1']]) {
    const field = await knobControl(page, id);
    await field.fill(v);
    await field.press('Enter');
  }
  await playTo(page, 4);
  const db = page.getByTestId('database');
  assert.match(await db.textContent(), /overloaded: every core busy/);
  assert.doesNotMatch(await db.textContent(), /healthy/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a balancer failing open says so, and why traffic still flows with 0 in rotation', async () => {
  const { page, errors } = await open('?v=2&preset=seed-incident-fixed&speed=50');
  await page.getByTestId('play').click();
  await page.getByTestId('failing-open').waitFor({ timeout: 90_000 });
  await page.getByTestId('play').click();
  assert.match(await page.getByTestId('failing-open').textContent(), /fails open/);
  assert.match(await page.locator('svg.architecture').textContent(), /0 in rotation\s*failing open/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('in a total outage latency is not zero: p99 of successes reads "–", failures and the oldest wait show', async () => {
  // Paused at exactly 100 s: from 106 s on no request waits at all (every thread is stuck, the
  // accept queues are full and the balancer's connections are refused at once).
  const { page, errors } = await open('?v=2&preset=upstream-hang&speed=50&stop=100');
  await playToStop(page, 100);
  assert.ok(await value(page, 'readout-goodput') < 1, 'nothing succeeds');
  assert.equal(await page.getByTestId('readout-p99').getAttribute('data-value'), 'none');
  assert.match(await page.getByTestId('readout-p99').textContent(), /–/);
  assert.doesNotMatch(await page.getByTestId('readout-p99').textContent(), /0 ms/);
  assert.ok(await value(page, 'readout-p99-failed') > 0, 'failures have a latency');
  const oldest = await value(page, 'readout-oldest');
  assert.ok(oldest >= 10_000, `requests have waited for seconds: ${oldest} ms`);
  // In A/B the broken side does not read as faster: both sides say "–" for successes.
  await page.getByTestId('compare').click();
  await page.getByTestId('ab-summary').waitFor();
  assert.match(await page.getByTestId('ab-p99-a').textContent(), /–/);
  assert.match(await page.getByTestId('ab-p99-failed-a').textContent(), /s$/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the fixed Black Friday lesson says what its run shows, caveat on the shared deep check included', async () => {
  const { page, errors } = await open('?v=2&preset=seed-incident-fixed&speed=50&stop=100');
  const lesson = await page.getByTestId('lesson').textContent();
  assert.match(lesson, /fail with 500 within about 15 s \(a 5 s connection timeout, then a 10 s statement timeout\)/);
  assert.match(lesson, /about 80 % of requests still succeed/);
  assert.match(lesson, /fails open/);
  assert.match(lesson, /shared dependency can take the whole fleet out of rotation/);
  await playToStop(page, 100);
  const failedP99 = await value(page, 'readout-p99-failed');
  assert.ok(failedP99 >= 4_500 && failedP99 <= 16_500, `failures come within the 5 s + 10 s timeouts: ${failedP99} ms`);
  const failed = await value(page, 'readout-failed');
  assert.ok(failed > 0.1 && failed < 0.3, `about 80 % succeed: ${failed} failed`);
  assert.ok(await value(page, 'readout-threads') < 800, 'the threads never run out');
  assert.ok(await page.getByTestId('failing-open').isVisible(), 'the balancer fails open, on screen');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a sick instance shows its own error rate while the others stay clean', async () => {
  const { page, errors } = await open('?v=2&preset=sick-instance&speed=50&stop=60');
  assert.match(await page.getByTestId('lesson').textContent(), /its box shows its own 5xx rate while the other three stay near 0 %/);
  await playToStop(page, 60);
  const rate = async (i) => {
    const text = await page.getByTestId(`errors-of-instance-${i}`).textContent();
    const m = text.match(/5xx (\d+) %/);
    assert.ok(m, `instance ${i}: ${text}`);
    return Number(m[1]);
  };
  assert.ok(await rate(2) >= 10, `instance 2, cut off from its database, fails its database-bound requests: ${await rate(2)} %`);
  for (const i of [0, 1, 3]) assert.ok(await rate(i) <= 2, `instance ${i} is healthy: ${await rate(i)} %`);
  assert.match(await page.getByTestId('errors-of-instance-2').getAttribute('class'), /failing/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('chart axes count in whole steps: no "3.8 instances" or "62.5 requests"', async () => {
  const { page, errors } = await open('?v=2&preset=upstream-hang-fixed&speed=50&stop=80');
  await playToStop(page, 80);
  for (const chart of ['breaker', 'saturation', 'status', 'retries']) {
    const { text: svg } = await download(page, `svg-${chart}`);
    // The left axis' labels are the texts drawn at x = 2.
    const labels = [...svg.matchAll(/<text x="2\.0" [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    assert.ok(labels.length >= 2, `${chart}: ${labels}`);
    for (const label of labels) assert.match(label, /^\d+(\.\d+)?[kM]?$/, `${chart}: ${label}`);
    const plain = labels.filter((l) => !/[kM]$/.test(l)).map(Number);
    assert.ok(plain.every(Number.isInteger), `${chart}: whole numbers on a count axis: ${labels}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('charts read alike: one time axis, a crosshair for every chart at one second, by pointer or keys', async () => {
  const { page, errors } = await open('?v=2&preset=seed-incident&speed=50');
  await playTo(page, 90);
  // The same time labels at the same places, with or without a right axis.
  const timeLabels = async (chart) => {
    const { text: svg } = await download(page, `svg-${chart}`);
    return [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" [^>]*>(\d+s)<\/text>/g)].map((m) => `${m[2]}@${m[1]}`);
  };
  const status = await timeLabels('status');
  assert.ok(status.length >= 3, `${status}`);
  assert.deepEqual(await timeLabels('saturation'), status);
  assert.deepEqual(await timeLabels('latency'), status);
  // Pointing at the status chart puts every chart's values at that second.
  const canvas = page.locator('[data-testid=chart-status] canvas');
  const box = await canvas.boundingBox();
  await canvas.hover({ position: { x: 44 + (box.width - 88) * 0.25, y: box.height / 2 } });
  const at = (await page.getByTestId('crosshair-status').textContent()).match(/t = (\d+) s/)[1];
  assert.ok(Math.abs(Number(at) - 60) <= 1, `t = ${at} s a quarter along a 240 s axis`);
  for (const chart of ['latency', 'saturation', 'cache', 'retries']) {
    assert.match(await page.getByTestId(`crosshair-${chart}`).textContent(), new RegExp(`t = ${at} s`));
  }
  assert.match(await page.getByTestId('crosshair-saturation').textContent(), /threads busy: \d+/);
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => !/t =/.test(document.querySelector('[data-testid=crosshair-status]').textContent));
  // The keyboard does the same: focus a chart, arrows move a second (Shift: ten), Esc leaves.
  await page.getByTestId('chart-status').focus();
  const last = Math.floor(await page.evaluate(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS)));
  await page.keyboard.press('ArrowLeft');
  assert.match(await page.getByTestId('crosshair-latency').textContent(), new RegExp(`t = ${last - 1} s`));
  await page.keyboard.press('Shift+ArrowLeft');
  assert.match(await page.getByTestId('crosshair-status').textContent(), new RegExp(`t = ${last - 11} s`));
  await page.keyboard.press('Escape');
  assert.doesNotMatch(await page.getByTestId('crosshair-status').textContent(), /t =/);
  // A chart with nothing to show folds to one line: this run has no circuit breaker.
  assert.equal(await page.getByTestId('chart-breaker').getAttribute('data-empty'), 'true');
  assert.match(await page.getByTestId('chart-breaker').textContent(), /nothing to show/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('"keep the scale" keeps the stampede spikes on the scale after the fix lowers them', async () => {
  const { page, errors } = await open('?v=2&preset=cache-stampede&speed=50');
  const axisTop = async () => {
    const { text: svg } = await download(page, 'svg-cache');
    const labels = [...svg.matchAll(/<text x="2\.0" [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    return labels.at(-1);
  };
  await page.getByTestId('keep-scale').check();
  await playTo(page, 25);
  const broken = await axisTop();
  const field = await knobControl(page, 'knob-cache-stampede_protection');
  await field.selectOption('coalescing');
  await page.getByTestId('reset').click();
  await playTo(page, 25);
  assert.equal(await axisTop(), broken, 'kept: the fixed run is drawn on the broken run\'s scale');
  await page.getByTestId('keep-scale').uncheck();
  await page.waitForTimeout(100);
  const own = await axisTop();
  assert.ok(Number(own.replace('k', '000')) < Number(broken.replace('k', '000')), `own scale ${own} < kept ${broken}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a lesson and its counterpart run side by side: no backoff stays down where backoff recovers', async () => {
  const { page, errors } = await open('?v=2&preset=retry-storm-users&speed=50&stop=100');
  await page.locator('.lesson-fix summary').click();
  await page.getByTestId('side-by-side').click();
  await page.getByTestId('ab-summary').waitFor();
  assert.equal(await page.evaluate(() => document.querySelector('[data-testid=clock]').dataset.nowS), '0.000', 'from 0 s');
  assert.match(await page.locator('.ab-bar').textContent(), /client\.retry\.backoff_base_ms/);
  await playToStop(page, 100);
  const summary = await page.getByTestId('ab-summary').textContent();
  const failed = summary.match(/failed \(users\), last 10 s\s*([\d.]+) %\s*([\d.]+) %/);
  assert.ok(failed, summary);
  assert.ok(Number(failed[1]) > 95 && Number(failed[2]) < 1, `A ${failed[1]} %, B ${failed[2]} %`);
  assert.deepEqual(errors, []);
  await page.close();
});
