import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { can } from '../auth/rbac.js';
import { authOf } from '../auth/session-auth.js';
import { DateTime, Nullable, errors } from './common.js';

const SessionSchema = Type.Object({
  id: Type.String({ description: 'Session id for DELETE /sessions/{id} (not the cookie)' }),
  userId: Type.Integer(),
  username: Type.String(),
  createdAt: DateTime('Login time'),
  lastSeenAt: DateTime(),
  expiresAt: DateTime('When it ends unless used again (idle timeout, capped by the absolute one)'),
  absoluteExpiresAt: DateTime('When it ends however active'),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  current: Type.Boolean({ description: 'The session of this request' }),
});

/** Live login sessions: your own, or everybody's with sessions:admin; terminating one logs it out. */
export const sessionRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/sessions',
    {
      config: { permission: 'session', sessionOnly: true },
      schema: {
        tags: ['sessions'],
        summary: 'List login sessions',
        description: 'Your own live sessions; with sessions:admin (administrators) every user\'s.',
        response: { 200: Type.Object({ items: Type.Array(SessionSchema) }), ...errors(401, 403) },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const all = can(auth, 'sessions:admin');
      const items = ctx.catalog.sessions.list(all ? null : auth.user.id, ctx.clock());
      return { items: items.map((s) => ({ ...s, current: s.id === auth.sessionPublicId })) };
    },
  );

  app.delete(
    '/sessions/:id',
    {
      config: { permission: 'session', sessionOnly: true },
      schema: {
        tags: ['sessions'],
        summary: 'Terminate a login session',
        description: 'Its cookie gets 401 from then on. Your own sessions, or anyone\'s with sessions:admin. Audited (session.terminate).',
        params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{16}$' }) }),
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const { id } = request.params;
      const target = ctx.catalog.sessions.list(can(auth, 'sessions:admin') ? null : auth.user.id, ctx.clock()).find((s) => s.id === id);
      // Another user's session is "not found" to those who may not see it: no probing of ids.
      if (!target) throw new HttpError(404, `session ${id} not found`);
      ctx.catalog.sessions.terminate(id);
      audit(ctx, request, 'session.terminate', target.username, { session: id, userId: target.userId, own: target.userId === auth.user.id });
      return reply.code(204).send(null);
    },
  );
};
