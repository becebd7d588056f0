// A host page for Outage Lab: it embeds the lab in a sandboxed frame from another origin,
// resizes the frame to its content, shows the lab's events, and drives it with commands.
//
// Query parameters (for trying it out): `app` is the lab's address (default
// http://127.0.0.1:8080/), `allow` overrides the origin the lab is told to obey (default:
// this page's origin).

const params = new URLSearchParams(location.search);
const app = new URL(params.get('app') ?? 'http://127.0.0.1:8080/');
const allow = params.get('allow') ?? location.origin;

const frame = document.getElementById('lab');
const labState = new URLSearchParams({
  v: '1', preset: 'upstream-hang-fixed', speed: 'max',
  embed: '1', panels: 'transport,readouts,architecture,charts,controls',
  charts: 'status,breaker', controls: 'upstream.read_timeout_ms,upstream.breaker',
  stop: '150', origins: allow,
});
frame.src = `${app.origin}${app.pathname}?${labState}`;

// The frame is sandboxed without allow-same-origin, so its origin is opaque ("null"): commands
// must be posted with "*" as target origin, and its messages are recognised by their source
// window, not their origin.
function send(command, extra = {}) {
  frame.contentWindow.postMessage({ target: 'outage-lab', version: 1, command, ...extra }, '*');
}

window.addEventListener('message', (event) => {
  if (event.source !== frame.contentWindow) return;
  const m = event.data;
  if (!m || m.source !== 'outage-lab' || m.version !== 1) return;
  if (m.type === 'resize' && Number.isFinite(m.height)) {
    frame.height = String(Math.min(Math.max(m.height, 200), 4000));
    document.getElementById('height').textContent = String(m.height);
  } else if (m.type === 'state') {
    document.getElementById('state-out').textContent = `${m.preset} at ${m.now_s.toFixed(1)} s, ${m.playing ? 'playing' : 'paused'}`;
  } else {
    const item = document.createElement('li');
    item.dataset.type = m.type;
    if (m.event) item.dataset.event = m.event;
    item.textContent = JSON.stringify(m);
    document.getElementById('events').append(item);
  }
});

document.addEventListener('securitypolicyviolation', (e) => {
  const item = document.createElement('li');
  item.textContent = `${e.violatedDirective}: ${e.blockedURI}`;
  document.getElementById('violations').append(item);
});

document.getElementById('play').addEventListener('click', () => send('play'));
document.getElementById('pause').addEventListener('click', () => send('pause'));
document.getElementById('reset').addEventListener('click', () => send('reset'));
document.getElementById('state').addEventListener('click', () => send('get_state'));
document.getElementById('load').addEventListener('click', () => send('load', { preset: document.getElementById('preset').value }));
