// Development helper: serves assets/dashboard/ the way the service will (/ -> index.html,
// /dashboard/app.js, /dashboard/style.css) and forwards every other request to a running
// hikbridge, so the page and the API share one origin (as in production, no CORS needed).
//
//   BACKEND=http://127.0.0.1:19080 PORT=19081 node dev-server.mjs
//
// Then open http://127.0.0.1:19081/#token=<api token>. Only for a developer's machine: it
// binds the loopback address unless BIND says otherwise.

import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const assets = path.resolve(here, '../../assets/dashboard');
const backend = new URL(process.env.BACKEND || 'http://127.0.0.1:19080');
const port = Number(process.env.PORT || 19081);
const bind = process.env.BIND || '127.0.0.1';

const files = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/dashboard/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/dashboard/style.css': ['style.css', 'text/css; charset=utf-8'],
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const file = req.method === 'GET' || req.method === 'HEAD' ? files[url.pathname] : undefined;
  if (file) {
    try {
      const body = await readFile(path.join(assets, file[0]));
      res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    }
    return;
  }
  const headers = { ...req.headers, host: backend.host };
  const up = http.request({
    hostname: backend.hostname, port: backend.port || 80, method: req.method,
    path: req.url, headers,
  }, (r) => {
    res.writeHead(r.statusCode || 502, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'bad_gateway', message: `dev-server: ${e.message}` } }));
  });
  req.pipe(up);
});

server.listen(port, bind, () => {
  console.log(`dashboard on http://${bind}:${port}/ (API -> ${backend.origin})`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
