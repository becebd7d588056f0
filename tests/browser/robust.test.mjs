// No input breaks the page: a fault for an instance the next run lacks, a crash inside the
// app, a scenario too heavy for the chosen speed, a run that crosses a runtime limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, knobControl, withBrowser } from './harness.mjs';

const env = withBrowser();

async function open(query = '') {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}${query}`, errors);
  await page.getByRole('heading', { name: 'Outage Lab' }).waitFor();
  return { page, errors };
}

const nowS = async (page) => Number(await page.getByTestId('clock').getAttribute('data-now-s'));

test('the crash sequence: a fault for instance 3 after choosing 1 instance is refused, and reset works', async () => {
  const { page, errors } = await open('?v=2&preset=baseline&speed=10');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= 1);
  const count = await knobControl(page, 'knob-instances-count');
  await count.fill('1');
  await count.press('Enter');
  await page.locator('#fault-instance').selectOption('3');
  await page.getByTestId('fault-instance_crash').click();
  const problem = page.getByTestId('fault-error');
  await problem.waitFor();
  assert.match(await problem.textContent(), /fault\.instance: is 3; there are 1 instances/);
  // The address never holds the refused fault.
  assert.doesNotMatch(decodeURIComponent(page.url()), /instance_crash/);
  await page.getByTestId('reset').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowS === '0.000');
  assert.equal(await page.locator('[data-testid^=instance-]').count(), 1, 'one instance after the reset');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= 1);
  // A reload of the address opens the same working state.
  await page.reload();
  await page.getByRole('heading', { name: 'Outage Lab' }).waitFor();
  assert.equal(await page.getByTestId('link-error').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a crash inside the app shows a banner with a report and reopens the last working state', async () => {
  const { page, errors } = await open('?v=2&preset=upstream-hang&seed=7&speed=5');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= 1);
  await page.evaluate(() => import('./outage-lab.js').then((m) => {
    try { m.crash_for_test('from the browser test'); } catch (e) { /* the trap that follows the panic */ }
  }));
  const banner = page.getByTestId('crash-banner');
  await banner.waitFor();
  assert.match(await banner.textContent(), /internal error: [\s\S]*crash requested for a test: from the browser test/);
  await page.getByTestId('crash-copy').click();
  const report = await banner.getAttribute('data-report');
  assert.match(report, /last working state: \?v=2&preset=upstream-hang&seed=7/);
  await page.getByTestId('crash-reopen').click();
  await page.getByRole('heading', { name: 'Outage Lab' }).waitFor();
  assert.equal(await page.getByTestId('crash-banner').count(), 0);
  assert.equal(await page.getByTestId('preset').inputValue(), 'upstream-hang');
  assert.equal(await page.getByTestId('seed').inputValue(), '7');
  // The reopened app works: it plays.
  await page.getByTestId('play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= 1);
  // The only errors are the deliberate panic's.
  assert.ok(errors.length > 0 && errors.every((e) => /crash requested for a test|unreachable|RuntimeError/.test(e)), errors.join('\n'));
  await page.close();
});

test('a scenario too heavy for the chosen speed says so before running and offers a speed that fits', async () => {
  const { page, errors } = await open('?v=2&preset=baseline&speed=25');
  assert.equal(await page.getByTestId('heavy-notice').count(), 0);
  const load = await knobControl(page, 'knob-traffic-rate');
  await load.fill('50000');
  await load.press('Enter');
  const notice = page.getByTestId('heavy-notice');
  await notice.waitFor();
  assert.match(await notice.textContent(), /more work than the page can do at 25x: it will run at about \d+\.\d\dx there/);
  const slower = page.getByTestId('run-slower');
  const label = await slower.textContent();
  await slower.click();
  await notice.waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('speed').inputValue(), label.replace('Run at ', '').replace('x', ''));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a run that crosses a runtime limit pauses with the reason and the page stays usable', async () => {
  const { page, errors } = await open('?v=2&preset=baseline&speed=max');
  const pileUp = {
    version: 1, name: 'pile-up', duration_s: 30,
    traffic: { rate: [{ kind: 'constant', rps: 100000 }],
      endpoints: [{ name: 'a', weight: 1, steps: [{ kind: 'cpu', duration: { kind: 'constant', ms: 1 } }] }] },
    instances: { count: 1, max_threads: 1, accept_queue: 'unbounded' },
    client: { timeout_ms: 'none' }, load_balancer: { gateway_timeout_ms: 'none' },
  };
  await page.getByTestId('import-file').setInputFiles({
    name: 'pile-up.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(pileUp)),
  });
  await page.locator('option', { hasText: 'pile-up (imported)' }).waitFor({ state: 'attached' });
  await page.getByTestId('run-to-end').click();
  const notice = page.getByTestId('link-error');
  await notice.waitFor({ timeout: 120_000 });
  assert.match(await notice.textContent(), /The simulation paused: the run stopped at \d+\.\d+ s: \d+ attempts in flight at once, above the limit of 500000/);
  assert.equal(await page.getByTestId('clock').getAttribute('data-playing'), 'false');
  assert.ok((await nowS(page)) < 30);
  // The page goes on: another preset opens and plays.
  await page.getByTestId('preset').selectOption('baseline');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a byte-order mark is accepted and invalid UTF-8 refused, as on the command line', async () => {
  const { page, errors } = await open('?v=2&preset=baseline');
  const scenario = JSON.stringify({
    version: 1, name: 'with a BOM', duration_s: 10,
    traffic: { rate: [{ kind: 'constant', rps: 10 }],
      endpoints: [{ name: 'a', weight: 1, steps: [{ kind: 'cpu', duration: { kind: 'constant', ms: 1 } }] }] },
  });
  const broken = Buffer.concat([Buffer.from(scenario.slice(0, 20)), Buffer.from([0xff]), Buffer.from(scenario.slice(20))]);
  await page.getByTestId('import-file').setInputFiles({ name: 'latin1.json', mimeType: 'application/json', buffer: broken });
  await page.getByText('is not UTF-8 text (an invalid byte at offset 20)').waitFor();
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(scenario)]);
  await page.getByTestId('import-file').setInputFiles({ name: 'bom.json', mimeType: 'application/json', buffer: bom });
  await page.locator('option', { hasText: 'with a BOM (imported)' }).waitFor({ state: 'attached' });
  assert.equal(await page.getByText('is not UTF-8 text').count(), 0, 'the problem list is gone');
  assert.deepEqual(errors, []);
  await page.close();
});
