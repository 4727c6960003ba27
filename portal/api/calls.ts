import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MAX_PAGE, type Interaction } from '../../storage/catalog/index.js';
import type { PortalContext } from '../context.js';
import { authOf } from '../auth/session-auth.js';
import { errors } from './common.js';
import { InteractionSchema } from './interactions.js';
import { filterProperties, toInteractionQuery, withLiveDuration } from './interaction-filter.js';

// Seed 000 §1.7 availability matrix, "Active Calls" column: Call Direction, Participants, Called or
// Calling Party, Call Tags, Notes. Plus "My Active Call(s)" (§1.17): `mine=true`.
const ActiveQuery = Type.Object(
  {
    direction: filterProperties.direction,
    participant: filterProperties.participant,
    party: filterProperties.party,
    callingParty: filterProperties.callingParty,
    calledParty: filterProperties.calledParty,
    tag: filterProperties.tag,
    note: filterProperties.note,
    mine: filterProperties.mine,
  },
  { additionalProperties: false },
);

/** Calls being recorded right now. */
export const callRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/calls/active',
    {
      config: { permission: 'calls:read' },
      schema: {
        tags: ['calls'],
        summary: 'Active calls',
        description:
          'Interactions in status `recording` the caller may see, newest first, with `durationMs` counted up to now ' +
          '(seed 000: the Duration increments while the call is active; ask again for a fresh value). `mine=true`: ' +
          '"My Active Call(s)", the calls linked to the caller.',
        querystring: ActiveQuery,
        response: { 200: Type.Object({ items: Type.Array(InteractionSchema), total: Type.Integer({ description: 'Total Calls' }) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const items: Interaction[] = [];
      let cursor: string | undefined;
      do {
        const q = toInteractionQuery({ ...request.query, status: ['recording'] }, auth, { limit: MAX_PAGE, cursor }, (g) => ctx.catalog.groups.get(g)?.members ?? []);
        const page = ctx.catalog.interactions.list(q, auth.scope);
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return { items: withLiveDuration(items), total: items.length };
    },
  );
};
