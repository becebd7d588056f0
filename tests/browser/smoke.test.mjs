// The app loads in headless Chromium, runs bundled scenarios in wasm, and gets the same
// summary, bit for bit, as the native command-line runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic, openPage, ROOT, withBrowser } from './harness.mjs';

const BIN = process.env.OUTAGE_LAB_BIN ?? join(ROOT, 'target/debug/outage-lab');
// Every bundled scenario is a preset but the drill shop, which drills open with a hidden cause
// (drills.test.mjs checks a drill's wasm run against the native one).
const SCENARIOS = readdirSync(join(ROOT, 'scenarios'))
  .filter((f) => f.endsWith('.json') && f !== 'drill-shop.json')
  .map((f) => f.slice(0, -5));
const env = withBrowser();

function nativeSummary(scenario) {
  const out = execFileSync(BIN, ['run', join(ROOT, 'scenarios', `${scenario}.json`), '--json'], { encoding: 'utf8' });
  const summary = JSON.parse(out);
  delete summary.wall_ms;
  return summary;
}

test('the page renders its title, presets and controls', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, env.server.url, errors);
  await page.getByRole('heading', { name: 'Outage Lab' }).waitFor();
  // Every bundled scenario is offered as a preset.
  assert.equal(await page.getByTestId('preset').locator('optgroup[label=Lessons] option').count(), SCENARIOS.length);
  // And every challenge after them.
  assert.equal(await page.getByTestId('preset').locator('optgroup[label=Challenges] option').count(), 12);
  // A first visit opens an incident, fast-forwarded to 10 s before its trigger, paused.
  assert.equal(await page.getByTestId('preset').inputValue(), 'seed-incident');
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowS === '50.000');
  assert.equal(await page.getByTestId('clock').getAttribute('data-playing'), 'false');
  assert.match(await page.getByTestId('caption').textContent(), /Fast-forwarded to 50 s/);
  assert.deepEqual(errors, []);
  await page.close();
});

for (const scenario of SCENARIOS) {
  test(`${scenario}: the wasm run, paced frame by frame, matches the native run bit for bit`, async () => {
    const errors = [];
    const page = await openPage(env.browser.context, `${env.server.url}?v=1&preset=${scenario}`, errors);
    await page.getByTestId('run-to-end').click();
    const result = page.locator(`[data-testid="result"][data-preset="${scenario}"]`);
    await result.waitFor({ state: 'attached', timeout: 120_000 });
    const wasm = JSON.parse(await page.getByTestId('summary-json').textContent());
    assert.deepEqual(wasm, nativeSummary(scenario));
    assert.ok(wasm.attempts.arrived > 50, 'the run simulated real traffic');
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('the same build works from a sub-path', async () => {
  const sub = await serveStatic(undefined, {}, '/labs/outage-lab/');
  const errors = [];
  const page = await openPage(env.browser.context, `${sub.url}?v=2&preset=baseline&speed=10`, errors);
  await page.getByTestId('play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS) > 1);
  // The address bar keeps the sub-path when the state changes.
  await page.getByTestId('speed').selectOption('25');
  await page.waitForFunction(() => location.pathname === '/labs/outage-lab/' && location.search.includes('speed=25'));
  assert.deepEqual(errors, []);
  await page.close();
  await sub.close();
});
