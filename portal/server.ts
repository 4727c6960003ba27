import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config/schema.js';
import type { Logger } from '../config/logger.js';
import type { Catalog } from '../storage/catalog/index.js';
import { join } from 'node:path';
import { openMediaTarget } from '../storage/media/open-target.js';
import type { PortalContext } from './context.js';
import { installErrorHandling } from './errors.js';
import { SESSION_COOKIE, CSRF_HEADER, installSessionAuth } from './auth/session-auth.js';
import { alarmRoutes } from './api/alarms.js';
import { auditRoutes } from './api/audit.js';
import { authRoutes } from './api/auth.js';
import { callRoutes } from './api/calls.js';
import { healthRoutes } from './api/health.js';
import { interactionRoutes } from './api/interactions.js';
import { mediaRoutes } from './api/media.js';
import { speechRoutes } from './api/speech.js';
import { userRoutes } from './api/users.js';

export interface PortalOptions {
  config: Config;
  catalog: Catalog;
  logger: Logger;
}

/** A login session lasts at most this long, however active (the idle limit is in the config). */
const SESSION_ABSOLUTE_HOURS = 12;

/**
 * The portal's HTTP server, ready but not listening (the caller listens and closes it):
 * `/api/v1/*` (session cookie + CSRF + role checks), `/api/docs` (OpenAPI UI), `/healthz`.
 */
export async function buildPortal(opts: PortalOptions): Promise<FastifyInstance> {
  const { config, catalog, logger } = opts;
  const ctx: PortalContext = {
    config,
    catalog,
    mediaStore: openMediaTarget(config),
    spoolDir: join(config.dataDir, 'spool'),
    sessionAbsoluteHours: SESSION_ABSOLUTE_HOURS,
  };

  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: 64 * 1024,
    trustProxy: false,
    // Range requests of a playing recording would flood the log at info; see the onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandling(app);
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });

  await app.register(fastifyCookie);
  // Only the reply.sendFile decorator; nothing is served from a directory.
  await app.register(fastifyStatic, { serve: false });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'sipvault portal API',
        version: 'v1',
        description:
          `Log in with POST /api/v1/auth/login; the answer sets the ${SESSION_COOKIE} cookie and returns a csrfToken ` +
          `to send in the ${CSRF_HEADER} header of every POST/PUT/PATCH/DELETE. Errors are {"error","message"}.`,
      },
      components: {
        securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } },
      },
      security: [{ session: [] }],
      tags: [
        { name: 'auth' },
        { name: 'interactions' },
        { name: 'media' },
        { name: 'calls' },
        { name: 'alarms' },
        { name: 'audit' },
        { name: 'users' },
        { name: 'health' },
      ],
    },
  });
  // Assets come from the package itself: the appliance works without internet access.
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });

  await app.register(healthRoutes, ctx);
  await app.register(
    async (api) => {
      installSessionAuth(api, ctx);
      await api.register(authRoutes, ctx);
      await api.register(interactionRoutes, ctx);
      await api.register(mediaRoutes, ctx);
      await api.register(speechRoutes, ctx);
      await api.register(callRoutes, ctx);
      await api.register(alarmRoutes, ctx);
      await api.register(auditRoutes, ctx);
      await api.register(userRoutes, ctx);
    },
    { prefix: '/api/v1' },
  );
  return app as unknown as FastifyInstance;
}
