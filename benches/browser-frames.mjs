// Browser benchmark (not a test): frame times and achieved simulation speed of the live app
// in headless Chromium, for the baseline and the heaviest preset, at several speeds.
// Usage: after `trunk build --release`, run `node benches/browser-frames.mjs` (prints a table).
import { serveStatic, launchBrowser } from '../tests/browser/harness.mjs';

const CASES = [
  ['baseline', '1'],
  ['baseline', '100'],
  ['baseline', 'max'],
  ['seed-incident', '100'],
  ['seed-incident', 'max'],
  ['cache-stampede', 'max'],
];
const SAMPLE_MS = 8000;

const server = await serveStatic();
const browser = await launchBrowser();
const rows = [];
for (const [preset, speed] of CASES) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.url}?v=1&preset=${preset}&speed=${speed}`);
  await page.getByTestId('play').click();
  if (speed !== 'max') await page.waitForTimeout(500);
  const stats = await page.evaluate(async (sampleMs) => {
    const clock = document.querySelector('[data-testid=clock]');
    const intervals = [];
    const sim = [];
    const charts = [];
    const v0 = Number(clock.dataset.nowS);
    const t0 = performance.now();
    let last = t0;
    await new Promise((done) => {
      const tick = (ts) => {
        intervals.push(ts - last);
        last = ts;
        sim.push(Number(clock.dataset.simMs));
        charts.push(Number(clock.dataset.chartsMs));
        if (ts - t0 < sampleMs && clock.dataset.playing === 'true') requestAnimationFrame(tick);
        else done();
      };
      requestAnimationFrame(tick);
    });
    const wall = (performance.now() - t0) / 1000;
    const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
    return {
      frames: intervals.length,
      p50: q(intervals, 0.5), p95: q(intervals, 0.95), p99: q(intervals, 0.99), max: Math.max(...intervals),
      late: intervals.filter((x) => x > 1000 / 60 * 1.5).length / intervals.length,
      achieved: (Number(clock.dataset.nowS) - v0) / wall, virtualS: Number(clock.dataset.nowS) - v0,
      simP50: q(sim, 0.5), simMax: Math.max(...sim), chartsP50: q(charts, 0.5), chartsMax: Math.max(...charts),
    };
  }, SAMPLE_MS);
  rows.push({ preset, speed, ...stats });
  await page.close();
}
await browser.close();
await server.close();
const f = (x) => x.toFixed(1);
console.log('| preset | asked | frames | frame p50 / p95 / p99 / max (ms) | frames > 25 ms | achieved speed (virtual s) | sim per frame p50 / max (ms) | all charts redraw p50 / max (ms) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.preset} | ${r.speed}${r.speed === 'max' ? '' : 'x'} | ${r.frames} | ${f(r.p50)} / ${f(r.p95)} / ${f(r.p99)} / ${f(r.max)} | ${(100 * r.late).toFixed(1)} % | ${f(r.achieved)}x (${f(r.virtualS)} s) | ${f(r.simP50)} / ${f(r.simMax)} | ${f(r.chartsP50)} / ${f(r.chartsMax)} |`);
}
