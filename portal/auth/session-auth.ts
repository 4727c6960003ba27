import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessScope, User } from '../../storage/catalog/index.js';
import type { PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { accessOf, can, type Access, type Permission } from './rbac.js';

export const SESSION_COOKIE = 'sipvault_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Who portal.auth.requireTotpForAdmins covers: Administrators and System Administrators. */
export const mustUseTotp = (user: Pick<User, 'role'>): boolean => user.role === 'admin' || user.role === 'sysadmin';
/** Sent as "1" by a page refreshing itself: the request is answered but is not activity for the idle timeout. */
export const BACKGROUND_HEADER = 'x-sipvault-background';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuthContext {
  user: User;
  /** session: the cookie of a login; token: an `Authorization: Bearer` API token. */
  via: 'session' | 'token';
  /** The cookie token (logout deletes by it); null for API tokens. */
  sessionId: string | null;
  /** The session's id in the session list; null for API tokens. */
  sessionPublicId: string | null;
  /** The API token's id; null for sessions. */
  tokenId: number | null;
  /** Empty for API tokens (they need no CSRF token). */
  csrfToken: string;
  /** The calls the caller may see; pass it to every catalog query of interactions. */
  scope: AccessScope;
  /** Effective permissions (access profile within the role's limits), read fresh per request. */
  permissions: ReadonlySet<Permission>;
  access: Access;
}

/** What an account has to do before it may use anything else. */
export type PendingStep = 'password-change' | 'totp-enrolment';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every API route; checked by the session-auth hook. */
    permission?: Permission;
    /** Open while the account must still change its password or enrol TOTP (PendingStep). */
    allowPending?: boolean;
    /** Refused to API tokens: a token cannot mint tokens or manage sessions. */
    sessionOnly?: boolean;
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

/** The step that blocks `user`, or null when the account may use what its role grants. */
export function pendingStep(ctx: PortalContext, user: User): PendingStep | null {
  if (user.mustChangePassword) return 'password-change';
  if (ctx.config.portal.auth.requireTotpForAdmins && mustUseTotp(user) && !ctx.catalog.users.signInState(user.id)?.totpEnabled) {
    return 'totp-enrolment';
  }
  return null;
}

const PENDING_MESSAGE: Record<PendingStep, string> = {
  'password-change': 'you must change your password first (POST /api/v1/auth/password)',
  'totp-enrolment':
    'administrators must enrol a TOTP authenticator first (POST /api/v1/auth/totp/enrol, then POST /api/v1/auth/totp/confirm)',
};

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,200})$/;

/**
 * Authentication, CSRF and authorisation for every route of the API in one place:
 * - a route without `config.permission` fails at start-up (no route is open by omission);
 * - onRequest (before the body is even parsed): either an `Authorization: Bearer` API token
 *   (no cookie, so no CSRF token needed) or the session cookie naming a live session, whose
 *   state-changing methods must echo the session's CSRF token in `x-csrf-token`;
 * - an account that must change its password or enrol TOTP reaches only `allowPending` routes;
 * - the user's effective permissions (access profile within its role's limits, read from the
 *   catalog on every request so that a change applies to the next one) must include the route's,
 *   and an API token limited to some permissions must include it too.
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
    const config = request.routeOptions.config;
    const permission = config.permission;
    if (permission === 'public') return;
    if (!permission) throw new HttpError(500, 'route without permission');

    const authorization = request.headers.authorization;
    let tokenLimit: string[] | null = null;
    let user: User;
    let via: Pick<AuthContext, 'via' | 'sessionId' | 'sessionPublicId' | 'tokenId' | 'csrfToken'>;
    if (authorization !== undefined) {
      const m = BEARER.exec(authorization);
      const token = m ? ctx.catalog.apiTokens.use(m[1]!, ctx.clock()) : null;
      const owner = token ? ctx.catalog.users.get(token.userId) : null;
      if (!token || !owner || !owner.enabled) throw new HttpError(401, 'invalid, expired or revoked API token (Authorization: Bearer <token>)');
      user = owner;
      via = { via: 'token', sessionId: null, sessionPublicId: null, tokenId: token.id, csrfToken: '' };
      tokenLimit = token.permissions;
      if (config.sessionOnly) throw new HttpError(403, 'API tokens cannot do this; log in with a password');
    } else {
      const token = request.cookies[SESSION_COOKIE];
      if (!token) throw new HttpError(401, 'log in first');
      const session = request.headers[BACKGROUND_HEADER] === '1' ? ctx.catalog.sessions.peek(token, ctx.clock()) : ctx.catalog.sessions.touch(token, ctx.clock());
      const owner = session ? ctx.catalog.users.get(session.userId) : null;
      if (!session || !owner || !owner.enabled) {
        reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request));
        throw new HttpError(401, 'session expired or ended; log in again');
      }
      if (STATE_CHANGING.has(request.method)) {
        const sent = request.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !sameToken(sent, session.csrfToken)) {
          throw new HttpError(403, `missing or wrong ${CSRF_HEADER} header (use the csrfToken returned by login)`);
        }
      }
      user = owner;
      via = { via: 'session', sessionId: token, sessionPublicId: session.publicId, tokenId: null, csrfToken: session.csrfToken };
    }
    const access = accessOf(user, ctx.catalog.accessProfiles.grantFor(user));
    request.auth = { user, ...via, scope: access.scope, permissions: access.permissions, access };
    const pending = config.allowPending ? null : pendingStep(ctx, user);
    if (pending) throw new HttpError(403, PENDING_MESSAGE[pending]);
    if (!can(access, permission)) {
      throw new HttpError(403, `your access profile does not allow this (${permission})`);
    }
    if (tokenLimit !== null && permission !== 'session' && !tokenLimit.includes(permission)) {
      throw new HttpError(403, `this API token is limited to ${tokenLimit.join(', ') || 'no permissions'} (the route needs ${permission})`);
    }
  });
}
