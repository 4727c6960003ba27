import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PortalContext } from '../context.js';
import { DateTime, Nullable, StringEnum, errors } from './common.js';

const AlarmSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String({ description: 'e.g. RecordingResourceUnavailable, ConnectionFailed' }),
  oid: Type.String({ description: 'Trap OID sent to the NOC' }),
  source: Type.String({ description: 'e.g. sipvault/Recorder' }),
  severity: StringEnum(['cleared', 'indeterminate', 'warning', 'minor', 'major', 'critical']),
  state: StringEnum(['active', 'cleared']),
  text: Type.String(),
  raisedAt: DateTime(),
  clearedAt: Nullable(DateTime()),
});

/** Alarms as the NOC gets them by SNMP. */
export const alarmRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/alarms',
    {
      config: { permission: 'alarms:read' },
      schema: {
        tags: ['alarms'],
        summary: 'Active and recent alarms',
        description: 'Every active alarm first, then recently cleared ones (most recent change first).',
        querystring: Type.Object(
          { limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(AlarmSchema) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => ({ items: ctx.catalog.alarms.recent(request.query.limit) }),
  );
};
