import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { can, type Permission } from '../auth/rbac.js';
import { authOf } from '../auth/session-auth.js';
import { DateTime, Nullable, errors } from './common.js';

const PermissionName = Type.String({ pattern: '^[a-z-]+:[a-z-]+$', maxLength: 64 });

const TokenSchema = Type.Object({
  id: Type.Integer(),
  userId: Type.Integer(),
  username: Type.String(),
  name: Type.String(),
  permissions: Nullable(Type.Array(Type.String(), { description: 'null: everything its user may do' })),
  createdAt: DateTime(),
  expiresAt: Nullable(DateTime()),
  lastUsedAt: Nullable(DateTime()),
  revokedAt: Nullable(DateTime()),
});

const NewTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'What the token is for, e.g. "CRM export"' }),
    permissions: Type.Optional(
      Type.Array(PermissionName, {
        maxItems: 50,
        uniqueItems: true,
        description: 'Limit the token to these permissions (each must be granted to your role); omitted: all of yours',
      }),
    ),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Omitted: until revoked' })),
  },
  { additionalProperties: false },
);

/**
 * API tokens for integrations: `Authorization: Bearer <token>`, no cookie and no CSRF token. A
 * token acts as its user with at most the user's permissions, checked on every request (a user
 * whose role shrinks takes its tokens along). Only a password login manages tokens.
 */
export const tokenRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.post(
    '/tokens',
    {
      config: { permission: 'session', sessionOnly: true },
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token',
        description: 'The answer\'s `token` is shown this once; only its hash is kept. Audited (token.create).',
        body: NewTokenBody,
        response: { 201: Type.Composite([TokenSchema, Type.Object({ token: Type.String() })]), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const { user } = auth;
      const { name, permissions, expiresInDays } = request.body;
      for (const p of permissions ?? []) {
        if (!can(auth, p as Permission)) throw new HttpError(400, `permissions: "${p}" is not granted to you (role ${user.role}, your access profile)`);
      }
      const now = ctx.clock();
      const expiresAt = expiresInDays === undefined ? null : new Date(now + expiresInDays * 86_400_000);
      const created = ctx.catalog.apiTokens.create(user.id, name, permissions ?? null, expiresAt, now);
      audit(ctx, request, 'token.create', name, { id: created.id, permissions: created.permissions, expiresAt: created.expiresAt });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/tokens',
    {
      config: { permission: 'session', sessionOnly: true },
      schema: {
        tags: ['tokens'],
        summary: 'List API tokens',
        description: 'Your own; with sessions:admin everybody\'s. Never the token itself.',
        response: { 200: Type.Object({ items: Type.Array(TokenSchema) }), ...errors(401, 403) },
      },
    },
    async (request) => {
      const auth = authOf(request);
      return { items: ctx.catalog.apiTokens.list(can(auth, 'sessions:admin') ? null : auth.user.id) };
    },
  );

  app.delete(
    '/tokens/:id',
    {
      config: { permission: 'session', sessionOnly: true },
      schema: {
        tags: ['tokens'],
        summary: 'Revoke an API token',
        description: 'It gets 401 from then on. Your own, or anyone\'s with sessions:admin. Audited (token.revoke).',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const token = ctx.catalog.apiTokens.get(request.params.id);
      if (!token || (token.userId !== auth.user.id && !can(auth, 'sessions:admin'))) {
        throw new HttpError(404, `token ${request.params.id} not found`);
      }
      if (ctx.catalog.apiTokens.revoke(token.id, ctx.clock())) {
        audit(ctx, request, 'token.revoke', token.name, { id: token.id, userId: token.userId });
      }
      return reply.code(204).send(null);
    },
  );
};
