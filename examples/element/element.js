// A dark docs page using the <outage-lab> element. The SDK is served with the lab; `app` in
// this page's address says where the lab is (default http://127.0.0.1:8080/).
const params = new URLSearchParams(location.search);
const app = new URL(params.get('app') ?? 'http://127.0.0.1:8080/');
const { embed } = await import(new URL('outage-lab-element.js', app).href);

embed('#lazy-slot', {
  src: app.href, preset: 'seed-incident', theme: 'dark', load: 'click', title: 'Black Friday: pool exhaustion',
  panels: 'transport,architecture,charts', charts: 'saturation',
});
const lab = embed('#eager-slot', {
  src: app.href, preset: 'seed-incident-fixed', theme: 'dark', speed: 'max', stop: '30',
  panels: 'transport,readouts,charts', charts: 'status', title: 'Black Friday: pool exhaustion, fixed',
});
lab.addEventListener('outage-lab-resize', (e) => { document.getElementById('height').textContent = String(e.detail.height); });
lab.addEventListener('outage-lab-event', (e) => {
  const item = document.createElement('li');
  item.dataset.event = e.detail.event;
  item.textContent = JSON.stringify(e.detail);
  document.getElementById('events').append(item);
});
document.getElementById('play').addEventListener('click', () => lab.play());
document.getElementById('pause').addEventListener('click', () => lab.pause());
document.getElementById('light').addEventListener('click', () => lab.setTheme('light'));
document.getElementById('inject').addEventListener('click', () => lab.inject({ kind: 'db_slow', duration_s: 60, multiplier: 1000 }));
lab.addEventListener('outage-lab-second', (e) => { document.getElementById('second').textContent = `${e.detail.t_s} s: ${(100 * e.detail.rate_5xx).toFixed(1)} % 5xx`; });
lab.ready.then(() => lab.subscribe(true));
document.getElementById('state').addEventListener('click', async () => {
  const s = await lab.getState();
  document.getElementById('state-out').textContent = `${s.preset} at ${s.now_s.toFixed(1)} s, ${s.playing ? 'playing' : 'paused'}`;
});
document.addEventListener('securitypolicyviolation', (e) => {
  const item = document.createElement('li');
  item.textContent = `${e.violatedDirective}: ${e.blockedURI}`;
  document.getElementById('violations').append(item);
});
