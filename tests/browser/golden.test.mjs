// The page's state after a scripted sequence of actions (settings, faults, seed, A/B, run to the
// end, another preset), stepped one virtual second at a time so it is deterministic, kept as a
// golden file. A refactoring must leave it byte-identical; a deliberate change of the page
// rewrites it with OUTAGE_LAB_WRITE_GOLDEN=1 and the diff shows what changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openPage, knobControl, ROOT, withBrowser } from './harness.mjs';

const GOLDEN = join(ROOT, 'tests/golden/page/sequence.txt');

const env = withBrowser();

const nowS = (page) => page.evaluate(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS));

/** Presses "Step 1 s" `n` times, each time waiting for the clock to reach the next second. */
async function step(page, n) {
  for (let i = 0; i < n; i++) {
    const target = Math.floor(await nowS(page)) + 1;
    await page.getByTestId('step').click();
    await page.waitForFunction(
      (t) => Number(document.querySelector('[data-testid=clock]').dataset.nowS) === t, target);
  }
}

/** Everything the page says, minus the figures of wall-clock pacing. */
function record(page, label) {
  return page.evaluate((label) => {
    const page = document.querySelector('.app').cloneNode(true);
    page.querySelectorAll('[data-testid=speed-note]').forEach((e) => e.remove());
    const text = page.innerText.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
    const controls = [...document.querySelectorAll('input, select')]
      .filter((e) => e.dataset.testid)
      .map((e) => `${e.dataset.testid}=${e.type === 'checkbox' ? e.checked : e.value}`);
    const here = (s) => s.split(location.origin).join('ORIGIN');
    return here(`=== ${label}\nsearch: ${location.search}\ncontrols: ${controls.join(' ')}\n${text}\n`);
  }, label);
}

async function setKnob(page, id, value) {
  const field = await knobControl(page, id);
  await field.fill(value);
  await field.press('Enter');
}

test('a scripted sequence of actions leaves the page in its golden state', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}?v=2&preset=seed-incident&speed=10`, errors);
  await page.getByTestId('step').waitFor();
  const parts = [];
  await step(page, 3);
  parts.push(await record(page, 'seed-incident, 3 s'));
  await setKnob(page, 'knob-db_pool-max_size', '50');
  await step(page, 2);
  parts.push(await record(page, 'pool of 50'));
  await page.getByTestId('fault-upstream_down_fast').click();
  await step(page, 2);
  parts.push(await record(page, 'upstream outage injected'));
  await page.getByTestId('seed').fill('977');
  await page.getByTestId('seed').press('Enter');
  await step(page, 2);
  parts.push(await record(page, 'seed 977'));
  await page.getByTestId('compare').click();
  await page.getByTestId('editing-side').waitFor();
  await setKnob(page, 'knob-db_pool-connection_timeout_ms', '5000');
  await step(page, 2);
  parts.push(await record(page, 'A/B, side B with a 5 s acquire timeout'));
  const run = await page.evaluate(() => document.querySelector('[data-testid=result]')?.dataset.run ?? null);
  await page.getByTestId('run-to-end').click();
  await page.waitForFunction((run) => {
    const r = document.querySelector('[data-testid=result]');
    return r && r.dataset.run !== run;
  }, run, { timeout: 120_000 });
  // Side B follows A's clock within each frame's budget: wait until it has caught up.
  await page.waitForFunction(() => {
    const clock = document.querySelector('[data-testid=clock]').dataset;
    return clock.playing === 'false' && clock.bLags === 'false';
  }, null, { timeout: 120_000 });
  parts.push(await record(page, 'run to the end'));
  parts.push(`summary: ${await page.getByTestId('summary-json').textContent()}\n`);
  await page.getByTestId('compare').click();
  await page.getByTestId('preset').selectOption('upstream-hang');
  // A preset picked is fast-forwarded to 50 s, 10 s before its hang.
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowS === '50.000');
  await step(page, 4);
  parts.push(await record(page, 'upstream-hang picked, then 4 s'));
  const actual = parts.join('\n');
  if (process.env.OUTAGE_LAB_WRITE_GOLDEN) await writeFile(GOLDEN, actual);
  const expected = await readFile(GOLDEN, 'utf8');
  if (actual !== expected) {
    const seen = join(tmpdir(), 'outage-lab-page-sequence.actual.txt');
    await writeFile(seen, actual);
    assert.fail(`the page differs from ${GOLDEN}; what it showed is in ${seen}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
