// A challenge as a learner meets it: picked from the list, failed as it starts, passed once
// fixed, with the same verdict the command-line judge gives, and a result link that reopens it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPage, knobControl, withBrowser, download, ROOT } from './harness.mjs';

const BIN = process.env.OUTAGE_LAB_BIN ?? join(ROOT, 'target/debug/outage-lab');
const env = withBrowser();

async function runToEnd(page) {
  const run = await page.getByTestId('run-to-end').getAttribute('data-run');
  await page.getByTestId('run-to-end').click();
  await page.waitForFunction((run) => {
    const v = document.querySelector('[data-testid=verdict]');
    return v && document.querySelector('[data-testid=run-to-end]').dataset.run === run;
  }, run, { timeout: 120_000 });
}

/** The native judge's verdict on the page's scenario, from the page's own export. */
async function nativeVerdict(page, id) {
  const { text } = await download(page, 'export-scenario');
  const file = join(mkdtempSync(join(tmpdir(), 'outage-lab-challenge-')), 'mine.json');
  writeFileSync(file, text);
  try {
    return JSON.parse(execFileSync(BIN, ['challenge', 'check', id, file, '--json'], { encoding: 'utf8' }));
  } catch (e) {
    return JSON.parse(e.stdout);
  }
}

test('a challenge fails as it starts, passes once fixed, and the page agrees with the CLI judge', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}?v=2&preset=baseline`, errors);
  await page.getByTestId('preset').selectOption('challenge:contention');
  await page.getByTestId('challenge').waitFor();
  assert.match(await page.getByTestId('challenge').textContent(), /Goal: clients who failed at most 0 over the run; calls sent at most 600 over the run/);
  await runToEnd(page);
  const verdict = page.getByTestId('verdict');
  assert.equal(await verdict.getAttribute('data-passed'), 'false');
  assert.match(await verdict.textContent(), /✗ calls sent at most 600 over the run: measured 7004/);
  assert.equal((await nativeVerdict(page, 'contention')).passed, false);
  for (const [id, v] of [['knob-client-retry-backoff_base_ms', '5']]) {
    const f = await knobControl(page, id);
    await f.fill(v);
    await f.press('Enter');
  }
  await (await knobControl(page, 'knob-client-retry-jitter')).selectOption('full');
  await page.getByTestId('reset').click();
  await runToEnd(page);
  assert.equal(await verdict.getAttribute('data-passed'), 'true');
  const text = await verdict.textContent();
  assert.match(text, /✓ calls sent at most 600 over the run: measured 521/);
  assert.match(text, /changed: client\.retry\.backoff_base_ms, client\.retry\.jitter/);
  // The same verdict natively, figure for figure.
  const native = await nativeVerdict(page, 'contention');
  assert.equal(native.passed, true);
  for (const m of native.requirements) assert.ok(text.includes(`${m.text}: measured ${m.value}`), m.text);
  // The result link reopens the challenge with the changes.
  const href = await page.getByTestId('share-result').getAttribute('href');
  assert.match(href, /challenge=contention/);
  const again = await openPage(env.browser.context, href, errors);
  await again.getByTestId('challenge').waitFor();
  await runToEnd(again);
  assert.equal(await again.getByTestId('verdict').getAttribute('data-passed'), 'true');
  // Progress is kept in local storage: the picker marks the challenge passed on a new visit.
  await again.reload();
  await again.getByTestId('challenge').waitFor();
  assert.match(await again.locator('option[value="challenge:contention"]').textContent(), /^✓ passed/);
  assert.deepEqual(errors, []);
  await again.close();
  await page.close();
});
