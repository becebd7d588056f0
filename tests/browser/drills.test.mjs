// Incident drills as a learner and a trainer meet them: the trainer composes a drill and gets
// a class link and an answer link; the learner investigates with the cause off the screen,
// names it right or wrong, and the reveal shows the cause, the score and the timeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPage, withBrowser, download, ROOT } from './harness.mjs';

const BIN = process.env.OUTAGE_LAB_BIN ?? join(ROOT, 'target/debug/outage-lab');

const env = withBrowser();

/** Plays at full speed to `t` seconds, then pauses. */
async function playTo(page, t) {
  await page.getByTestId('speed').selectOption('max');
  await page.getByTestId('play').click();
  await page.waitForFunction((t) => +document.querySelector('[data-testid=clock]').dataset.nowS >= t, t, { timeout: 60_000 });
  await page.getByTestId('play').click();
}

/** Everything on the page a learner reads, but the trainer's form (which lists every cause). */
async function screenText(page) {
  return page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    copy.querySelectorAll('[data-testid=trainer], [data-testid=drill-causes], select').forEach((n) => n.remove());
    return copy.innerText;
  });
}

test('a trainer composes a drill; the class gets the incident without its cause, the trainer the answer', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}?v=2&preset=baseline`, errors);
  await page.getByTestId('preset').selectOption('drill:new');
  await page.getByTestId('drill').waitFor();
  await page.getByTestId('trainer').locator('summary').click();
  for (const id of ['code_bug', 'misconfiguration', 'resource_exhaustion', 'retry_storm', 'sick_instance', 'swallowed_errors', 'cache_stampede']) {
    await page.getByTestId(`trainer-${id}`).uncheck();
  }
  await page.getByTestId('trainer-seed').fill('4');
  await page.getByTestId('trainer-seed').press('Enter');
  await page.getByTestId('trainer-at').fill('40');
  await page.getByTestId('trainer-at').press('Enter');
  const classLink = await page.getByTestId('trainer-class-link').inputValue();
  const answerLink = await page.getByTestId('trainer-answer-link').inputValue();
  assert.match(classLink, /\?drill=pool_exhaustion,bad_deploy,gateway_hang&seed=4&at=40&load=100$/);
  assert.equal(answerLink, `${classLink}&answer=1`);
  // A wrong field is named, and no link is offered.
  await page.getByTestId('trainer-load').fill('900');
  await page.getByTestId('trainer-load').press('Enter');
  assert.match(await page.getByTestId('trainer-error').textContent(), /^load: "900" is not a whole number from 50 to 150 %/);

  const trainer = await openPage(env.browser.context, answerLink, errors);
  const answer = (await trainer.getByTestId('drill-answer').textContent()).match(/the cause is “(.+?)”/)[1];
  assert.ok(answer.length > 0);

  // The class link: the same incident, its cause named nowhere on screen until diagnosed.
  const learner = await openPage(env.browser.context, classLink, errors);
  await learner.getByTestId('drill').waitFor();
  await playTo(learner, 90);
  const text = await screenText(learner);
  for (const word of [answer, 'Missing index', 'Bad deploy', 'Gateway hangs', 'slow queries (missing index)', 'hanging']) {
    assert.ok(!text.includes(word), `the screen names "${word}" before the diagnosis`);
  }
  assert.equal(await learner.locator('#faults-title').count(), 0, 'no fault buttons in a drill');
  assert.equal(await learner.getByTestId('export-scenario').count(), 0);
  const id = await learner.locator('[data-testid=drill-causes] label', { hasText: answer }).locator('input').getAttribute('value');
  await learner.locator(`input[value=${id}]`).check();
  await learner.getByTestId('diagnose').click();
  const score = learner.getByTestId('drill-score');
  assert.equal(await score.getAttribute('data-correct'), 'true');
  assert.ok(+(await score.getAttribute('data-points')) >= 50);
  assert.match(await learner.getByTestId('drill-cause').textContent(), new RegExp(answer.replace(/[()]/g, '.')));
  const timeline = await learner.getByTestId('drill-timeline').textContent();
  assert.match(timeline, /40\.0 s: the cause begins/);
  assert.match(timeline, /you named: .+ \(right\)/);
  assert.equal(await learner.getByTestId('export-scenario').count(), 1, 'the scenario is offered once revealed');
  assert.deepEqual(errors, []);
});

test('a wrong diagnosis scores nothing and names the real cause', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}?drill=code_bug,sick_instance&seed=2&at=30`, errors);
  await page.getByTestId('drill').waitFor();
  await playTo(page, 70);
  // The errors tell: read the incident's first error in the log.
  const logText = await page.locator('.panels').innerText();
  const sick = logText.includes('Connection to db:5432 refused');
  const bug = logText.includes('NullPointerException');
  assert.ok(sick !== bug, 'the log shows exactly one of the two causes');
  const wrong = sick ? 'code_bug' : 'sick_instance';
  await page.locator(`input[value=${wrong}]`).check();
  await page.getByTestId('diagnose').click();
  const score = page.getByTestId('drill-score');
  assert.equal(await score.getAttribute('data-correct'), 'false');
  assert.equal(await score.getAttribute('data-points'), '0');
  assert.match(await page.getByTestId('drill-cause').textContent(), sick ? /cannot reach the database/ : /code bug/);
  assert.match(await page.getByTestId('drill-timeline').textContent(), /you named: .+ \(wrong\)/);
  assert.deepEqual(errors, []);
});

test('a drill run in wasm matches the native run of its scenario, bit for bit', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}?drill=all&seed=9&at=50&load=120`, errors);
  await page.getByTestId('drill').waitFor();
  await page.getByTestId('run-to-end').click();
  await page.locator('[data-testid=summary-json]').waitFor({ state: 'attached', timeout: 120_000 });
  const wasm = JSON.parse(await page.getByTestId('summary-json').textContent());
  await page.locator('[data-testid=drill-causes] input').first().check();
  await page.getByTestId('diagnose').click();
  const { text } = await download(page, 'export-scenario');
  const file = join(mkdtempSync(join(tmpdir(), 'outage-lab-drill-')), 'drill.json');
  writeFileSync(file, text);
  const native = JSON.parse(execFileSync(BIN, ['run', file, '--json'], { encoding: 'utf8' }));
  delete native.wall_ms; // the command line's own wall time, not part of the run
  assert.deepEqual(wasm, native);
  assert.ok(wasm.attempts.arrived > 50_000, 'the run simulated the shop at 120 % load');
  assert.deepEqual(errors, []);
});
