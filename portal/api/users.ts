import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { CALL_SCOPES, MIN_PASSWORD_LENGTH, ROLE_NAMES, ROLES, type Catalog, type Role as RoleKey, type User, type UserUpdate } from '../../storage/catalog/index.js';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { checkPasswordPolicy } from '../auth/password-policy.js';
import { authOf } from '../auth/session-auth.js';
import { accessOf, beyond } from '../auth/rbac.js';
import { DateTime, Nullable, StringEnum, errors } from './common.js';
import { HoldAnswer } from './interactions.js';

const Role = StringEnum([...ROLES] as ['sysadmin', 'admin', 'supervisor', 'user', 'auditor'], {
  description:
    'sysadmin "System Administrator" (everything, always), admin "Administrator", supervisor "Supervisor", ' +
    'user "User/Agent", auditor "Auditor". What a user may do comes from its access profile, within its role\'s limits.',
});

const GroupIds = (description: string) =>
  Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 1000, uniqueItems: true, description });

const UserSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  role: Role,
  roleName: Type.String({ description: 'The role as the seeds name it, e.g. "User/Agent"' }),
  extensions: Type.Array(Type.String()),
  mustChangePassword: Type.Boolean(),
  createdAt: DateTime(),
  legalHoldSince: Nullable(DateTime('On legal hold since (all the user\'s calls are held); null = not held')),
  enabled: Type.Boolean({ description: 'Seed 003 "Active"; a disabled user cannot log in' }),
  accessProfileId: Nullable(Type.Integer({ description: 'The chosen access profile; null = the default profile of the role' })),
  accessProfile: Nullable(
    Type.Object({ id: Type.Integer(), name: Type.String() }, { description: 'The profile in effect (chosen or the role default)' }),
  ),
  groups: Type.Array(Type.Integer(), { description: 'Groups the user is a member of' }),
  managedGroups: Type.Array(Type.Integer(), { description: 'Groups the user manages (their members\' calls, with the group scope)' }),
});

const UserId = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const Extensions = Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\s;,]+$' }), {
  maxItems: 1000,
  description: 'Numbers or AoR user parts: calls in which one of them is a party are linked to the user',
});

const NewUserBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' }),
    password: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1024 }),
    role: Role,
    extensions: Type.Optional(Extensions),
    accessProfileId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    groups: Type.Optional(GroupIds('Groups the user is a member of')),
    managedGroups: Type.Optional(GroupIds('Groups the user manages')),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

const UserChange = Type.Object(
  {
    role: Type.Optional(Role),
    accessProfileId: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'null: back to the role default' }))),
    extensions: Type.Optional(Extensions),
    groups: Type.Optional(GroupIds('Replaces the groups the user is a member of')),
    managedGroups: Type.Optional(GroupIds('Replaces the groups the user manages')),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

const MyAccess = Type.Object({
  userId: Type.Integer(),
  username: Type.String(),
  role: Role,
  roleName: Type.String(),
  accessProfile: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() })),
  callScope: StringEnum(Object.keys(CALL_SCOPES) as ['none', 'own', 'group', 'all']),
  callScopeName: Type.String({ description: 'e.g. "Access User\'s Own Calls"' }),
  permissions: Type.Array(Type.String(), { description: 'Effective permission keys (see GET /access-profiles/permissions)' }),
});

export function userView(catalog: Catalog, user: User) {
  const grant = catalog.accessProfiles.grantFor(user);
  return { ...user, roleName: ROLE_NAMES[user.role], accessProfile: grant ? { id: grant.id, name: grant.name } : null };
}

/** What changed, for the audit row: field -> [before, after]. */
function changes(before: User, after: User): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const k of ['role', 'accessProfileId', 'extensions', 'groups', 'managedGroups', 'enabled'] as const) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) out[k] = [before[k], after[k]];
  }
  return out;
}

/** Portal accounts: role, access profile, extensions (which link calls), groups, enabled. */
export const userRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  // Only a System Administrator makes, changes or removes System Administrators.
  const guardSysadmin = (request: FastifyRequest, ...roles: Array<string | undefined>) => {
    if (roles.includes('sysadmin') && authOf(request).user.role !== 'sysadmin') {
      throw new HttpError(403, 'only a System Administrator can create, change or delete System Administrators');
    }
  };

  // The access the user would have with this role and profile must be within the caller's.
  const guardGrant = (request: FastifyRequest, role: RoleKey, accessProfileId: number | null) => {
    const caller = authOf(request).access;
    const target = accessOf({ id: 0, role }, ctx.catalog.accessProfiles.grantFor({ role, accessProfileId }));
    const extra = beyond(caller, target);
    if (extra.length) throw new HttpError(403, `you cannot grant what you do not have: ${extra.join(', ')}`);
  };

  app.get(
    '/me/access',
    {
      config: { permission: 'session' },
      schema: {
        tags: ['users'],
        summary: 'What the logged-in user may do',
        description: 'Role, access profile, call scope and effective permissions: the portal UI shows and hides actions by them.',
        response: { 200: MyAccess, ...errors(401) },
      },
    },
    async (request) => {
      const { user, access } = authOf(request);
      return {
        userId: user.id,
        username: user.username,
        role: user.role,
        roleName: ROLE_NAMES[user.role],
        accessProfile: access.profile,
        callScope: access.callScope,
        callScopeName: CALL_SCOPES[access.callScope],
        permissions: [...access.permissions].sort(),
      };
    },
  );

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
    async () => ({ items: ctx.catalog.users.list().map((u) => userView(ctx.catalog, u)) }),
  );

  app.get(
    '/users/:id',
    {
      config: { permission: 'users:read' },
      schema: {
        tags: ['users'],
        summary: 'One user',
        params: UserId,
        response: { 200: UserSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const user = ctx.catalog.users.get(request.params.id);
      if (!user) throw new HttpError(404, `user ${request.params.id} not found`);
      return userView(ctx.catalog, user);
    },
  );

  app.post(
    '/users',
    {
      config: { permission: 'users:write' },
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        description:
          'Needs the x-csrf-token header. The password must meet portal.auth.passwordPolicy (a 400 names the rule) and ' +
          'the user must change it at the first login. 409 when the username exists (case-insensitive). Calls recorded before ' +
          'the account existed in which one of its extensions is a party are linked to it. Audited (user.create).',
        body: NewUserBody,
        response: { 201: UserSchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      guardSysadmin(request, b.role);
      guardGrant(request, b.role, b.accessProfileId ?? null);
      checkPasswordPolicy(ctx.config.portal.auth.passwordPolicy, b.password);
      const { user, linked } = ctx.catalog.transaction(() => {
        const user = ctx.catalog.users.add({
          username: b.username,
          password: b.password,
          role: b.role,
          extensions: b.extensions ?? [],
          accessProfileId: b.accessProfileId ?? null,
          groups: b.groups ?? [],
          managedGroups: b.managedGroups ?? [],
          enabled: b.enabled ?? true,
          // The administrator chose the password: the user replaces it at the first login.
          mustChangePassword: true,
        });
        // Calls recorded before the account existed become the user's too.
        return { user, linked: ctx.catalog.interactions.linkExtensions(user.extensions) };
      });
      audit(ctx, request, 'user.create', user.username, {
        id: user.id,
        role: user.role,
        accessProfileId: user.accessProfileId,
        extensions: user.extensions,
        groups: user.groups,
        managedGroups: user.managedGroups,
        enabled: user.enabled,
        linkedCalls: linked,
      });
      return reply.code(201).send(userView(ctx.catalog, user));
    },
  );

  app.patch(
    '/users/:id',
    {
      config: { permission: 'users:write' },
      schema: {
        tags: ['users'],
        summary: 'Change a user',
        description:
          'Role, access profile, extensions, groups, managed groups, enabled; absent fields stay. New extensions link ' +
          'the calls they appear in, removed ones unlink them. Disabling ends the user\'s sessions. You cannot disable ' +
          'yourself; the last enabled System Administrator keeps that role. Audited (user.update) with what changed.',
        params: UserId,
        body: UserChange,
        response: { 200: UserSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const current = ctx.catalog.users.get(id);
      if (!current) throw new HttpError(404, `user ${id} not found`);
      guardSysadmin(request, current.role, request.body.role);
      if (id === authOf(request).user.id && request.body.enabled === false) throw new HttpError(409, 'enabled: you cannot disable yourself');
      if (request.body.role !== undefined || request.body.accessProfileId !== undefined) {
        guardGrant(request, request.body.role ?? current.role, request.body.accessProfileId !== undefined ? request.body.accessProfileId : current.accessProfileId);
      }
      const change: UserUpdate = {};
      const b = request.body;
      if (b.role !== undefined) change.role = b.role;
      if (b.accessProfileId !== undefined) change.accessProfileId = b.accessProfileId;
      if (b.extensions !== undefined) change.extensions = b.extensions;
      if (b.groups !== undefined) change.groups = b.groups;
      if (b.managedGroups !== undefined) change.managedGroups = b.managedGroups;
      if (b.enabled !== undefined) change.enabled = b.enabled;
      const { before, after, relinked } = ctx.catalog.transaction(() => {
        const { before, after } = ctx.catalog.users.update(id, change);
        const moved = [...new Set([...before.extensions, ...after.extensions])].filter(
          (e) => before.extensions.includes(e) !== after.extensions.includes(e),
        );
        // Calls of added extensions become the user's; calls of removed ones are no longer.
        return { before, after, relinked: ctx.catalog.interactions.linkExtensions(moved) };
      });
      const changed = changes(before, after);
      // One row per request, also when nothing changed (the attempt is part of the trail).
      audit(ctx, request, 'user.update', after.username, { id, changes: changed, relinkedCalls: relinked });
      return userView(ctx.catalog, after);
    },
  );

  app.delete(
    '/users/:id',
    {
      config: { permission: 'users:write' },
      schema: {
        tags: ['users'],
        summary: 'Delete a user',
        description:
          'Seed 000: "If there are calls associated with this user, the calls will stay in the system until the calls ' +
          'reach their retention period". 409 while the user is on legal hold, for yourself and for the last enabled ' +
          'System Administrator. Audited (user.delete).',
        params: UserId,
        response: { 200: Type.Object({ id: Type.Integer(), message: Type.String() }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const current = ctx.catalog.users.get(id);
      if (!current) throw new HttpError(404, `user ${id} not found`);
      guardSysadmin(request, current.role);
      if (id === authOf(request).user.id) throw new HttpError(409, 'you cannot delete yourself');
      const user = ctx.catalog.users.remove(id);
      audit(ctx, request, 'user.delete', user.username, { id, role: user.role, extensions: user.extensions });
      return { id, message: `user ${user.username} deleted; their calls stay until their expiry` };
    },
  );

  for (const on of [true, false]) {
    const route = {
      config: { permission: 'legalhold:write' as const },
      schema: {
        tags: ['users'],
        summary: on ? 'Place a user on legal hold' : 'Release a user from legal hold',
        description: on
          ? 'Needs Legal Hold (legalhold:write) and the user\'s calls in the caller\'s call scope (else 404). Every call ' +
            'linked to the user, past and future, is held: never purged or deleted. Audited (item "Legal Hold").'
          : 'Held calls whose expiry has passed are purged by the next run; the others keep their own expiry. Audited.',
        params: UserId,
        response: { 200: HoldAnswer, ...errors(400, 401, 403, 404) },
      },
    };
    const handler = async (request: Parameters<typeof audit>[1] & { params: { id: number } }) => {
      const { id } = request.params;
      // A user whose calls the caller cannot see is as unknown as a wrong id.
      if (!ctx.catalog.users.visibleTo(id, authOf(request).scope)) throw new HttpError(404, `user ${id} not found`);
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
