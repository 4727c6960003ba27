import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PortalContext } from '../context.js';
import { authOf } from '../auth/session-auth.js';
import { errors } from './common.js';
import { InteractionSchema } from './interactions.js';

/** Calls being recorded right now. */
export const callRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/calls/active',
    {
      config: { permission: 'calls:read' },
      schema: {
        tags: ['calls'],
        summary: 'Active calls',
        description: 'Interactions in status `recording` the caller may see, newest first.',
        response: { 200: Type.Object({ items: Type.Array(InteractionSchema) }), ...errors(401, 403) },
      },
    },
    async (request) => ({ items: ctx.catalog.interactions.active(authOf(request).scope) }),
  );
};
