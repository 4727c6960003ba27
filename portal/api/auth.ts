import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../storage/catalog/index.js';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { checkPasswordPolicy } from '../auth/password-policy.js';
import { SESSION_COOKIE, authOf, mustUseTotp, pendingStep, sessionCookieOptions } from '../auth/session-auth.js';
import { newTotpSecret, otpauthUri, verifyTotp } from '../auth/totp.js';
import { Nullable, StringEnum, errors } from './common.js';

const Role = StringEnum(['sysadmin', 'admin', 'supervisor', 'user', 'auditor']);
const TotpCode = Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code of the authenticator app' });

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    totp: Type.Optional({ ...TotpCode, description: 'Required for accounts with TOTP enabled' }),
  },
  { additionalProperties: false },
);

const SessionReply = Type.Object({
  user: Type.Object({ id: Type.Integer(), username: Type.String(), role: Role }),
  totpEnabled: Type.Boolean({ description: 'Sign-in needs an authenticator code' }),
  csrfToken: Type.String({ description: `Send it back in the x-csrf-token header of every POST/PUT/PATCH/DELETE` }),
  pending: Nullable(
    StringEnum(['password-change', 'totp-enrolment'], {
      description: 'What the account must do before anything else is allowed (403 until then); null: nothing',
    }),
  ),
});

const PasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 1024 }),
    newPassword: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

const TotpEnrolment = Type.Object({
  secret: Type.String({ description: 'Base32 secret, for manual entry' }),
  otpauthUri: Type.String({ description: 'otpauth://totp/... for a QR code' }),
});

/** Login, logout, the current session, password change and TOTP enrolment. */
export const authRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  const throttle = new LoginThrottle();
  const { lockout } = ctx.config.portal.auth;
  const lockMs = lockout.lockMinutes * 60_000;
  // Unknown usernames "lock" like real ones (in memory only): otherwise a 423 after maxFailures
  // would tell an attacker which usernames exist.
  const phantom = new LoginThrottle(lockout.maxFailures, lockMs);

  const sessionReply = (user: User, csrfToken: string) => ({
    user: { id: user.id, username: user.username, role: user.role },
    totpEnabled: ctx.catalog.users.signInState(user.id)?.totpEnabled ?? false,
    csrfToken,
    pending: pendingStep(ctx, user),
  });

  /** A fresh session (and cookie) for `user`; whatever session the browser carried ends. */
  const openSession = (request: FastifyRequest, reply: FastifyReply, user: User) => {
    const previous = request.cookies[SESSION_COOKIE];
    if (previous) ctx.catalog.sessions.delete(previous);
    const session = ctx.catalog.sessions.create(user.id, ctx.config.portal.sessionIdleMinutes, ctx.sessionAbsoluteHours, {
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? null,
      now: ctx.clock(),
    });
    reply.setCookie(SESSION_COOKIE, session.id, sessionCookieOptions(request));
    return session;
  };

  /** Counts a failure against the account; audits it (one row) and says whether it locked. */
  const failed = (request: FastifyRequest, username: string, user: User | null, reason: string) => {
    throttle.fail(request.ip, username);
    const details: Record<string, unknown> = { reason };
    if (!user) phantom.fail('', username, ctx.clock());
    if (user) {
      const r = ctx.catalog.users.recordLoginFailure(user.id, lockout.maxFailures, lockMs, ctx.clock());
      details.failures = r.failures;
      if (r.lockedUntil !== null) {
        details.locked = true;
        details.lockedUntil = new Date(r.lockedUntil).toISOString();
      }
    }
    audit(ctx, request, 'login.failed', username, details, { userId: null, username });
  };

  app.post(
    '/auth/login',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in',
        description:
          'Checks the password (and the TOTP code of accounts that have one) and opens a session: sets the HttpOnly ' +
          'cookie `sipvault_session` and returns the CSRF token. After portal.auth.lockout.maxFailures failures in a ' +
          'row the account is locked for lockMinutes (423). `pending` says what the account must do first.',
        body: LoginBody,
        response: { 200: SessionReply, ...errors(400, 401, 423, 429) },
      },
    },
    async (request, reply) => {
      const { username, password, totp } = request.body;
      const now = ctx.clock();
      const wait = throttle.retryAfterMs(request.ip, username);
      if (wait > 0) {
        reply.header('retry-after', Math.ceil(wait / 1000));
        audit(ctx, request, 'login.throttled', username, { reason: 'address' }, { userId: null, username });
        throw new HttpError(429, 'too many failed logins; wait and try again');
      }
      const known = ctx.catalog.users.byUsername(username);
      const state = known ? ctx.catalog.users.signInState(known.id) : null;
      const lockedUntil = known ? (state?.lockedUntil ?? 0) : now + phantom.retryAfterMs('', username, now);
      if (lockedUntil > now) {
        const until = new Date(lockedUntil).toISOString();
        reply.header('retry-after', Math.ceil((lockedUntil - now) / 1000));
        audit(ctx, request, 'login.throttled', username, { reason: 'account locked', lockedUntil: until }, { userId: null, username });
        throw new HttpError(423, `account locked after repeated failed logins until ${until}`);
      }
      const user = await ctx.catalog.users.verifyAsync(username, password);
      if (!user) {
        failed(request, username, known, 'password');
        throw new HttpError(401, 'invalid username or password');
      }
      if (state?.totpEnabled && state.totpSecret) {
        // Without a code nothing is counted: a two-step form sends the password first.
        if (totp === undefined) throw new HttpError(401, 'this account needs a TOTP code: send it in the "totp" field');
        const step = verifyTotp(state.totpSecret, totp, now);
        if (step === null || !ctx.catalog.users.useTotpStep(user.id, step)) {
          failed(request, username, user, step === null ? 'totp' : 'totp replayed');
          throw new HttpError(401, 'invalid TOTP code');
        }
      }
      throttle.succeed(request.ip, username);
      ctx.catalog.users.clearLoginFailures(user.id);
      const session = openSession(request, reply, user);
      audit(ctx, request, 'login', user.username, null, { userId: user.id, username: user.username });
      return sessionReply(user, session.csrfToken);
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { permission: 'session', allowPending: true, sessionOnly: true },
      schema: {
        tags: ['auth'],
        summary: 'Log out',
        description: 'Ends the session of the cookie. Needs the x-csrf-token header.',
        response: { 204: Type.Null(), ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      if (auth.sessionId) ctx.catalog.sessions.delete(auth.sessionId);
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request));
      audit(ctx, request, 'logout', auth.user.username);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/session',
    {
      config: { permission: 'session', allowPending: true },
      schema: {
        tags: ['auth'],
        summary: 'The current session',
        description: 'Who is logged in, the CSRF token again (for a reloaded browser page; empty for API tokens) and what is pending.',
        response: { 200: SessionReply, ...errors(401) },
      },
    },
    async (request) => {
      const { user, csrfToken } = authOf(request);
      return sessionReply(user, csrfToken);
    },
  );

  app.post(
    '/auth/password',
    {
      config: { permission: 'session', allowPending: true, sessionOnly: true },
      schema: {
        tags: ['auth'],
        summary: 'Change your password',
        description:
          'Checks the current password and the password policy (portal.auth.passwordPolicy; a 400 names the rule broken). ' +
          'Ends every session of the account and opens a new one: the answer carries a new cookie and CSRF token.',
        body: PasswordBody,
        response: { 200: SessionReply, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { user } = authOf(request);
      const { currentPassword, newPassword } = request.body;
      if (!(await ctx.catalog.users.verifyAsync(user.username, currentPassword))) {
        failed(request, user.username, user, 'password change');
        throw new HttpError(403, 'the current password is wrong');
      }
      if (newPassword === currentPassword) throw new HttpError(400, 'the new password must differ from the current one');
      checkPasswordPolicy(ctx.config.portal.auth.passwordPolicy, newPassword);
      ctx.catalog.users.setPassword(user.username, newPassword);
      const updated = ctx.catalog.users.get(user.id)!;
      const session = openSession(request, reply, updated);
      audit(ctx, request, 'user.update', user.username, { change: 'password' });
      return sessionReply(updated, session.csrfToken);
    },
  );

  app.post(
    '/auth/totp/enrol',
    {
      config: { permission: 'session', allowPending: true, sessionOnly: true },
      schema: {
        tags: ['auth'],
        summary: 'Start TOTP enrolment',
        description:
          'A new secret for your authenticator app (RFC 6238: SHA-1, 6 digits, 30 s). It takes effect with ' +
          'POST /auth/totp/confirm and a code from the app. 409 when TOTP is already enabled.',
        response: { 200: TotpEnrolment, ...errors(401, 403, 409) },
      },
    },
    async (request) => {
      const { user } = authOf(request);
      if (ctx.catalog.users.signInState(user.id)?.totpEnabled) throw new HttpError(409, 'TOTP is already enabled for this account');
      const secret = newTotpSecret();
      ctx.catalog.users.setTotpSecret(user.id, secret);
      return { secret, otpauthUri: otpauthUri(ctx.config.portal.auth.totpIssuer, user.username, secret) };
    },
  );

  app.post(
    '/auth/totp/confirm',
    {
      config: { permission: 'session', allowPending: true, sessionOnly: true },
      schema: {
        tags: ['auth'],
        summary: 'Finish TOTP enrolment',
        description: 'A current code of the enrolled secret turns TOTP on: from now on login needs the `totp` field.',
        body: Type.Object({ code: TotpCode }, { additionalProperties: false }),
        response: { 200: Type.Object({ totpEnabled: Type.Boolean() }), ...errors(400, 401, 403, 409) },
      },
    },
    async (request) => {
      const { user } = authOf(request);
      const state = ctx.catalog.users.signInState(user.id);
      if (state?.totpEnabled) throw new HttpError(409, 'TOTP is already enabled for this account');
      if (!state?.totpSecret) throw new HttpError(400, 'no TOTP enrolment in progress: POST /api/v1/auth/totp/enrol first');
      const step = verifyTotp(state.totpSecret, request.body.code, ctx.clock());
      if (step === null) throw new HttpError(400, 'code: wrong TOTP code (check the device clock)');
      ctx.catalog.users.enableTotp(user.id, step, ctx.clock());
      audit(ctx, request, 'user.update', user.username, { change: 'totp enabled' });
      return { totpEnabled: true };
    },
  );

  app.post(
    '/auth/totp/disable',
    {
      config: { permission: 'session', sessionOnly: true },
      schema: {
        tags: ['auth'],
        summary: 'Turn TOTP off',
        description: 'Needs the password. Refused to administrators while portal.auth.requireTotpForAdmins is on.',
        body: Type.Object({ password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { user } = authOf(request);
      if (ctx.config.portal.auth.requireTotpForAdmins && mustUseTotp(user)) {
        throw new HttpError(403, 'portal.auth.requireTotpForAdmins: administrators must keep TOTP');
      }
      if (!(await ctx.catalog.users.verifyAsync(user.username, request.body.password))) {
        failed(request, user.username, user, 'totp disable');
        throw new HttpError(403, 'the password is wrong');
      }
      ctx.catalog.users.disableTotp(user.id);
      audit(ctx, request, 'user.update', user.username, { change: 'totp disabled' });
      return reply.code(204).send(null);
    },
  );
};
