import { createServer, type Server } from 'node:http';
import { splitHostPort } from '../../config/loader.js';

/**
 * A plain-HTTP listener that sends every request to the same path over HTTPS (308 keeps the
 * method and body). Nothing is served over HTTP, not even /healthz: a session cookie never
 * travels in clear text.
 */
export async function startHttpRedirect(listen: string, httpsPort: number): Promise<Server> {
  const { host, port } = splitHostPort(listen);
  const server = createServer((req, res) => {
    const hostHeader = req.headers.host ?? '';
    // The host the browser used, without its port (an IPv6 literal keeps its brackets).
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d+)?$/.exec(hostHeader);
    if (!m) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Bad Request', message: 'a Host header is needed to redirect to HTTPS' }));
      return;
    }
    const target = `https://${m[1]}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}`;
    res.writeHead(308, { location: target, 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'Permanent Redirect', message: `use ${target}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
