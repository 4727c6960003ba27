import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { CALL_SCOPES, PROFILE_PERMISSIONS, ROLE_NAMES } from '../../storage/catalog/index.js';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { authOf } from '../auth/session-auth.js';
import { beyond, type Permission } from '../auth/rbac.js';
import { DateTime, Nullable, StringEnum, errors } from './common.js';

const SCOPE_KEYS = Object.keys(CALL_SCOPES) as ['none', 'own', 'group', 'all'];
const CallScope = StringEnum(SCOPE_KEYS, {
  description: Object.entries(CALL_SCOPES).map(([k, name]) => `${k}: "${name}"`).join('; '),
});
const PermissionKey = StringEnum(PROFILE_PERMISSIONS.map((p) => p.key) as [string, ...string[]], {
  description: PROFILE_PERMISSIONS.map((p) => `${p.key}: "${p.name}"`).join('; '),
});

const ProfileSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  callScope: CallScope,
  callScopeName: Type.String({ description: 'The seed name of the call scope' }),
  permissions: Type.Array(Type.String()),
  groups: Type.Array(Type.Integer(), { description: 'Seed 000 "Select Groups": their members\' calls, with the group scope' }),
  defaultForRole: Nullable(Type.String({ description: 'Users of this role without a chosen profile get this one' })),
  userCount: Type.Integer({ description: 'Seed 000 TOTAL USERS' }),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: 'Unique (case-insensitive)' });
const Permissions = Type.Array(PermissionKey, { maxItems: PROFILE_PERMISSIONS.length, uniqueItems: true });
const Groups = Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 1000, uniqueItems: true });

const NewProfile = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    callScope: CallScope,
    permissions: Permissions,
    groups: Type.Optional(Groups),
  },
  { additionalProperties: false },
);

const ProfileChange = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    callScope: Type.Optional(CallScope),
    permissions: Type.Optional(Permissions),
    groups: Type.Optional(Groups),
  },
  { additionalProperties: false, minProperties: 1 },
);

const ProfileId = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** Nobody writes a profile granting more than they hold themselves. */
function guardGrant(request: FastifyRequest, callScope: keyof typeof CALL_SCOPES, permissions: string[]): void {
  const extra = beyond(authOf(request).access, { callScope, permissions: new Set(permissions as Permission[]) });
  if (extra.length) throw new HttpError(403, `you cannot grant what you do not have: ${extra.join(', ')}`);
}

const view = <P extends { callScope: keyof typeof CALL_SCOPES }>(p: P) => ({ ...p, callScopeName: CALL_SCOPES[p.callScope] });

/** Access profiles (seed 000 §1.5 "Set Access Permissions"): call scope and permission flags. */
export const accessProfileRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/access-profiles/permissions',
    {
      config: { permission: 'session' },
      schema: {
        tags: ['access-profiles'],
        summary: 'What a profile can grant',
        description: 'The call scopes and permission flags with their seed 000 names and sections, and the roles.',
        response: {
          200: Type.Object({
            callScopes: Type.Array(Type.Object({ key: Type.String(), name: Type.String() })),
            permissions: Type.Array(Type.Object({ key: Type.String(), name: Type.String(), section: Type.String() })),
            roles: Type.Array(Type.Object({ key: Type.String(), name: Type.String() })),
          }),
          ...errors(401),
        },
      },
    },
    async () => ({
      callScopes: Object.entries(CALL_SCOPES).map(([key, name]) => ({ key, name })),
      permissions: PROFILE_PERMISSIONS.map((p) => ({ ...p })),
      roles: Object.entries(ROLE_NAMES).map(([key, name]) => ({ key, name })),
    }),
  );

  app.get(
    '/access-profiles',
    {
      config: { permission: 'users:read' },
      schema: {
        tags: ['access-profiles'],
        summary: 'List access profiles',
        response: { 200: Type.Object({ items: Type.Array(ProfileSchema) }), ...errors(401, 403) },
      },
    },
    async () => ({ items: ctx.catalog.accessProfiles.list().map(view) }),
  );

  app.get(
    '/access-profiles/:id',
    {
      config: { permission: 'users:read' },
      schema: { tags: ['access-profiles'], summary: 'One access profile', params: ProfileId, response: { 200: ProfileSchema, ...errors(400, 401, 403, 404) } },
    },
    async (request) => {
      const p = ctx.catalog.accessProfiles.get(request.params.id);
      if (!p) throw new HttpError(404, `access profile ${request.params.id} not found`);
      return view(p);
    },
  );

  app.post(
    '/access-profiles',
    {
      config: { permission: 'access-profiles:write' },
      schema: {
        tags: ['access-profiles'],
        summary: 'Create an access profile',
        description: '409 when the name exists. Audited (access-profile.create).',
        body: NewProfile,
        response: { 201: ProfileSchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      guardGrant(request, request.body.callScope, request.body.permissions);
      const p = ctx.catalog.accessProfiles.create(request.body);
      audit(ctx, request, 'access-profile.create', p.name, { id: p.id, callScope: p.callScope, permissions: p.permissions, groups: p.groups });
      return reply.code(201).send(view(p));
    },
  );

  app.patch(
    '/access-profiles/:id',
    {
      config: { permission: 'access-profiles:write' },
      schema: {
        tags: ['access-profiles'],
        summary: 'Change an access profile',
        description:
          'Absent fields stay; permissions and groups are replaced as a whole. Takes effect on the next request of ' +
          'every user with the profile. Audited (access-profile.update) with what changed.',
        params: ProfileId,
        body: ProfileChange,
        response: { 200: ProfileSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const current = ctx.catalog.accessProfiles.get(request.params.id);
      if (!current) throw new HttpError(404, `access profile ${request.params.id} not found`);
      guardGrant(request, request.body.callScope ?? current.callScope, request.body.permissions ?? current.permissions);
      const { before, after } = ctx.catalog.accessProfiles.update(request.params.id, request.body);
      const changed: Record<string, [unknown, unknown]> = {};
      for (const k of ['name', 'description', 'callScope', 'permissions', 'groups'] as const) {
        if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) changed[k] = [before[k], after[k]];
      }
      audit(ctx, request, 'access-profile.update', after.name, { id: after.id, changes: changed });
      return view(after);
    },
  );

  app.delete(
    '/access-profiles/:id',
    {
      config: { permission: 'access-profiles:write' },
      schema: {
        tags: ['access-profiles'],
        summary: 'Delete an access profile',
        description: '409 for a role\'s default profile and while users have it. Audited (access-profile.delete).',
        params: ProfileId,
        response: { 200: Type.Object({ id: Type.Integer(), message: Type.String() }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const p = ctx.catalog.accessProfiles.remove(request.params.id);
      audit(ctx, request, 'access-profile.delete', p.name, { id: p.id, callScope: p.callScope, permissions: p.permissions });
      return { id: p.id, message: `access profile ${p.name} deleted` };
    },
  );
};
