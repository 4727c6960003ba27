import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ACTIVITY_TYPES, LOG_TYPES } from '../../storage/catalog/index.js';
import type { PortalContext } from '../context.js';
import { DateTime, Nullable, StringEnum, errors } from './common.js';

// Seed 000 §1.19.4 gives the cloud product's Activity Types; these are the on-prem ones its
// inventory maps them to, with what each monitors.
const ACTIVITY_DESCRIPTIONS: Record<(typeof ACTIVITY_TYPES)[number], string> = {
  License: 'Monitors user license assignments.',
  Storage: 'Monitors status of connection to storage accounts.',
  Configuration: 'Settings changes.',
  'Directory Connection': 'Connection to the LDAP directory.',
  'Directory Sync': 'Directory synchronization.',
  'SIPREC/SRC': 'SRC up or down, rejected INVITEs, codec failures.',
  Recording: 'Recording failures.',
  Retention: 'Daily purge summary: N calls purged, N held.',
  System: 'Disk, CPU, NTP, certificate expiry.',
  SNMP: 'Trap send failures.',
};

const ActivityEntry = Type.Object({
  id: Type.String({ description: 'audit-<id> or alarm-<event id>' }),
  at: DateTime(),
  logType: StringEnum([...LOG_TYPES]),
  activityType: StringEnum([...ACTIVITY_TYPES]),
  description: Type.String(),
  subject: Type.String({ description: 'The audit action, or the alarm name and source' }),
});

/** Seed 000's System Activity Log: what the appliance itself did and ran into. */
export const activityRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/activity',
    {
      config: { permission: 'alarms:read' },
      schema: {
        tags: ['activity'],
        summary: 'System Activity Log',
        description:
          'DATE & TIME | LOG TYPE | ACTIVITY TYPE | LOG DESCRIPTION, newest first: retention runs, storage tests and ' +
          'configuration changes (from the audit trail) and every alarm raise and clear (from the alarm history).',
        querystring: Type.Object(
          {
            from: Type.Optional(DateTime('At or after')),
            to: Type.Optional(DateTime('Before')),
            logType: Type.Optional(StringEnum([...LOG_TYPES])),
            activityType: Type.Optional(StringEnum([...ACTIVITY_TYPES])),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Log Description contains' })),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'Seed 000: "Rows per page: 10"' }),
            cursor: Type.Optional(Type.String({ maxLength: 64, pattern: '^[0-9]+\\.(audit|alarm)\\.[0-9]+$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(ActivityEntry), nextCursor: Nullable(Type.String()), total: Type.Integer() }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return ctx.catalog.activity.list({
        limit: q.limit,
        ...(q.from !== undefined ? { from: new Date(q.from) } : {}),
        ...(q.to !== undefined ? { to: new Date(q.to) } : {}),
        ...(q.logType !== undefined ? { logType: q.logType } : {}),
        ...(q.activityType !== undefined ? { activityType: q.activityType } : {}),
        ...(q.q !== undefined ? { text: q.q } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      });
    },
  );

  app.get(
    '/activity/types',
    {
      config: { permission: 'alarms:read' },
      schema: {
        tags: ['activity'],
        summary: 'Log Type and Activity Type values',
        response: {
          200: Type.Object({
            logTypes: Type.Array(Type.String()),
            activityTypes: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
          }),
          ...errors(401, 403),
        },
      },
    },
    async () => ({
      logTypes: [...LOG_TYPES],
      activityTypes: ACTIVITY_TYPES.map((name) => ({ name, description: ACTIVITY_DESCRIPTIONS[name] })),
    }),
  );
};
