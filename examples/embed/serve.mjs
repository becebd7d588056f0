// Serves the built app (dist/) on http://127.0.0.1:8080 with the headers docs/embedding.md
// recommends, and this example host page on http://127.0.0.1:8090.
// Usage: `trunk build --release` (or scripts/test.sh), then `node examples/embed/serve.mjs`.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
};
const APP_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'",
  'access-control-allow-origin': '*',
  'x-content-type-options': 'nosniff',
};
const HOST_HEADERS = {
  'content-security-policy': "default-src 'self'; frame-src http://127.0.0.1:8080; object-src 'none'; base-uri 'none'",
};

function serve(dir, port, headers) {
  createServer(async (req, res) => {
    let file = join(dir, normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  }).listen(port, '127.0.0.1', () => console.log(`${dir} on http://127.0.0.1:${port}/`));
}

serve(join(ROOT, 'dist'), 8080, APP_HEADERS);
serve(join(ROOT, 'examples/embed'), 8090, HOST_HEADERS);
console.log('Open http://127.0.0.1:8090/?app=http://127.0.0.1:8080/');
