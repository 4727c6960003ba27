import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify/sync';
import { audit, type PortalContext } from '../context.js';
import { DateTime, Nullable, StringEnum, errors } from './common.js';

const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: DateTime(),
  userId: Nullable(Type.Integer()),
  username: Nullable(Type.String()),
  action: Type.String({ description: 'e.g. login, login.failed, logout, media.play, media.download, user.create' }),
  target: Nullable(Type.String()),
  details: Nullable(Type.Object({}, { additionalProperties: true })),
  ip: Nullable(Type.String()),
});

const AuditQuery = Type.Object(
  {
    from: Type.Optional(DateTime('At or after')),
    to: Type.Optional(DateTime('Before')),
    limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
    format: StringEnum(['json', 'csv'], { default: 'json' }),
  },
  { additionalProperties: false },
);

const CSV_COLUMNS = ['at', 'username', 'userId', 'action', 'target', 'ip', 'details', 'id'] as const;

/** The audit trail, for admins and auditors; `format=csv` downloads it for a spreadsheet. */
export const auditRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit trail',
        description: 'Newest first. `format=csv` answers text/csv with a header row instead of JSON.',
        querystring: AuditQuery,
        response: {
          200: {
            description: 'The entries',
            content: {
              'application/json': { schema: Type.Object({ items: Type.Array(AuditEntry) }) },
              'text/csv': { schema: Type.String({ description: 'Header row, then one row per entry' }) },
            },
          },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const { from, to, limit, format } = request.query;
      const items = ctx.catalog.audit.list({
        limit,
        ...(from !== undefined ? { from: new Date(from) } : {}),
        ...(to !== undefined ? { to: new Date(to) } : {}),
      });
      if (format !== 'csv') return { items };
      audit(ctx, request, 'audit.export', null, { rows: items.length, from: from ?? null, to: to ?? null });
      const csv = stringify(
        items.map((e) => ({ ...e, details: e.details === null ? '' : JSON.stringify(e.details) })),
        { header: true, columns: [...CSV_COLUMNS] },
      );
      const stamp = new Date().toISOString().slice(0, 10);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="sipvault-audit-${stamp}.csv"`)
        .send(csv);
    },
  );
};
