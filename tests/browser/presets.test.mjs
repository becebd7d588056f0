// Every sentence a preset's "Watch" text says about the screen is checked against the run on
// screen. The test reads the text from the page and fails on a sentence it has no check for,
// so a text cannot change without its check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, withBrowser, download } from './harness.mjs';

const env = withBrowser();

const nowS = (page) => page.evaluate(() => Number(document.querySelector('[data-testid=clock]').dataset.nowS));
const value = async (page, id) => Number(await page.getByTestId(id).getAttribute('data-value'));
const text = async (page, selector) => (await page.locator(selector).first().textContent()) ?? '';

/** Plays until the clock passes `t` seconds (never backwards), then pauses. */
async function playTo(page, t) {
  if ((await nowS(page)) >= t) return;
  await page.getByTestId('play').click();
  await page.waitForFunction(
    (t) => Number(document.querySelector('[data-testid=clock]').dataset.nowS) >= t, t, { timeout: 120_000 });
  await page.getByTestId('play').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.playing === 'false');
}

/** The per-second rows the charts draw, from the page's own CSV export. */
async function rows(page) {
  const { text: csv } = await download(page, 'export-csv');
  const [head, ...lines] = csv.trim().split('\n');
  const keys = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v === '' ? null : Number(v)])));
}

/** The log lines shown with filter `filter` (`warn`, `errors`, or everything). */
async function logShown(page, filter) {
  await page.getByTestId('log-filter').selectOption(filter);
  const lines = await page.locator('.log-lines').textContent();
  await page.getByTestId('log-filter').selectOption('');
  return lines;
}

async function captions(page) {
  return (await page.getByTestId('captions').count()) ? text(page, '[data-testid=captions]') : '';
}

/** The instances' architecture boxes, as text. */
const instanceText = (page, i) => text(page, `[data-testid=instance-${i}]`);

const CLAIMS = {
  baseline: [
    ['Everything is green: about 300 requests/s, p99 well under a second, threads and pool connections mostly free.', async (page) => {
      await playTo(page, 30);
      const goodput = await value(page, 'readout-goodput');
      assert.ok(goodput > 250 && goodput < 350, `goodput ${goodput}`);
      assert.ok(await value(page, 'readout-p99') < 1000);
      assert.ok(await value(page, 'readout-5xx') < 0.01, 'green: under the paging threshold');
      assert.equal(await value(page, 'readout-alerts'), 0);
      assert.ok(await value(page, 'readout-threads') < 80, 'threads mostly free');
      for (let i = 0; i < 4; i++) assert.match(await instanceText(page, i), /pool [0-4]\/10/);
    }],
    ['Learn what normal looks like, then inject a fault.', async (page) => {
      assert.ok(await page.getByTestId('fault-db_slow').isEnabled());
    }],
  ],
  'seed-incident': [
    ['At 60 s queries slow to 30 s.', async (page) => {
      await playTo(page, 62);
      assert.match(await captions(page), /t = 60 s\s*Missing index: every query now costs 6000 times more \(5 ms becomes 30\.0 s\)/);
    }],
    ['Pool waiters pile up behind 10 connections, then every worker thread blocks, the accept queues overflow and almost every request fails, product pages included.', async (page) => {
      await playTo(page, 100);
      for (let i = 0; i < 4; i++) {
        const box = await instanceText(page, i);
        assert.match(box, /pool 10\/10/);
        assert.match(box, /threads 200\/200/);
        assert.match(box, /queue 100\/100/);
        assert.match(box, /threads: \d+ waiting for a connection/);
      }
      assert.ok(await value(page, 'readout-failed') > 0.95);
      assert.equal(await page.getByTestId('readout-endpoint-0').getAttribute('data-endpoint'), 'GET /product/{id}');
      assert.ok(await value(page, 'readout-endpoint-0') < 0.05, 'product pages fail too');
    }],
    ['No timeout ever fires, so the first logged error is a symptom: the accept queue refusing connections.', async (page) => {
      assert.match(await text(page, '[data-testid=incident-error]'), /accept queue full/);
      assert.doesNotMatch(await logShown(page, 'errors'), /HikariPool-1 - Connection is not available|statement timeout/);
    }],
    ["The warnings before it name the cause: from 62 s HikariCP's leak detection flags connections held by the slow queries, the pool stats show requests waiting, and the database's slow-query log reports queries of tens of seconds.", async (page) => {
      const warning = await text(page, '[data-testid=incident-warning]');
      assert.match(warning, /first warning\s*62\.\d+ s.*Connection leak detection triggered/);
      const warnings = await logShown(page, 'warn');
      assert.match(warnings, /HikariPool-1 - Pool stats \(total=10, active=10, idle=0, waiting=\d+\)/);
      const slow = [...warnings.matchAll(/duration: (\d+)\.\d+ ms/g)].map((m) => Number(m[1]));
      assert.ok(slow.length > 0 && slow.every((ms) => ms >= 10_000), `slow queries ${slow}`);
    }],
  ],
  'seed-incident-fixed': [
    ['The same slow queries.', async (page) => {
      await playTo(page, 61);
      assert.match(await captions(page), /t = 60 s\s*Missing index: every query now costs 6000 times more/);
      await playTo(page, 100);
    }],
    ['Requests that need the database now fail with 500 within about 15 s (a 5 s connection timeout, then a 10 s statement timeout) instead of waiting forever, so the threads never run out and cache hits keep being served: about 80 % of requests still succeed.', async (page) => {
      const p99 = await value(page, 'readout-p99-failed');
      assert.ok(p99 > 4_000 && p99 <= 16_000, `p99 of failures ${p99}`);
      assert.ok(await value(page, 'readout-threads') < 800, 'threads never run out');
      const failed = await value(page, 'readout-failed');
      assert.ok(failed > 0.1 && failed < 0.3, `failed ${failed}`);
      const recent = (await rows(page)).filter((r) => r.t_s > 70);
      const sum = (k) => recent.reduce((s, r) => s + r[k], 0);
      assert.ok(sum('status_500') > 2 * (sum('status_502') + sum('status_504')), 'the failures are mostly 500s');
    }],
    ['The first logged error now names the pool (no connection within 5 s).', async (page) => {
      assert.match(await text(page, '[data-testid=incident-error]'), /Connection is not available, request timed out after 5000ms/);
    }],
    ['Caveat: the deep health check watches a database every instance shares, so it fails on all of them: they leave rotation one by one, the last one briefly takes all the traffic (a burst of 502s), and the load balancer keeps serving only because it fails open.', async (page) => {
      const last = (await rows(page)).filter((r) => r.instances_in_rotation === 1);
      assert.ok(last.length > 0 && last.reduce((s, r) => s + r.status_502, 0) > 100, 'the last one in rotation is swamped');
      assert.match(await text(page, '[data-testid=failing-open]'), /fails open/);
      assert.match(await text(page, 'svg.architecture'), /0 in rotation\s*failing open/);
      for (let i = 0; i < 4; i++) assert.match(await instanceText(page, i), /out of rotation/);
    }],
    ['A deep check on a shared dependency can take the whole fleet out of rotation.', async (page) => {
      const out = (await rows(page)).filter((r) => r.t_s > 60 && r.instances_in_rotation === 0);
      assert.ok(out.length > 10, 'the whole fleet was out of rotation');
    }],
  ],
  'upstream-hang': [
    ['At 60 s the payment gateway stops answering.', async (page) => {
      await playTo(page, 62);
      assert.match(await captions(page), /t = 60 s\s*The payment gateway hangs/);
    }],
    ['Checkouts hold their threads forever; within about 15 s every thread is stuck and product pages, which never call the gateway, fail too.', async (page) => {
      await playTo(page, 76);
      assert.equal(await value(page, 'readout-threads'), 800);
      for (let i = 0; i < 4; i++) assert.match(await instanceText(page, i), /threads: \d+ on the gateway/);
      await playTo(page, 100);
      assert.ok(await value(page, 'readout-endpoint-0') < 0.3, 'product pages fail');
    }],
  ],
  'upstream-hang-fixed': [
    ['The same hang.', async (page) => {
      await playTo(page, 62);
      assert.match(await captions(page), /The payment gateway hangs/);
    }],
    ['Checkouts time out after 2 s, the breakers open (the lights turn red) and answer 503 at once; product pages never notice.', async (page) => {
      await playTo(page, 64);
      const p99 = await value(page, 'readout-p99-failed');
      assert.ok(p99 >= 2_000 && p99 < 2_500, `failures at first: ${p99} ms`);
      await playTo(page, 100);
      for (let i = 0; i < 4; i++) {
        assert.equal(await page.getByTestId(`instance-${i}`).getAttribute('data-breaker'), 'breaker OPEN');
        assert.equal(await page.locator(`[data-testid=instance-${i}] .light.open`).count(), 1);
      }
      assert.ok(await value(page, 'readout-p99-failed') < 200, 'open breakers answer at once');
      assert.ok(await value(page, 'readout-endpoint-0') > 0.99, 'product pages never notice');
      // The endpoints chart says it second by second, under the endpoints' names.
      assert.match(await text(page, '[data-testid=chart-endpoints] .chart-legend'), /GET \/product\/\{id\}.*POST \/checkout/);
      await page.getByTestId('chart-endpoints').focus();
      await page.keyboard.press('End');
      assert.match(await page.getByTestId('crosshair-endpoints').textContent(), /GET \/product\/\{id\}: 100 · POST \/checkout: [0-9.]+$/);
      await page.keyboard.press('Escape');
    }],
    ['After the gateway recovers, half-open trial calls close the breakers.', async (page) => {
      await playTo(page, 200);
      for (let i = 0; i < 4; i++) {
        assert.equal(await page.getByTestId(`instance-${i}`).getAttribute('data-breaker'), 'breaker closed');
      }
      assert.match(await captions(page), /The gateway answers again/);
      assert.ok(await value(page, 'readout-endpoint-1') > 0.99, 'checkouts succeed again');
    }],
  ],
  'cache-stampede': [
    ['Every 10 s the hot key expires and about 200 requests reload it from the database at once: watch the cache loads and DB queries spike on each expiry.', async (page) => {
      await playTo(page, 60);
      const spikes = (await rows(page)).filter((r) => r.cache_loads > 100);
      assert.ok(spikes.length >= 5, `${spikes.length} spikes`);
      for (const s of spikes) assert.ok(s.cache_loads > 150 && s.cache_loads < 260 && s.db_queries >= s.cache_loads, JSON.stringify(s));
      const gaps = spikes.slice(1).map((s, i) => s.t_s - spikes[i].t_s);
      assert.ok(gaps.every((g) => g >= 9 && g <= 12), `gaps ${gaps}`);
    }],
  ],
  'retry-storm': [
    ['A 30 s spike overloads the server; clients time out and retry at once.', async (page) => {
      await playTo(page, 40);
      assert.match(await captions(page), /A traffic spike doubles the load/);
      const spike = (await rows(page)).filter((r) => r.t_s > 31 && r.t_s <= 40);
      const sum = (k) => spike.reduce((s, r) => s + r[k], 0);
      assert.ok(sum('client_timeout') > 1000 && sum('retries') > 2 * sum('requests'), `timeouts ${sum('client_timeout')}, retries ${sum('retries')}, requests ${sum('requests')}`);
    }],
    ['After the spike ends the retries keep the queue full: goodput stays at zero, amplification above 3.', async (page) => {
      await playTo(page, 120);
      assert.equal(await value(page, 'readout-goodput'), 0);
      assert.ok(await value(page, 'readout-amplification') > 3, 'the readout says it too');
      const after = (await rows(page)).filter((r) => r.t_s > 70);
      for (const r of after) {
        assert.ok((r.requests + r.retries) / r.requests > 3, `amplification at ${r.t_s} s`);
        assert.ok(r.accept_queue > 1900, `queue at ${r.t_s} s`);
      }
    }],
  ],
  'retry-storm-users': [
    ['3 500 users, each waiting for its answer before reading for about 5 s: 700 requests/s on a server of 1 000.', async (page) => {
      await playTo(page, 28);
      assert.match(await text(page, 'svg.architecture'), /3500 users/);
      const calm = (await rows(page)).filter((r) => r.t_s > 5 && r.t_s <= 28);
      const mean = calm.reduce((s, r) => s + r.requests, 0) / calm.length;
      assert.ok(mean > 650 && mean < 750, `${mean} requests/s`);
      assert.ok(calm.every((r) => r.threads_busy < 10 || r.accept_queue < 50), 'the server keeps up');
    }],
    ['From 30 s to 60 s the database runs at half speed; attempts time out after 1 s and are retried at once.', async (page) => {
      await playTo(page, 40);
      assert.match(await captions(page), /Missing index: every query now costs 2 times more/);
      const slow = (await rows(page)).filter((r) => r.t_s > 33 && r.t_s <= 40);
      const sum = (k) => slow.reduce((s, r) => s + r[k], 0);
      assert.ok(sum('client_timeout') > 2000 && sum('retries') > sum('requests'), `timeouts ${sum('client_timeout')}, retries ${sum('retries')}, requests ${sum('requests')}`);
      const p99 = await value(page, 'readout-p99-failed');
      assert.ok(p99 >= 990 && p99 <= 1010, `failures end at the 1 s timeout: ${p99} ms`);
    }],
    ['Each user in trouble sends its 4 attempts within seconds, so the server gets about 2 000 attempts/s: the queue stays full of abandoned work and goodput stays at zero long after the database is fast again.', async (page) => {
      await playTo(page, 120);
      assert.match(await captions(page), /The database is fast again/);
      assert.equal(await value(page, 'readout-goodput'), 0);
      const after = (await rows(page)).filter((r) => r.t_s > 70);
      const mean = after.reduce((s, r) => s + r.arrivals, 0) / after.length;
      assert.ok(mean > 1800 && mean < 2200, `${mean} attempts/s`);
      for (const r of after) {
        assert.ok(r.arrivals > 1500, `${r.arrivals} attempts at ${r.t_s} s: always well above the 1 000 served`);
        assert.ok(r.accept_queue > 1900 && r.goodput === 0, `queue ${r.accept_queue}, goodput ${r.goodput} at ${r.t_s} s`);
      }
    }],
  ],
  'retry-storm-users-backoff': [
    ['The same users and the same 30 s slowdown, with capped exponential backoff (2 000 ms base, doubling, capped at 20 s) and full jitter: goodput falls during the slowdown and is back within about 15 s of its end.', async (page) => {
      await playTo(page, 100);
      assert.match(await text(page, 'svg.architecture'), /3500 users/);
      const all = await rows(page);
      const mean = (from, to) => {
        const picked = all.filter((r) => r.t_s > from && r.t_s <= to);
        return picked.reduce((s, r) => s + r.goodput, 0) / picked.length;
      };
      assert.ok(mean(35, 60) < 150, `falls: ${mean(35, 60)}/s`);
      assert.ok(mean(75, 100) > 650, `back: ${mean(75, 100)}/s`);
      const scenario = JSON.parse((await download(page, 'export-scenario')).text);
      assert.deepEqual(
        [scenario.client.retry.backoff_base_ms, scenario.client.retry.backoff_cap_ms, scenario.client.retry.jitter],
        [2000, 20000, 'full']);
    }],
  ],
  'retry-contention': [
    ['About 75 clients hit one row lock within 20 ms; the server takes one write at a time and answers the rest 503.', async (page) => {
      await playTo(page, 3);
      const burst = (await rows(page)).filter((r) => r.t_s <= 3);
      const sum = (k) => burst.reduce((s, r) => s + r[k], 0);
      assert.ok(sum('requests') > 60 && sum('requests') < 90, `${sum('requests')} clients`);
      assert.ok(sum('status_503') > sum('status_200'), 'most calls are refused with 503');
    }],
    ['With no backoff they retry at once: thousands of calls hammer the lock and most clients run out of their 100 attempts.', async (page) => {
      const row = page.getByTestId('strategy-0');
      assert.equal(await row.getAttribute('data-current'), 'true', 'the lesson starts with no backoff');
      assert.ok(Number(await row.getAttribute('data-calls')) > 5000);
      const clients = (await rows(page)).reduce((s, r) => s + r.requests, 0);
      assert.ok(Number(await row.getAttribute('data-gave-up')) > clients / 2);
      assert.match(await row.textContent(), /never: \d+ gave up/);
    }],
    ['The table runs every strategy on this seed side by side: calls sent, clients who gave up, and when every client was done.', async (page) => {
      assert.equal(await page.locator('[data-testid^=strategy-]').count(), 5);
      assert.match(await text(page, '[data-testid=strategies]'), /calls sent.*clients who gave up.*every client done after/s);
      // The table tells the truth: running a row gives the calls it says.
      const calls = Number(await page.getByTestId('strategy-2').getAttribute('data-calls'));
      await page.getByTestId('try-strategy-2').click();
      await page.getByTestId('summary-json').waitFor({ state: 'attached', timeout: 60_000 });
      assert.equal(await page.getByTestId('strategy-2').getAttribute('data-current'), 'true');
      await page.getByTestId('run-to-end').click();
      await page.waitForFunction(() => document.querySelector('[data-testid=clock]').dataset.nowS === '60.000', null, { timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid=summary-json]')?.textContent.includes('"attempts"'));
      const summary = JSON.parse(await page.getByTestId('summary-json').textContent());
      assert.equal(summary.attempts.arrived, calls);
      assert.equal(summary.requests.failed, 0);
    }],
  ],
  'sick-instance': [
    ["At 30 s instance 2 loses its database. The shallow check keeps passing, so it keeps getting a quarter of the traffic and fails every request of it that needs the database; its box shows its own 5xx rate while the other three stay near 0 %.", async (page) => {
      await playTo(page, 60);
      assert.match(await captions(page), /t = 30 s\s*Instance 2 loses its database connection/);
      assert.match(await instanceText(page, 2), /in rotation/);
      const rate = async (i) => Number((await text(page, `[data-testid=errors-of-instance-${i}]`)).match(/(\d+) %/)[1]);
      assert.ok(await rate(2) > 10, 'instance 2 fails what needs the database');
      for (const i of [0, 1, 3]) assert.ok(await rate(i) <= 1);
    }],
  ],
  'lying-200': [
    ['From 60 s the gateway fails 30 % of payments, but every error is answered with 200: the monitoring readout stays at 0 % 5xx and no alert fires, while the true 5xx rate is not zero.', async (page) => {
      await playTo(page, 62);
      assert.match(await captions(page), /t = 60 s\s*The payment gateway fails 30 % of calls/);
      await playTo(page, 120);
      assert.equal(await value(page, 'readout-seen-5xx'), 0);
      assert.equal(await value(page, 'readout-alerts'), 0);
      assert.ok(await value(page, 'readout-5xx') > 0.01);
    }],
  ],
  mmc: [
    ['A textbook M/M/8 at 75 % utilisation: the mean queue wait matches Erlang C (about 1.8 ms).', async (page) => {
      await playTo(page, 30);
      const busy = await value(page, 'readout-threads');
      assert.ok(busy >= 1 && busy <= 8);
      await page.getByTestId('run-to-end').click();
      await page.getByTestId('summary-json').waitFor({ state: 'attached', timeout: 120_000 });
      const summary = JSON.parse(await page.getByTestId('summary-json').textContent());
      // Erlang C for c = 8, a = 6 (600 requests/s of 10 ms): P(wait) = 0.357, Wq = 1.785 ms.
      assert.ok(Math.abs(summary.queue_wait_ms.mean - 1.785) / 1.785 < 0.1, `${summary.queue_wait_ms.mean} ms`);
      // The page says so beside the run: measured and predicted.
      const theory = page.getByTestId('theory-measured');
      assert.ok(Math.abs(Number(await theory.getAttribute('data-predicted')) - 1.785) < 0.001);
      assert.ok(Math.abs(Number(await theory.getAttribute('data-value')) - summary.queue_wait_ms.mean) < 1e-6);
      assert.match(await text(page, '[data-testid=theory]'), /M\/M\/8 queue at 75 % utilisation/);
    }],
  ],
};

/** The sentences of a preset's Watch text, as the page shows it. */
async function sentences(page) {
  const watch = (await page.getByTestId('lesson-watch').textContent()).replace(/^Watch:\s*/, '');
  return watch.split(/(?<=[.!?])\s+(?=[A-Z])/);
}

test('every preset has its claims checked', async () => {
  const errors = [];
  const page = await openPage(env.browser.context, `${env.server.url}?v=2&preset=baseline`, errors);
  const ids = await page.getByTestId('preset').locator('optgroup[label=Lessons] option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(ids.length >= 11, `${ids}`);
  assert.deepEqual(ids.filter((id) => !(id in CLAIMS)), []);
  await page.close();
});

for (const [preset, claims] of Object.entries(CLAIMS)) {
  test(`${preset}: every sentence of its text holds on screen`, async () => {
    const errors = [];
    const page = await openPage(env.browser.context, `${env.server.url}?v=2&preset=${preset}&speed=50`, errors);
    await page.getByTestId('play').waitFor();
    const checked = claims.map(([s]) => s);
    const said = await sentences(page);
    // Sentences that go together are checked together (written as one key).
    assert.equal(said.join(' '), checked.join(' '), 'every sentence has its check');
    for (const [sentence, check] of claims) {
      try {
        await check(page);
      } catch (e) {
        e.message = `${preset}: "${sentence}"\n${e.message}`;
        throw e;
      }
    }
    assert.deepEqual(errors, []);
    await page.close();
  });
}
