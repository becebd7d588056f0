// A fix applied during an incident: the page says what still runs under the old settings, with
// counts, and offers the ways to finish the fix live (kill long queries, a rolling restart) or
// to see it from the start (replay, compare before vs after).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, knobControl, withBrowser } from './harness.mjs';

const env = withBrowser();

async function open(query) {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}${query}`, errors);
  await page.getByTestId('play').waitFor();
  return { page, errors };
}

const nowS = (page) => page.evaluate(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS));

/** Plays until the clock passes `t` seconds, then pauses. */
async function playTo(page, t) {
  await page.getByTestId('play').click();
  await page.waitForFunction(
    (t) => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= t, t, { timeout: 90_000 });
  await page.getByTestId('play').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.playing === 'false');
}

async function setKnob(page, id, value) {
  const field = await knobControl(page, id);
  await field.fill(value);
  await field.press('Enter');
}

const value = async (page, id) => Number(await page.getByTestId(id).getAttribute('data-value'));
const count = (text, pattern) => Number((text.match(pattern) ?? [])[1] ?? 0);

test('a pool fix applied mid-incident names the work left without timeouts, and killing the long queries finishes it', async () => {
  const { page, errors } = await open('?v=2&preset=seed-incident&speed=50');
  await playTo(page, 100);
  await setKnob(page, 'knob-db_pool-max_size', '50');
  await setKnob(page, 'knob-db_pool-connection_timeout_ms', '5000');
  await setKnob(page, 'knob-database-query_timeout_ms', '10000');
  const note = page.getByTestId('carried-over');
  await note.waitFor();
  const text = await note.textContent();
  // The 160 new connections went to waiters before the statement timeout was set: with the
  // 40 queries running since the index was dropped, 200 queries run without one, and the
  // waiters behind them queued with no connection timeout.
  assert.ok(count(text, /(\d+) queries started without a statement timeout/) >= 190, text);
  assert.ok(count(text, /(\d+) requests wait for a database connection with no timeout/) >= 500, text);
  assert.match(text, /applies to new work only/);
  assert.match(await page.locator('svg.architecture').textContent(), /threads: \d+ waiting for a connection · \d+ in queries/);
  // Both ways to see the fix from the start are offered.
  await page.getByTestId('replay-from-0').waitFor();
  await page.getByTestId('compare-before-after').waitFor();

  // Twelve seconds after the change every query without a timeout is older than 10 s: kill
  // them. (The clock is read, not assumed: a pause lands a little after it is asked for.)
  const changedAt = await nowS(page);
  await playTo(page, changedAt + 12);
  await page.getByTestId('carried-kill').click();
  await page.waitForFunction(() => !/queries started without/.test(document.querySelector('[data-testid=carried-over]')?.textContent ?? ''));
  assert.match(await page.getByTestId('announcer').textContent(), /cancelled \d+ queries running longer than 10 s/);
  // Paused, the kill shows at once: the requests fail with PostgreSQL's words for it.
  assert.match(await page.locator('.log-lines').textContent(), /canceling statement due to user request/);
  // The freed connections serve the old waiters under the statement timeout; then the note
  // goes and product pages come back.
  await playTo(page, changedAt + 70);
  assert.equal(await page.getByTestId('carried-over').count(), 0, 'nothing is left under the old settings');
  const failed = await value(page, 'readout-failed');
  assert.ok(failed < 0.4, `users failing after the fix: ${failed}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('compare from 0 runs the settings before the change as A and after it as B', async () => {
  const { page, errors } = await open('?v=2&preset=seed-incident&speed=50');
  await playTo(page, 70);
  await setKnob(page, 'knob-db_pool-max_size', '50');
  await setKnob(page, 'knob-database-query_timeout_ms', '10000');
  await page.getByTestId('compare-before-after').click();
  await page.getByTestId('ab-summary').waitFor();
  assert.ok(await nowS(page) < 60, 'both sides start again from 0');
  const url = new URL(page.url());
  assert.ok(url.searchParams.get('b'), 'the link carries side B');
  // Side B (edited) has the change, side A the preset's pool of 10.
  assert.equal(await (await knobControl(page, 'knob-db_pool-max_size')).inputValue(), '50');
  await page.getByTestId('edit-a').click();
  assert.equal(await (await knobControl(page, 'knob-db_pool-max_size')).inputValue(), '10');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a read timeout set during a hang leaves the hung calls; a rolling restart clears them', async () => {
  const { page, errors } = await open('?v=2&preset=upstream-hang&speed=50');
  await playTo(page, 90);
  await setKnob(page, 'knob-upstream-read_timeout_ms', '2000');
  const note = page.getByTestId('carried-over');
  await note.waitFor();
  assert.ok(count(await note.textContent(), /(\d+) calls wait on the hung gateway with no read timeout/) >= 100);
  await page.getByTestId('carried-restart').click();
  assert.match(await page.getByTestId('announcer').textContent(), /instance 0 stopped for a rolling restart/);
  await playTo(page, 140);
  assert.equal(await page.getByTestId('carried-over').count(), 0, 'the restarts took the hung calls away');
  const failed = await value(page, 'readout-failed');
  assert.ok(failed < 0.3, `users failing after the restarts: ${failed}`);
  assert.deepEqual(errors, []);
  await page.close();
});
