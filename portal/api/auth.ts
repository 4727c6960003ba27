import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { SESSION_COOKIE, authOf, sessionCookieOptions } from '../auth/session-auth.js';
import { StringEnum, errors } from './common.js';

const Role = StringEnum(['sysadmin', 'admin', 'supervisor', 'user', 'auditor']);

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

const SessionReply = Type.Object({
  user: Type.Object({ id: Type.Integer(), username: Type.String(), role: Role }),
  csrfToken: Type.String({ description: `Send it back in the x-csrf-token header of every POST/PUT/PATCH/DELETE` }),
});

/** Login, logout and the current session. */
export const authRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  const throttle = new LoginThrottle();

  app.post(
    '/auth/login',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in',
        description:
          'Checks the password and opens a session: sets the HttpOnly cookie `sipvault_session` and returns the CSRF token.',
        body: LoginBody,
        response: { 200: SessionReply, ...errors(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const wait = throttle.retryAfterMs(request.ip, username);
      if (wait > 0) {
        reply.header('retry-after', Math.ceil(wait / 1000));
        audit(ctx, request, 'login.throttled', username, null, { userId: null, username });
        throw new HttpError(429, 'too many failed logins; wait and try again');
      }
      const user = await ctx.catalog.users.verifyAsync(username, password);
      if (!user) {
        throttle.fail(request.ip, username);
        audit(ctx, request, 'login.failed', username, null, { userId: null, username });
        throw new HttpError(401, 'invalid username or password');
      }
      throttle.succeed(request.ip, username);
      // A fresh session id on every login; whatever session the browser carried ends here.
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) ctx.catalog.sessions.delete(previous);
      const session = ctx.catalog.sessions.create(user.id, ctx.config.portal.sessionIdleMinutes, ctx.sessionAbsoluteHours);
      reply.setCookie(SESSION_COOKIE, session.id, sessionCookieOptions(request));
      audit(ctx, request, 'login', user.username, null, { userId: user.id, username: user.username });
      return { user: { id: user.id, username: user.username, role: user.role }, csrfToken: session.csrfToken };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { permission: 'session' },
      schema: {
        tags: ['auth'],
        summary: 'Log out',
        description: 'Ends the session of the cookie. Needs the x-csrf-token header.',
        response: { 204: Type.Null(), ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      ctx.catalog.sessions.delete(auth.sessionId);
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request));
      audit(ctx, request, 'logout', auth.user.username);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/session',
    {
      config: { permission: 'session' },
      schema: {
        tags: ['auth'],
        summary: 'The current session',
        description: 'Who is logged in, and the CSRF token again (for a reloaded browser page).',
        response: { 200: SessionReply, ...errors(401) },
      },
    },
    async (request) => {
      const { user, csrfToken } = authOf(request);
      return { user: { id: user.id, username: user.username, role: user.role }, csrfToken };
    },
  );
};
