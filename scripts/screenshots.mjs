// Takes the screenshots kept in docs/screenshots/: every preset at its lesson moment at
// 1280x800, and the first screen at 1280x800 and 390x844. Run after a release build:
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
await browser.close();
await server.close();
