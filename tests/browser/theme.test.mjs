// The colour themes in a real browser: the address's theme is on the page before the app
// paints, `auto` follows the system's preference, a bad value is named, and the dark theme
// reaches the charts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, withBrowser } from './harness.mjs';

const env = withBrowser();
const background = (page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
const DARK_PAPER = 'rgb(18, 21, 28)';
const LIGHT_PAPER = 'rgb(245, 246, 250)';

test('theme=dark darkens the page and its charts; auto follows the system; a bad value is named', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}?v=2&preset=baseline&theme=dark`, errors);
  await page.getByTestId('clock').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.equal(await background(page), DARK_PAPER);
  // The chart's grid and labels are drawn in the theme's palette: the light grid is nearly
  // white, the dark one is not.
  const brightest = async (p) => {
    await p.getByTestId('step').click();
    await p.getByTestId('step').click();
    return p.evaluate(() => {
      const c = document.querySelector('[data-testid=chart-status] canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let max = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200) max = Math.max(max, Math.min(d[i], d[i + 1], d[i + 2]));
      return max;
    });
  };
  const light = await openPage(env.browser.context, `${env.server.url}?v=2&preset=baseline&theme=light`, errors);
  await light.getByTestId('clock').waitFor();
  const [dark, bright] = [await brightest(page), await brightest(light)];
  assert.ok(dark < 200 && bright >= 220, `brightest chart pixel: dark ${dark}, light ${bright}`);

  for (const [scheme, paper] of [['dark', DARK_PAPER], ['light', LIGHT_PAPER]]) {
    const auto = await env.browser.context.newPage();
    await auto.emulateMedia({ colorScheme: scheme });
    await auto.goto(`${env.server.url}?v=2&preset=baseline`);
    await auto.getByTestId('clock').waitFor();
    assert.equal(await background(auto), paper, `auto under a ${scheme} system`);
    await auto.close();
  }
  const bad = await openPage(env.browser.context, `${env.server.url}?v=2&preset=baseline&theme=blue`, errors);
  await bad.getByTestId('clock').waitFor();
  assert.match(await bad.locator('.banner').first().textContent(), /theme: "blue" is not one of auto, light, dark/);
  assert.deepEqual(errors, []);
});
