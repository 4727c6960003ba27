import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MAX_PAGE, type Interaction } from '../../storage/catalog/index.js';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { authOf } from '../auth/session-auth.js';
import { errors } from './common.js';
import { InteractionId } from './interactions.js';
import { InteractionFilter, toInteractionQuery, withLiveDuration } from './interaction-filter.js';
import { exportHead, exportRows, toCsv } from './export-csv.js';

/** More than this in one file is refused: narrow the filter (a spreadsheet opens about a million rows). */
export const EXPORT_MAX = 100_000;

export const exportRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.post(
    '/interactions/export',
    {
      config: { permission: 'interactions:read' },
      schema: {
        tags: ['interactions'],
        summary: 'Export to Excel (CSV)',
        description:
          'Seed 000 §1.11: the selected calls (`ids`) or every call matching `filter`, as CSV with the header rows ' +
          '"Report Header", "Requested By", "Created At", "Search Criteria", then the 27 columns, one row per targeted ' +
          'user. Only calls the caller may see are exported (other ids are left out, as if they did not exist). Cells ' +
          `that a spreadsheet would run as a formula are prefixed with '. At most ${EXPORT_MAX} calls. Audited once as interactions.export.`,
        body: Type.Object(
          {
            ids: Type.Optional(Type.Array(InteractionId.properties.id, { minItems: 1, maxItems: 10_000, uniqueItems: true })),
            filter: Type.Optional(InteractionFilter),
          },
          { additionalProperties: false },
        ),
        response: {
          200: { description: 'The CSV file', content: { 'text/csv': { schema: Type.String() } } },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const { ids, filter } = request.body;
      if ((ids === undefined) === (filter === undefined)) throw new HttpError(400, 'give either ids (the selected calls) or filter, not both');
      const auth = authOf(request);
      const found: Interaction[] = [];
      if (ids) {
        for (const id of ids) {
          const it = ctx.catalog.interactions.get(id, auth.scope);
          if (it) found.push(it);
        }
      } else {
        let cursor: string | undefined;
        do {
          const page = ctx.catalog.interactions.list(toInteractionQuery(filter!, auth, { limit: MAX_PAGE, cursor }, (g) => ctx.catalog.groups.get(g)?.members ?? []), auth.scope);
          found.push(...page.items);
          if (found.length > EXPORT_MAX) throw new HttpError(400, `filter matches more than ${EXPORT_MAX} calls; narrow it (for example the date range)`);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      }
      withLiveDuration(found);
      const now = new Date();
      const viewer = auth.scope.kind === 'user' ? auth.scope.userId : null;
      const origin = `${request.protocol}://${request.host}`;
      const criteria = ids ? `${ids.length} selected call(s)` : JSON.stringify(filter);
      const rows = exportHead(auth.user.username, now, criteria);
      for (const it of found) rows.push(...exportRows(it, viewer, `${origin}/ui/interactions/${it.id}`));
      audit(ctx, request, 'interactions.export', null, {
        item: 'Interactions',
        calls: found.length,
        rows: rows.length - 6,
        ...(ids ? { ids: found.map((i) => i.id) } : { filter }),
      });
      const stamp = now.toISOString().replace(/[:.]/g, '-');
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="interactions-${stamp}.csv"`)
        .header('cache-control', 'no-store')
        .send(toCsv(rows));
    },
  );
};
