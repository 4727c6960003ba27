import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MIN_PASSWORD_LENGTH } from '../../storage/catalog/index.js';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { DateTime, Nullable, StringEnum, errors } from './common.js';
import { HoldAnswer } from './interactions.js';

const Role = StringEnum(['admin', 'supervisor', 'user', 'auditor'], {
  description: 'admin: everything; supervisor: all calls; user: calls of its extensions; auditor: audit trail only',
});

const UserSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  role: Role,
  extensions: Type.Array(Type.String()),
  mustChangePassword: Type.Boolean(),
  createdAt: DateTime(),
  legalHoldSince: Nullable(DateTime('On legal hold since (all the user\'s calls are held); null = not held')),
});

const UserId = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const NewUserBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' }),
    password: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1024 }),
    role: Role,
    extensions: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      default: [],
      maxItems: 1000,
      description: 'Numbers/AoR user parts whose calls a `user` may see',
    }),
  },
  { additionalProperties: false },
);

/** Portal accounts (admins only). */
export const userRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/users',
    {
      config: { permission: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'List users',
        response: { 200: Type.Object({ items: Type.Array(UserSchema) }), ...errors(401, 403) },
      },
    },
    async () => ({ items: ctx.catalog.users.list() }),
  );

  app.post(
    '/users',
    {
      config: { permission: 'users:write' },
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        description: 'Needs the x-csrf-token header. 409 when the username exists (case-insensitive).',
        body: NewUserBody,
        response: { 201: UserSchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { username, password, role, extensions } = request.body;
      const user = ctx.catalog.users.add({ username, password, role, extensions });
      // Calls recorded before the account existed become the user's too.
      const linked = ctx.catalog.interactions.linkExtensions(user.extensions);
      audit(ctx, request, 'user.create', user.username, { id: user.id, role: user.role, extensions: user.extensions, linkedCalls: linked });
      return reply.code(201).send(user);
    },
  );

  for (const on of [true, false]) {
    const route = {
      config: { permission: 'legalhold:write' as const },
      schema: {
        tags: ['users'],
        summary: on ? 'Place a user on legal hold' : 'Release a user from legal hold',
        description: on
          ? 'Administrators. Every call linked to the user, past and future, is held: never purged or deleted. Audited (item "Legal Hold").'
          : 'Held calls whose expiry has passed are purged by the next run; the others keep their own expiry. Audited.',
        params: UserId,
        response: { 200: HoldAnswer, ...errors(400, 401, 403, 404) },
      },
    };
    const handler = async (request: Parameters<typeof audit>[1] & { params: { id: number } }) => {
      const { id } = request.params;
      const changed = ctx.catalog.retention.setUserHold(id, on ? new Date() : null);
      const user = ctx.catalog.users.get(id);
      if (!user) throw new HttpError(404, `user ${id} not found`);
      if (changed) audit(ctx, request, on ? 'legalhold.on' : 'legalhold.off', user.username, { item: 'Legal Hold', scope: 'user', userId: id });
      return {
        id,
        legalHold: user.legalHoldSince !== null,
        legalHoldSince: user.legalHoldSince,
        message: on ? 'The user has been successfully placed in legal hold.' : 'The user has been successfully removed from legal hold.',
      };
    };
    if (on) app.put('/users/:id/legal-hold', route, handler);
    else app.delete('/users/:id/legal-hold', route, handler);
  }
};
