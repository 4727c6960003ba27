import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MIN_PASSWORD_LENGTH } from '../../storage/catalog/index.js';
import { audit, type PortalContext } from '../context.js';
import { DateTime, StringEnum, errors } from './common.js';

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
});

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
      audit(ctx, request, 'user.create', user.username, { id: user.id, role: user.role, extensions: user.extensions });
      return reply.code(201).send(user);
    },
  );
};
