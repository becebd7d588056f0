// Outage Lab's embedding SDK: a dependency-free ES module, served with the lab, that defines
// the <outage-lab> element and `embed(target, options)`. The element creates the sandboxed
// frame (at once, or on click with load="click"), sizes it to its content as it grows and
// shrinks, turns the lab's messages into DOM events and offers the commands as methods.
//
//   <script type="module" src="https://lab.example.com/outage-lab-element.js"></script>
//   <outage-lab preset="seed-incident" theme="auto" charts="status" load="click"></outage-lab>
//
// Events (bubbling CustomEvents, `detail` is the lab's message): `outage-lab-ready`,
// `outage-lab-resize`, `outage-lab-event` (detail.event: breaker_opened, alert_fired,
// run_finished, stopped, challenge_passed, lesson_completed, drill_scored), `outage-lab-second`
// (after subscribe()), `outage-lab-state`, `outage-lab-error`.
// Methods: play(), pause(), reset(), load({ preset } or { link }), setTheme(theme),
// set(setting, value), inject(fault), runTo(t_s), subscribe(on), getState() (a promise of the
// state message).

/** Attributes passed to the lab's address as they are (see docs/embedding.md). */
const PASSED = ['preset', 'seed', 'speed', 'panels', 'charts', 'controls', 'stop', 'theme', 'accent', 'guide', 'challenge', 'drill', 'at', 'load-pct', 'quiz'];
/** Attributes that are flags: present means 1. */
const FLAGS = ['lock', 'autoplay'];
/** This module's own address: the lab is served beside it unless `src` says otherwise. */
const HERE = new URL('./', import.meta.url).href;

/** The lab's address for an element's attributes. */
export function labUrl(attributes, hostOrigin) {
  const get = (name) => attributes.get(name);
  const base = new URL(get('src') ?? HERE, document.baseURI);
  const params = new URLSearchParams();
  if (!get('drill') && !get('guide') && !get('quiz') && !get('challenge')) params.set('v', '2');
  for (const name of PASSED) {
    const value = get(name);
    if (value != null) params.set(name === 'load-pct' ? 'load' : name, value);
  }
  for (const name of FLAGS) if (get(name) != null) params.set(name, '1');
  params.set('embed', '1');
  params.set('origins', hostOrigin);
  return `${base.origin}${base.pathname}?${params}`;
}

export class OutageLabElement extends HTMLElement {
  static get observedAttributes() { return ['theme']; }

  constructor() {
    super();
    this.frame = null;
    this.pending = [];
    this.stateWaiters = [];
    this.onMessage = this.onMessage.bind(this);
    this.ready = new Promise((resolve) => { this.resolveReady = resolve; });
  }

  connectedCallback() {
    if (this.frame || this.placeholder) return;
    this.style.display = this.style.display || 'block';
    window.addEventListener('message', this.onMessage);
    if (this.getAttribute('load') === 'click') this.showPlaceholder();
    else this.createFrame();
  }

  disconnectedCallback() {
    window.removeEventListener('message', this.onMessage);
  }

  attributeChangedCallback(name, old, value) {
    if (name === 'theme' && old !== null && value && this.frame) this.setTheme(value);
  }

  /** A light placeholder in the frame's place: no frame, no wasm, no simulation until clicked. */
  showPlaceholder() {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'outage-lab-placeholder';
    button.dataset.testid = 'outage-lab-load';
    const title = this.getAttribute('title') ?? 'Outage Lab';
    button.textContent = `▶ Load the simulation: ${title}`;
    button.setAttribute('aria-label', `Load the simulation: ${title}`);
    const dark = this.getAttribute('theme') === 'dark'
      || (this.getAttribute('theme') !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
    Object.assign(button.style, {
      display: 'block', width: '100%', minHeight: `${this.getAttribute('placeholder-height') ?? 240}px`,
      font: 'inherit', fontSize: '1.05rem', fontWeight: '600', cursor: 'pointer', borderRadius: '8px',
      border: `1px solid ${dark ? '#323a4e' : '#dde1ea'}`,
      background: dark ? '#1b2030' : '#f5f6fa', color: dark ? '#8fb0ff' : '#2456c7',
    });
    button.addEventListener('click', () => {
      button.remove();
      this.placeholder = null;
      this.createFrame();
      this.frame.focus();
    });
    this.placeholder = button;
    this.append(button);
  }

  createFrame() {
    const attributes = new Map([...this.attributes].map((a) => [a.name, a.value]));
    const frame = document.createElement('iframe');
    frame.src = labUrl(attributes, location.origin);
    frame.title = this.getAttribute('title') ?? 'Outage Lab';
    // The lab keeps its own origin (allow-same-origin): it differs from the host's, so the
    // same-origin policy still keeps it out of the host page, and the lab loads its module and
    // wasm without CORS headers. The sandbox still blocks top navigation, pop-ups and forms.
    // A host that serves the lab from its own origin can set the attribute `strict` for an
    // opaque-origin frame instead (the lab's host must then send CORS headers).
    frame.setAttribute('sandbox', this.hasAttribute('strict') ? 'allow-scripts allow-downloads' : 'allow-scripts allow-same-origin allow-downloads');
    frame.setAttribute('allow', 'clipboard-write');
    frame.setAttribute('loading', 'lazy');
    Object.assign(frame.style, { width: '100%', border: '0', display: 'block', colorScheme: 'normal' });
    frame.height = this.getAttribute('height') ?? '600';
    this.frame = frame;
    this.append(frame);
  }

  onMessage(event) {
    if (!this.frame || event.source !== this.frame.contentWindow) return;
    const m = event.data;
    if (!m || m.source !== 'outage-lab' || m.version !== 1) return;
    if (m.type === 'resize' && Number.isFinite(m.height) && !this.hasAttribute('height')) {
      this.frame.height = String(Math.min(Math.max(Math.ceil(m.height), 120), 6000));
    } else if (m.type === 'ready') {
      this.resolveReady();
      for (const send of this.pending.splice(0)) send();
    } else if (m.type === 'state') {
      for (const resolve of this.stateWaiters.splice(0)) resolve(m);
    }
    this.dispatchEvent(new CustomEvent(`outage-lab-${m.type}`, { detail: m, bubbles: true }));
  }

  /** Posts a command once the lab is ready (the frame's origin is opaque: target "*"). */
  send(command, extra = {}) {
    const post = () => this.frame.contentWindow.postMessage({ target: 'outage-lab', version: 1, command, ...extra }, '*');
    if (!this.frame) {
      this.placeholder?.remove();
      this.placeholder = null;
      this.createFrame();
    }
    this.ready.then(post);
  }

  play() { this.send('play'); }
  pause() { this.send('pause'); }
  reset() { this.send('reset'); }
  /** Opens a preset (`{ preset }`) or a link's state (`{ link }`). */
  load(what) { this.send('load', what); }
  setTheme(theme) { this.send('theme', { theme }); }
  /** Changes a setting by id, e.g. set('db_pool.max_size', 50). */
  set(setting, value) { this.send('set', { setting, value }); }
  /** Injects a fault now, as in a scenario's faults: inject({ kind: 'db_slow', duration_s: 60, multiplier: 100 }). */
  inject(fault) { this.send('fault', { fault }); }
  /** Plays until the clock reaches `t_s` seconds, then pauses. */
  runTo(t_s) { this.send('run_to', { t_s }); }
  /** Asks for an `outage-lab-second` event with each second's figures (or stops them). */
  subscribe(on = true) { this.send('subscribe', { seconds: on }); }
  getState() {
    return new Promise((resolve) => { this.stateWaiters.push(resolve); this.send('get_state'); });
  }
}

if (!customElements.get('outage-lab')) customElements.define('outage-lab', OutageLabElement);

/** Creates an <outage-lab> element with `options` as its attributes in `target`; returns it. */
export function embed(target, options = {}) {
  const el = document.createElement('outage-lab');
  for (const [name, value] of Object.entries(options)) {
    if (value === true) el.setAttribute(name, '');
    else if (value !== false && value != null) el.setAttribute(name, String(value));
  }
  (typeof target === 'string' ? document.querySelector(target) : target).append(el);
  return el;
}
