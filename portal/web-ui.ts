import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from '../config/logger.js';

/** Where scripts/build-web.mjs puts the bundle: dist/web, next to this compiled file's dist/portal. */
export const WEB_ROOT = fileURLToPath(new URL('../web/', import.meta.url));

// The bundle loads nothing from elsewhere; wavesurfer plays the fetched recording from a blob URL
// and keeps its styles inline in its shadow DOM.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** Paths that belong to the server, never to the single-page app (their 404 stays JSON). */
const SERVER_PATHS = /^\/(api|healthz|assets)(\/|$)/;

/**
 * The browser UI: hashed assets under /assets (cached for good) and index.html for every other
 * GET path, so deep links such as /interactions/<id> load the app, which then routes itself.
 */
export async function webUiRoutes(app: FastifyInstance, opts: { root?: string; logger: Logger }): Promise<void> {
  const root = opts.root ?? WEB_ROOT;
  const indexPath = join(root, 'index.html');
  const index = existsSync(indexPath) ? readFileSync(indexPath) : null;
  if (!index) opts.logger.warn({ root }, 'portal: the web UI is not built (npm run build); only the API is served');

  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    // File names carry a content hash: a new build has new names.
    immutable: true,
    maxAge: '365d',
  });

  app.get('/*', { config: { permission: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (SERVER_PATHS.test(path)) return reply.callNotFound();
    if (!index) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The sipvault web UI is not built on this appliance: run `npm run build`. The API is at /api/v1 (documentation at /api/docs).\n');
    }
    return reply.header('cache-control', 'no-cache').header('content-security-policy', CSP).type('text/html; charset=utf-8').send(index);
  });
}
