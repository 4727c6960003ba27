import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PortalContext } from '../context.js';
import { authOf } from '../auth/session-auth.js';
import { Nullable, errors } from './common.js';

// The signed-in user's own preferences, kept in the catalog so they follow the user from browser
// to browser (issue: "a column chooser remembered per user"). Not audited: they change what one
// person sees of data they may see anyway, nothing else.

const Columns = Type.Array(Type.String({ pattern: '^[a-z][a-zA-Z]{0,31}$' }), {
  maxItems: 50,
  uniqueItems: true,
  description: 'The Interactions list\'s visible columns, by the web UI\'s column ids, in any order',
});

const Preferences = Type.Object(
  { interactionColumns: Nullable(Columns) },
  { additionalProperties: false, description: 'null: never chosen (the defaults apply)' },
);
const PreferencesChange = Type.Partial(Type.Object({ interactionColumns: Columns }), { additionalProperties: false });

const KEYS = ['interactionColumns'] as const;

export const preferenceRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  const read = (userId: number): Static<typeof Preferences> => ({
    interactionColumns: ctx.catalog.preferences.get<string[]>(userId, 'interactionColumns'),
  });

  app.get(
    '/me/preferences',
    {
      config: { permission: 'session' },
      schema: { tags: ['users'], summary: 'Your own preferences', response: { 200: Preferences, ...errors(401) } },
    },
    async (request) => read(authOf(request).user.id),
  );

  app.put(
    '/me/preferences',
    {
      config: { permission: 'session' },
      schema: {
        tags: ['users'],
        summary: 'Change your own preferences',
        description: 'Only the keys sent change.',
        body: PreferencesChange,
        response: { 200: Preferences, ...errors(400, 401) },
      },
    },
    async (request) => {
      const { id } = authOf(request).user;
      for (const key of KEYS) {
        const v = request.body[key];
        if (v !== undefined) ctx.catalog.preferences.put(id, key, v, ctx.clock());
      }
      return read(id);
    },
  );
};
