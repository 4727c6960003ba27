import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify';
import { AUDIT_ITEMS, AUDIT_KINDS, type AuditEntry as Entry, type AuditQuery } from '../../storage/catalog/index.js';
import { audit, type PortalContext } from '../context.js';
import { authOf } from '../auth/session-auth.js';
import { can } from '../auth/rbac.js';
import { HttpError } from '../errors.js';
import { DateTime, Nullable, StringEnum, errors } from './common.js';

const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: DateTime(),
  userId: Nullable(Type.Integer()),
  username: Nullable(Type.String()),
  action: Type.String({ description: 'e.g. login, login.failed, logout, media.play, media.download, user.create, config.change' }),
  target: Nullable(Type.String({ description: 'The item: a call id, a username, a storage target name ...' })),
  details: Nullable(Type.Object({}, { additionalProperties: true })),
  ip: Nullable(Type.String()),
  app: StringEnum(['Portal', 'System'], { description: 'Seed 001 AppName: System for the appliance\'s own jobs' }),
  kind: Type.String({ description: 'Seed 000 Action (Login, Logout, Add, Modify, View, Access, Delete, Export, Play, Download, LegalHoldOn, LegalHoldOff ...)' }),
  item: Type.String({ description: 'Seed 000 Item (User, Call, Tag, Note, Legal Hold, Storage, SNMP ...)' }),
  actionType: Type.String({ description: 'Seed 001 ActionType (Login, PlayRecording, DownloadCsvAudit ...)' }),
  description: Type.String(),
  hash: Type.String({ description: 'SHA-256 (hex) of the previous row\'s hash and this row: the hash chain' }),
});

const AuditQuerySchema = Type.Object(
  {
    from: Type.Optional(DateTime('At or after')),
    to: Type.Optional(DateTime('Before')),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Name (username) contains' })),
    user: Type.Optional(Type.Integer({ minimum: 1, description: 'User id' })),
    action: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        pattern: '^[a-z0-9.*-]+(,[a-z0-9.*-]+)*$',
        description: 'Action names, comma-separated; `tag.*` matches every tag action',
      }),
    ),
    kind: Type.Optional(StringEnum([...AUDIT_KINDS], { description: 'Seed 000 Action' })),
    item: Type.Optional(StringEnum([...AUDIT_ITEMS], { description: 'Seed 000 Item' })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'The item\'s id or name, exact' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Description (and details) contains' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'JSON: rows per page (default 100, at most 1000); CSV: at most this many rows (default all)' })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'nextCursor of the previous page' })),
    ids: Type.Optional(
      Type.String({ maxLength: 16_000, pattern: '^[0-9]{1,15}(,[0-9]{1,15}){0,999}$', description: 'Only these rows, comma-separated ids (the rows selected for export)' }),
    ),
    format: StringEnum(['json', 'csv'], { default: 'json' }),
  },
  { additionalProperties: false },
);

/** Seed 001 §B.2, byte for byte: tools built for that format read ours. */
export const AUDIT_CSV_HEADER = ['Date', 'Email', 'IpAddress', 'AppName', 'ActionType', 'Details'] as const;

/** Seed 001's timestamp: `2025-01-31 14:05:09 +0000 UTC`. */
export function csvDate(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

function csvRow(e: Entry): string[] {
  const details = e.details === null ? '' : ` ${JSON.stringify(e.details)}`;
  return [csvDate(e.at), e.username ?? '', e.ip ?? '', e.app, e.actionType, `${e.description}${details}`];
}

/** The audit trail, for admins and auditors: search, CSV export, and the hash chain's verification. */
export const auditRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Search the audit trail',
        description:
          'Newest first, filtered by date, name, action, item, target and free text; page with `cursor`. ' +
          '`format=csv` (permission Audit Trail Export) downloads every matching row as CSV with the header ' +
          '`Date,Email,IpAddress,AppName,ActionType,Details`; the export is audited (audit.export).',
        querystring: AuditQuerySchema,
        response: {
          200: {
            description: 'The entries',
            content: {
              'application/json': {
                schema: Type.Object({
                  items: Type.Array(AuditEntry),
                  nextCursor: Nullable(Type.String()),
                  total: Type.Integer({ description: 'Rows matching the filters (seed 000 "Total Audits")' }),
                }),
              },
              'text/csv': { schema: Type.String({ description: 'Header row, then one row per entry' }) },
            },
          },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const filter: Omit<AuditQuery, 'limit'> = {};
      if (q.from !== undefined) filter.from = new Date(q.from);
      if (q.to !== undefined) filter.to = new Date(q.to);
      if (q.name !== undefined) filter.name = q.name;
      if (q.user !== undefined) filter.userId = q.user;
      if (q.action !== undefined) filter.actions = q.action.split(',');
      if (q.kind !== undefined) filter.kind = q.kind;
      if (q.item !== undefined) filter.item = q.item;
      if (q.target !== undefined) filter.target = q.target;
      if (q.q !== undefined) filter.text = q.q;
      if (q.ids !== undefined) filter.ids = [...new Set(q.ids.split(',').map(Number))];
      const filters = { ...q, format: undefined, cursor: undefined };

      if (q.format === 'csv') {
        if (!can(authOf(request), 'audit:export')) throw new HttpError(403, 'your access profile does not allow this (audit:export)');
        // The export is what the trail held when it was asked for: rows up to the newest now.
        const last = ctx.catalog.audit.lastId();
        const total = Math.min(ctx.catalog.audit.count({ ...filter }), q.limit ?? Infinity);
        audit(ctx, request, 'audit.export', null, { rows: total, filters: JSON.parse(JSON.stringify(filters)) as Record<string, unknown> });
        const pages = function* (): Generator<string[]> {
          if (last === null) return;
          let beforeId = last + 1;
          let left = q.limit ?? Infinity;
          while (left > 0) {
            const page = ctx.catalog.audit.search({ ...filter, beforeId, limit: Math.min(500, left) });
            for (const e of page.items) yield csvRow(e);
            left -= page.items.length;
            if (!page.nextCursor) return;
            beforeId = Number(page.nextCursor);
          }
        };
        const csv = Readable.from(pages()).pipe(stringify({ header: true, columns: [...AUDIT_CSV_HEADER], escape_formulas: true }));
        const stamp = new Date().toISOString().slice(0, 10);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="sipvault-audit-${stamp}.csv"`)
          // A stream (the response schema describes its text): a large export is never held in memory.
          .send(csv as unknown as string);
      }

      if ((q.limit ?? 0) > 1000) throw new HttpError(400, 'limit: at most 1000 rows per JSON page (page with cursor, or use format=csv)');
      const page = ctx.catalog.audit.search({ ...filter, limit: q.limit ?? 100, ...(q.cursor ? { beforeId: Number(q.cursor) } : {}) });
      const total = ctx.catalog.audit.count(filter);
      // Seed 000: "MOD Administrator accessed Audit Trail"; once per search, not per page.
      if (q.cursor === undefined) audit(ctx, request, 'audit.search', null, { filters: JSON.parse(JSON.stringify(filters)) as Record<string, unknown>, total });
      return { ...page, total };
    },
  );

  app.get(
    '/audit/types',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Action and Item values for the filter dropdowns',
        response: { 200: Type.Object({ kinds: Type.Array(Type.String()), items: Type.Array(Type.String()) }), ...errors(401, 403) },
      },
    },
    async () => ({ kinds: [...AUDIT_KINDS], items: [...AUDIT_ITEMS] }),
  );

  app.get(
    '/audit/verify',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Verify the audit trail\'s hash chain',
        description:
          'Recomputes every row\'s SHA-256 link from the first row. `ok: false` names the first row that does not fit: ' +
          '`hash` (its content was changed), `missing` (rows before it were removed), `prev_hash` (its predecessor was ' +
          'rewritten). Keep `lastId`/`lastHash` of a good run somewhere else: they also prove later that no row was cut ' +
          'off the end. Audited (audit.verify).',
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            rows: Type.Integer({ description: 'Rows checked' }),
            lastId: Nullable(Type.Integer({ description: 'Last row that fits the chain' })),
            lastHash: Nullable(Type.String()),
            firstBroken: Nullable(
              Type.Object({
                id: Type.Integer(),
                reason: StringEnum(['hash', 'missing', 'prev_hash']),
                expected: Type.String(),
                stored: Nullable(Type.String()),
              }),
            ),
          }),
          ...errors(401, 403),
        },
      },
    },
    async (request) => {
      const result = await ctx.catalog.audit.verifyAsync();
      audit(ctx, request, 'audit.verify', null, { ok: result.ok, rows: result.rows, firstBroken: result.firstBroken?.id ?? null });
      if (!result.ok) request.log.error({ firstBroken: result.firstBroken }, 'audit trail hash chain is broken');
      return result;
    },
  );
};
