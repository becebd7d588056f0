// The end-of-run report: in words on the page once the run ends, with what changed when, and
// downloadable as Markdown and HTML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, knobControl, withBrowser, download } from './harness.mjs';

const env = withBrowser();

test('a finished run reports the objective, what failed first, what changed when, and each endpoint', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}?v=2&preset=seed-incident&speed=50`, errors);
  await page.getByTestId('play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= 100, null, { timeout: 90_000 });
  const pool = await knobControl(page, 'knob-db_pool-max_size');
  await pool.fill('50');
  await pool.press('Enter');
  await page.getByTestId('run-to-end').click();
  await page.getByTestId('report').waitFor({ timeout: 120_000 });
  assert.match(await page.getByTestId('report-verdict').textContent(), /^Objective missed\. [\d.]+ % of answers failed .* error budget burned\.$/);
  const report = await page.getByTestId('report').textContent();
  assert.match(report, /first warning, 62\.\d s: Connection leak detection triggered/);
  assert.match(report, /first error of the first incident, \d+\.\d s: .*accept queue full/);
  const timeline = await page.getByTestId('report-timeline').textContent();
  assert.match(timeline, /60\.0 s: Missing index starts/);
  assert.match(timeline, /1\d\d\.\d s: setting Pool size set to 50/);
  assert.match(timeline, /alert fired: DB pool use above 95 % on an instance/);
  assert.match(report, /GET \/product\/\{id\}/);
  const md = await download(page, 'export-report-md');
  assert.equal(md.name, 'outage-lab-seed-incident-seed42-report.md');
  assert.match(md.text, /^# Run report: Black Friday: pool exhaustion \(seed 42\)/);
  assert.match(md.text, /\| POST \/checkout \| \d+ \|/);
  const html = await download(page, 'export-report-html');
  assert.match(html.text, /<h1>Run report: Black Friday: pool exhaustion \(seed 42\)<\/h1>/);
  assert.deepEqual(errors, []);
  await page.close();
});
