import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { DateTime, errors } from './common.js';

const UserIds = (description: string) =>
  Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 10_000, uniqueItems: true, description });

const GroupSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  members: Type.Array(Type.Integer(), { description: 'User ids of the members' }),
  managers: Type.Array(Type.Integer(), {
    description: 'User ids of the users who manage the group: with the scope "Access User\'s Own and Group Calls" they see the members\' calls',
  }),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: 'Unique (case-insensitive)' });
const Description = Type.String({ maxLength: 1000 });

const NewGroup = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    members: Type.Optional(UserIds('User ids of the members')),
    managers: Type.Optional(UserIds('User ids of the managers')),
  },
  { additionalProperties: false },
);

const GroupChange = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    members: Type.Optional(UserIds('Replaces the members')),
    managers: Type.Optional(UserIds('Replaces the managers')),
  },
  { additionalProperties: false, minProperties: 1 },
);

const GroupId = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** Groups of users (seed 003 §A.5): members and managers. */
export const groupRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/groups',
    {
      config: { permission: 'users:read' },
      schema: { tags: ['groups'], summary: 'List groups', response: { 200: Type.Object({ items: Type.Array(GroupSchema) }), ...errors(401, 403) } },
    },
    async () => ({ items: ctx.catalog.groups.list() }),
  );

  app.get(
    '/groups/:id',
    {
      config: { permission: 'users:read' },
      schema: { tags: ['groups'], summary: 'One group', params: GroupId, response: { 200: GroupSchema, ...errors(400, 401, 403, 404) } },
    },
    async (request) => {
      const g = ctx.catalog.groups.get(request.params.id);
      if (!g) throw new HttpError(404, `group ${request.params.id} not found`);
      return g;
    },
  );

  app.post(
    '/groups',
    {
      config: { permission: 'groups:write' },
      schema: {
        tags: ['groups'],
        summary: 'Create a group',
        description: '409 when the name exists. Audited (group.create).',
        body: NewGroup,
        response: { 201: GroupSchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const g = ctx.catalog.groups.create(request.body);
      audit(ctx, request, 'group.create', g.name, { id: g.id, members: g.members, managers: g.managers });
      return reply.code(201).send(g);
    },
  );

  app.patch(
    '/groups/:id',
    {
      config: { permission: 'groups:write' },
      schema: {
        tags: ['groups'],
        summary: 'Change a group',
        description: 'Absent fields stay; members and managers are replaced as a whole. Audited (group.update) with what changed.',
        params: GroupId,
        body: GroupChange,
        response: { 200: GroupSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { before, after } = ctx.catalog.groups.update(request.params.id, request.body);
      const changed: Record<string, [unknown, unknown]> = {};
      for (const k of ['name', 'description', 'members', 'managers'] as const) {
        if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) changed[k] = [before[k], after[k]];
      }
      audit(ctx, request, 'group.update', after.name, { id: after.id, changes: changed });
      return after;
    },
  );

  app.delete(
    '/groups/:id',
    {
      config: { permission: 'groups:write' },
      schema: {
        tags: ['groups'],
        summary: 'Delete a group',
        description: 'Its managers stop seeing the members\' calls. Audited (group.delete).',
        params: GroupId,
        response: { 200: Type.Object({ id: Type.Integer(), message: Type.String() }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const g = ctx.catalog.groups.remove(request.params.id);
      audit(ctx, request, 'group.delete', g.name, { id: g.id, members: g.members, managers: g.managers });
      return { id: g.id, message: `group ${g.name} deleted` };
    },
  );
};
