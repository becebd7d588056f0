// Loads the app. An external module (not an inline script) so the page runs under a strict
// Content-Security-Policy; paths are relative so the site works from any sub-path.
import init from './outage-lab.js';

init({ module_or_path: new URL('./outage-lab_bg.wasm', import.meta.url) });
