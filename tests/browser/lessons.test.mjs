// A guided lesson and the status-code quiz as a learner meets them: the lesson holds the run
// until the prediction is answered, pauses at its moment, outlines where to look, ends its
// change step when the setting is changed, verifies after a run from 0 and leads on to its
// challenge; the quiz asks about a real failed request and explains the answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, knobControl, withBrowser } from './harness.mjs';

const env = withBrowser();

const stepIs = (page, n) => page.waitForFunction((n) => document.querySelector('[data-testid=guide]')?.dataset.step === String(n), n, { timeout: 60_000 });
const clock = async (page) => +(await page.getByTestId('clock').getAttribute('data-now-s'));

test('a learner completes the stampede lesson, predicting, changing one thing and verifying', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}?v=2&preset=baseline`, errors);
  await page.getByTestId('preset').selectOption('guide:stampede');
  await stepIs(page, 0);
  assert.match(await page.getByTestId('guide-look').textContent(), /Look at the chart “Cache and database”/);
  assert.equal(await page.locator('[data-testid=chart-cache].guide-focus').count(), 1, 'the chart it points at is outlined');
  await page.getByTestId('play').click();
  await stepIs(page, 1);
  // Paused at the moment, before the expiry; Play waits for the prediction.
  assert.equal(await page.getByTestId('play').getAttribute('aria-pressed'), 'false');
  const before = await clock(page);
  assert.ok(before >= 8 && before < 10, `paused at ${before} s`);
  await page.getByTestId('play').click();
  await page.waitForTimeout(300);
  assert.equal(await clock(page), before, 'the run waits for the answer');
  await page.getByTestId('guide-option-0').click();
  assert.match(await page.getByTestId('guide-why').textContent(), /^Not quite\./);
  assert.match(await page.getByTestId('guide-reading').textContent(), /^cache loads this second: \d+$/);
  await page.getByTestId('play').click();
  await stepIs(page, 2);
  // Paused as the stampede hits.
  assert.equal(await page.getByTestId('play').getAttribute('aria-pressed'), 'false');
  assert.ok(await clock(page) >= 10, 'past the expiry');
  // The change step opens the settings with the one setting marked.
  const control = await knobControl(page, 'knob-cache-stampede_protection');
  await control.selectOption('coalescing');
  await stepIs(page, 3);
  await page.getByTestId('reset').click();
  await page.getByTestId('run-to-end').click();
  await stepIs(page, 4);
  const done = page.getByTestId('guide-complete');
  assert.match(await done.textContent(), /Lesson complete · predictions right: 0 of 1/);
  assert.match(await page.getByTestId('preset').locator('option:checked').textContent(), /✓ 3\. A hot key's stampede/);
  await page.getByTestId('guide-challenge').click();
  await page.getByTestId('challenge').waitFor();
  assert.match(await page.getByTestId('challenge').textContent(), /A hot key's stampede/);
  assert.deepEqual(errors, []);
});

test('the quiz asks about a real failed request, without its status, and explains the answer', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}?quiz=3`, errors);
  const quiz = page.getByTestId('quiz');
  await quiz.waitFor();
  assert.equal(await quiz.getAttribute('data-case'), 'breaker_open');
  assert.match(await page.getByTestId('quiz-line').textContent(), /CircuitBreaker 'payment' is OPEN/);
  assert.match(await quiz.locator('[data-testid=trace]').textContent(), /ended: with which status\?/);
  assert.doesNotMatch(await quiz.locator('[data-testid=trace]').textContent(), /503/);
  await page.getByTestId('quiz-503').click();
  const verdict = page.getByTestId('quiz-verdict');
  assert.equal(await verdict.getAttribute('data-right'), 'true');
  assert.match(await page.getByTestId('quiz-why').textContent(), /^503 with Retry-After/);
  await page.getByTestId('quiz-next').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=quiz]').dataset.case === 'read_timeout');
  await page.getByTestId('quiz-504').click();
  assert.equal(await verdict.getAttribute('data-right'), 'false');
  assert.match(await verdict.textContent(), /1 of 2 right so far/);
  assert.deepEqual(errors, []);
});
