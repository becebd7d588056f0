// Takes the screenshots kept in docs/screenshots/: every preset at its lesson moment at
// 1280x800, the first screen at 1280x800 and 390x844, and the learning modes (a drill
// revealed, a guided lesson's prediction, the quiz on a phone), and the embed on a dark and a
// light docs page. Run after a release build:
//   PATH=$PWD/node_modules/.bin:$PATH trunk build --release && node scripts/screenshots.mjs
import { join } from 'node:path';
import { serveStatic, launchBrowser, ROOT } from '../tests/browser/harness.mjs';

/** Each preset, the second its lesson is best seen at, and the speed it plays at when picked
 * (the run gets there at 50x; the picture shows the preset's own speed). */
const MOMENTS = {
  'baseline': [40, '2'],
  'seed-incident': [100, '2'],
  'seed-incident-fixed': [100, '2'],
  'upstream-hang': [100, '2'],
  'upstream-hang-fixed': [100, '2'],
  'cache-stampede': [42, '1'],
  'retry-storm': [100, '2'],
  'retry-contention': [3, '0.25'],
  'sick-instance': [60, '2'],
  'lying-200': [120, '2'],
  'mmc': [60, '5'],
};

const out = join(ROOT, 'docs', 'screenshots');
const server = await serveStatic();
const browser = await launchBrowser();

async function firstScreen(width, height, name) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height });
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]')?.dataset.nowS === '50.000');
  await page.screenshot({ path: join(out, name) });
  await page.close();
}

await firstScreen(1280, 800, 'first-screen-1280.png');
await firstScreen(390, 844, 'first-screen-390.png');
for (const [preset, [t, speed]] of Object.entries(MOMENTS)) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${server.url}?v=2&preset=${preset}&speed=50`);
  await page.getByTestId('play').click();
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= t, t, { timeout: 120_000 });
  await page.getByTestId('play').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.playing === 'false');
  await page.getByTestId('speed').selectOption(speed);
  await page.screenshot({ path: join(out, `${preset}.png`) });
  await page.close();
  console.log(`${preset} at ${t} s`);
}

/** The learning modes: a drill revealed, a guided lesson at its prediction, the quiz on a phone. */
async function learning(name, query, width, height, act) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height });
  await page.goto(`${server.url}${query}`);
  await page.getByTestId('clock').waitFor();
  await act(page);
  await page.screenshot({ path: join(out, name) });
  await page.close();
  console.log(name);
}
const stepIs = (page, n) => page.waitForFunction((n) => document.querySelector('[data-testid=guide]')?.dataset.step === String(n), n, { timeout: 120_000 });
await learning('drill-revealed-1280.png', '?drill=all&seed=12&at=60&load=100', 1280, 800, async (page) => {
  await page.getByTestId('speed').selectOption('max');
  await page.getByTestId('play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= 100, null, { timeout: 120_000 });
  await page.getByTestId('play').click();
  await page.locator('input[value=resource_exhaustion]').check();
  await page.getByTestId('diagnose').click();
});
await learning('guide-predict-1280.png', '?guide=pool', 1280, 800, async (page) => {
  await page.getByTestId('play').click();
  await stepIs(page, 1);
});
await learning('quiz-390.png', '?quiz=3', 390, 844, async (page) => {
  await page.getByTestId('quiz-503').click();
});
await learning('embed-compact-700.png', '?v=2&preset=seed-incident&embed=1&controls=db_pool.max_size,db_pool.connection_timeout_ms,database.query_timeout_ms&lock=1&speed=max&stop=100&autoplay=1', 700, 700, async (page) => {
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowS === '100.000', null, { timeout: 120_000 });
});

/** The embed on a docs page: the element on a dark page, the frame on the light example. */
const { serveStatic: serveDir } = await import('../tests/browser/harness.mjs');
const app = await serveStatic(undefined, { 'access-control-allow-origin': '*' });
for (const [name, dir, ready] of [
  ['embed-dark-page-1280.png', 'examples/element', '#eager-slot iframe'],
  ['embed-light-page-1280.png', 'examples/embed', '#lab'],
]) {
  const host = await serveDir(join(ROOT, dir));
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${host.url}?app=${encodeURIComponent(app.url)}`);
  await page.locator(ready).waitFor();
  await page.waitForTimeout(2500);
  await page.screenshot({ path: join(out, name) });
  await page.close();
  await host.close();
  console.log(name);
}
await app.close();
await browser.close();
await server.close();
