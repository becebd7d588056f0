// Loads the app. An external module (not an inline script) so the page runs under a strict
// Content-Security-Policy; paths are relative so the site works from any sub-path.
import init from './outage-lab.js';

// The colour theme and accent from the address, before the app loads, so the first paint
// already has them (the app sets the same from the same parameters, and names bad values).
{
  const params = new URLSearchParams(location.search);
  const theme = params.get('theme');
  document.documentElement.dataset.theme = ['light', 'dark', 'auto'].includes(theme) ? theme : 'auto';
  const accent = params.get('accent');
  if (accent && /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.test(accent)) {
    document.documentElement.style.setProperty('--accent', '#' + accent.replace(/^#/, '').toLowerCase());
  }
}

let instances = 0;

// Called by the app's panic hook: keeps the page usable after a crash. Shows what happened,
// offers the report (message, address, browser) to copy, and reopens the last working state
// in a fresh instance of the app without a reload (nothing is kept in storage).
window.outageLabCrashed = (message, lastWorkingQuery, instance) => {
  if (instance !== instances || document.getElementById('crash-banner')) return;
  const banner = document.createElement('div');
  banner.id = 'crash-banner';
  banner.className = 'banner error crash';
  banner.setAttribute('role', 'alert');
  banner.dataset.testid = 'crash-banner';
  const text = document.createElement('p');
  text.textContent = 'Outage Lab stopped with an internal error: ' + message;
  const report = [
    'Outage Lab internal error', 'message: ' + message, 'address: ' + location.href,
    'last working state: ' + lastWorkingQuery, 'browser: ' + navigator.userAgent,
  ].join('\n');
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.textContent = 'Copy report';
  copy.dataset.testid = 'crash-copy';
  copy.addEventListener('click', () => {
    const done = () => { copy.textContent = 'Report copied'; };
    if (navigator.clipboard) navigator.clipboard.writeText(report).then(done, () => {});
    banner.dataset.report = report;
  });
  const reopen = document.createElement('button');
  reopen.type = 'button';
  reopen.textContent = 'Reopen the last working state';
  reopen.dataset.testid = 'crash-reopen';
  reopen.addEventListener('click', () => {
    banner.remove();
    for (const node of [...document.body.childNodes]) node.remove();
    window.outageLabReopen = lastWorkingQuery || location.search;
    start();
  });
  banner.append(text, copy, reopen);
  document.body.prepend(banner);
};

// A fresh module instance (its own wasm memory) each time: a crashed instance is left behind.
function start() {
  instances += 1;
  window.outageLabInstance = instances;
  const wasm = new URL('./outage-lab_bg.wasm', import.meta.url);
  if (instances === 1) return init({ module_or_path: wasm });
  return import('./outage-lab.js?instance=' + instances)
    .then((fresh) => fresh.default({ module_or_path: wasm }));
}

start();
