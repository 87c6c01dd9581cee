// A small web service of the kind a task starts on a viber (docs/ports.md's tests): an HTTP server
// with a page that loads a relative script and opens a WebSocket, an echo WebSocket at /ws, and a
// few routes that show what the proxy passes (headers, bodies, streams, slowness). With `garbage`
// it also listens on a second port that answers bytes that are not HTTP. It prints
// `port-service http=<port> garbage=<port>` once it listens. Plain .mjs: any Node runs it.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { WebSocketServer } from 'ws';

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Port service</title>
<style>body{font-family:sans-serif;margin:2rem;background:#f6f8fa}code{background:#fff;padding:2px 4px}</style>
<script src="app.js" defer></script></head>
<body><h1 id="title">Hello from a service on the viber</h1>
<p>origin: <code id="origin">?</code></p>
<p>websocket: <code id="ws">connecting</code></p>
<p>board API: <code id="api">trying</code></p>
<p>cookies: <code id="cookies">?</code></p>
</body></html>`;

const SCRIPT = `
document.getElementById('origin').textContent = self.origin;
try { document.getElementById('cookies').textContent = document.cookie || '(none)'; }
catch (error) { document.getElementById('cookies').textContent = 'blocked: ' + error.name; }
const socket = new WebSocket(new URL('ws', location.href).href.replace(/^http/, 'ws'));
socket.onopen = () => socket.send('ping');
socket.onmessage = (event) => { document.getElementById('ws').textContent = String(event.data); };
socket.onerror = () => { document.getElementById('ws').textContent = 'failed'; };
fetch('/api/tasks', { credentials: 'include' })
  .then(async (response) => { document.getElementById('api').textContent = 'READ ' + response.status + ' ' + (await response.text()).slice(0, 80); })
  .catch((error) => { document.getElementById('api').textContent = 'blocked: ' + error.name; });
`;

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://service');
  if (url.pathname === '/' || url.pathname === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  } else if (url.pathname === '/app.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(SCRIPT);
  } else if (url.pathname === '/headers') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ url: req.url, headers: req.headers }));
  } else if (url.pathname === '/echo' && req.method === 'POST') {
    const body = await readBody(req);
    res.writeHead(201, [
      ['content-type', req.headers['content-type'] ?? 'application/octet-stream'],
      ['x-service', 'echo'],
      ['x-body-sha256', createHash('sha256').update(body).digest('hex')],
      ['set-cookie', 'sid=abc; Path=/; HttpOnly'],
      ['set-cookie', 'openviber_session=from-the-service; Path=/'],
    ]);
    res.end(body);
  } else if (url.pathname === '/stream') {
    // Chunks written one by one, each after the client could see the one before.
    res.writeHead(200, { 'content-type': 'text/plain' });
    let index = 0;
    const next = () => {
      index += 1;
      if (index > 5) return res.end('end\n');
      res.write(`chunk-${index}\n`);
      setTimeout(next, 20);
    };
    next();
  } else if (url.pathname === '/big') {
    const bytes = Number(url.searchParams.get('bytes') ?? '0');
    const block = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) });
    let sent = 0;
    const write = () => {
      while (sent < bytes) {
        const piece = block.subarray(0, Math.min(block.length, bytes - sent));
        sent += piece.length;
        if (!res.write(piece)) return res.once('drain', write);
      }
      res.end();
    };
    write();
  } else if (url.pathname === '/slow') {
    // Never answers: the proxy's timeout (or the test) is what ends this request. Said, so a test
    // knows the request reached the service.
    console.log('port-service slow request');
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no ${url.pathname}`);
  }
});

const sockets = new WebSocketServer({ server, path: '/ws' });
sockets.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    socket.send(isBinary ? data : `echo: ${String(data)}`, { binary: isBinary });
  });
});

const host = process.env.PORT_SERVICE_HOST ?? '127.0.0.1';
server.listen(Number(process.env.PORT_SERVICE_PORT ?? 0), host, () => {
  const httpPort = server.address().port;
  if (!process.argv.includes('garbage')) {
    console.log(`port-service http=${httpPort}`);
    return;
  }
  const garbage = createTcpServer((socket) => {
    socket.resume();
    socket.end('this is not HTTP at all\r\n\r\n');
  });
  garbage.listen(0, host, () =>
    console.log(`port-service http=${httpPort} garbage=${garbage.address().port}`),
  );
});
