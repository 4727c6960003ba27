import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessScope, User } from '../../storage/catalog/index.js';
import type { PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { accessOf, can, type Access, type Permission } from './rbac.js';

export const SESSION_COOKIE = 'sipvault_session';
export const CSRF_HEADER = 'x-csrf-token';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuthContext {
  user: User;
  /** The cookie token (logout deletes by it). */
  sessionId: string;
  csrfToken: string;
  /** The calls the caller may see; pass it to every catalog query of interactions. */
  scope: AccessScope;
  /** Effective permissions (access profile within the role's limits), read fresh per request. */
  permissions: ReadonlySet<Permission>;
  access: Access;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every API route; checked by the session-auth hook. */
    permission?: Permission;
  }
  interface FastifyRequest {
    /** Set by the session-auth hook on every route that is not `public`. */
    auth: AuthContext | null;
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Cookie attributes of the session cookie; Secure whenever the browser came over TLS. */
export function sessionCookieOptions(request: FastifyRequest) {
  return { httpOnly: true, sameSite: 'strict', path: '/', secure: request.protocol === 'https' } as const;
}

/** The authenticated caller of a non-public route (the hook guarantees it is there). */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new HttpError(401, 'log in first');
  return request.auth;
}

/**
 * Authentication, CSRF and authorisation for every route of the API in one place:
 * - a route without `config.permission` fails at start-up (no route is open by omission);
 * - onRequest (before the body is even parsed): the session cookie must name a live session,
 *   state-changing methods must echo the session's CSRF token in `x-csrf-token`, and the
 *   user's effective permissions (access profile within its role's limits, read from the catalog
 *   on every request so that a change applies to the next one) must include the route's.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function installSessionAuth(app: FastifyInstance<any, any, any, any, any>, ctx: PortalContext): void {
  app.decorateRequest('auth', null);

  app.addHook('onRoute', (route) => {
    if (!route.config?.permission) {
      throw new Error(`portal route ${route.method} ${route.url} declares no config.permission`);
    }
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.is404) return;
    const permission = request.routeOptions.config.permission;
    if (permission === 'public') return;
    if (!permission) throw new HttpError(500, 'route without permission');

    const token = request.cookies[SESSION_COOKIE];
    if (!token) throw new HttpError(401, 'log in first');
    const session = ctx.catalog.sessions.touch(token);
    const user = session ? ctx.catalog.users.get(session.userId) : null;
    if (!session || !user || !user.enabled) {
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request));
      throw new HttpError(401, 'session expired or ended; log in again');
    }
    if (STATE_CHANGING.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameToken(sent, session.csrfToken)) {
        throw new HttpError(403, `missing or wrong ${CSRF_HEADER} header (use the csrfToken returned by login)`);
      }
    }
    const access = accessOf(user, ctx.catalog.accessProfiles.grantFor(user));
    request.auth = { user, sessionId: token, csrfToken: session.csrfToken, scope: access.scope, permissions: access.permissions, access };
    if (!can(access, permission)) {
      throw new HttpError(403, `your access profile does not allow this (${permission})`);
    }
  });
}
