import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PortalContext } from '../context.js';

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
  catalog: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
});

/** Liveness for load balancers and systemd watchdogs: no login, no detail beyond ok/error. */
export const healthRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/healthz',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Health check',
        description: '200 when the portal can query the catalog, 503 otherwise.',
        response: { 200: Health, 503: Health },
      },
    },
    async (request, reply) => {
      try {
        ctx.catalog.ping();
        return { status: 'ok' as const, catalog: 'ok' as const };
      } catch (err) {
        request.log.error({ err }, 'health check: catalog query failed');
        return reply.code(503).send({ status: 'error', catalog: 'error' });
      }
    },
  );
};
