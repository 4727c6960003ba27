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
import { effectiveConfig } from '../config/overrides.js';
import type { PortalContext } from './context.js';
import { installErrorHandling } from './errors.js';
import { SESSION_COOKIE, CSRF_HEADER, installSessionAuth } from './auth/session-auth.js';
import { accessProfileRoutes } from './api/access-profiles.js';
import { activityRoutes } from './api/activity.js';
import { alarmRoutes } from './api/alarms.js';
import { auditRoutes } from './api/audit.js';
import { authRoutes } from './api/auth.js';
import { callRoutes } from './api/calls.js';
import { groupRoutes } from './api/groups.js';
import { healthRoutes } from './api/health.js';
import { interactionRoutes } from './api/interactions.js';
import { mediaRoutes } from './api/media.js';
import { speechRoutes } from './api/speech.js';
import { userRoutes } from './api/users.js';
import { sessionRoutes } from './api/sessions.js';
import { tokenRoutes } from './api/tokens.js';
import { portalTls } from './transport/tls.js';
import { settingsRoutes } from './api/settings.js';
import { brandingRoutes } from './api/branding.js';
import { preferenceRoutes } from './api/preferences.js';
import { tagRoutes } from './api/tags.js';
import { noteRoutes } from './api/notes.js';
import { savedSearchRoutes } from './api/saved-searches.js';
import { exportRoutes } from './api/export.js';
import { webUiRoutes } from './web-ui.js';

export interface PortalOptions {
  config: Config;
  catalog: Catalog;
  logger: Logger;
  /** Epoch ms for sessions, lockouts, tokens and TOTP; Date.now unless a test moves time. */
  clock?: () => number;
}

/**
 * The portal's HTTP server, ready but not listening (the caller listens and closes it):
 * `/api/v1/*` (session cookie + CSRF + role checks), `/api/docs` (OpenAPI UI), `/healthz`, and the
 * browser UI (portal/web, built into dist/web) at `/`.
 */
export async function buildPortal(opts: PortalOptions): Promise<FastifyInstance> {
  const { config, catalog, logger } = opts;
  const ctx: PortalContext = {
    config,
    catalog,
    // The target as the API may have changed it (settings in the catalog); the routes keep the file's config.
    mediaStore: openMediaTarget(effectiveConfig(config, catalog.settings, (err) => logger.error({ err }, `settings ignored: ${err.message}`))),
    spoolDir: join(config.dataDir, 'spool'),
    sessionAbsoluteHours: config.portal.sessionAbsoluteHours,
    clock: opts.clock ?? Date.now,
  };
  // HTTPS when portal.tls says so (a self-signed pair is generated on the first start in auto mode).
  const tls = portalTls(config);
  if (tls?.generated) logger.warn({ cert: tls.certPath }, 'portal: generated a self-signed TLS certificate (set portal.tls.cert and key for a trusted one)');
  const hsts = config.portal.tls.hstsMaxAgeSeconds;

  const app = Fastify({
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
    loggerInstance: logger,
    bodyLimit: 64 * 1024,
    trustProxy: false,
    // Fastify strips unknown properties by default; a typo in a field name must be an error that names it.
    ajv: { customOptions: { removeAdditional: false } },
    // Range requests of a playing recording would flood the log at info; see the onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandling(app);
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.protocol === 'https' && hsts > 0) reply.header('strict-transport-security', `max-age=${hsts}`);
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
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          token: { type: 'http', scheme: 'bearer', description: 'An API token from POST /api/v1/tokens (no CSRF token needed)' },
        },
      },
      security: [{ session: [] }, { token: [] }],
      tags: [
        { name: 'auth' },
        { name: 'interactions' },
        { name: 'tags' },
        { name: 'notes' },
        { name: 'saved-searches' },
        { name: 'media' },
        { name: 'calls' },
        { name: 'alarms' },
        { name: 'audit' },
        { name: 'activity' },
        { name: 'settings' },
        { name: 'users' },
        { name: 'sessions' },
        { name: 'tokens' },
        { name: 'groups' },
        { name: 'access-profiles' },
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
      await api.register(sessionRoutes, ctx);
      await api.register(tokenRoutes, ctx);
      await api.register(groupRoutes, ctx);
      await api.register(accessProfileRoutes, ctx);
      await api.register(activityRoutes, ctx);
      await api.register(settingsRoutes, ctx);
      await api.register(brandingRoutes, ctx);
      await api.register(preferenceRoutes, ctx);
      await api.register(tagRoutes, ctx);
      await api.register(noteRoutes, ctx);
      await api.register(savedSearchRoutes, ctx);
      await api.register(exportRoutes, ctx);
    },
    { prefix: '/api/v1' },
  );
  // Last: its catch-all GET serves the single-page app for every path the API does not own.
  await app.register(webUiRoutes, { logger });
  return app as unknown as FastifyInstance;
}
