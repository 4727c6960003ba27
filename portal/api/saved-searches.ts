import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { authOf } from '../auth/session-auth.js';
import { DateTime, errors } from './common.js';
import { InteractionFilter } from './interaction-filter.js';

// Seed 000 §1.8 "Save Search", per user (the seed's proposal): each user lists, runs, renames and
// deletes only their own; another user's id answers 404 like a missing one. The query is the
// list's filter, validated by the same schema, so a saved search always runs.

const Name = Type.String({ minLength: 1, maxLength: 100, description: 'Name of the saved search' });
const Saved = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  query: InteractionFilter,
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
const SavedId = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const savedSearchRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  const repo = ctx.catalog.savedSearches;

  app.get(
    '/saved-searches',
    {
      config: { permission: 'interactions:read' },
      schema: { tags: ['saved-searches'], summary: 'My saved searches', response: { 200: Type.Object({ items: Type.Array(Saved) }), ...errors(401, 403) } },
    },
    async (request) => ({ items: repo.list(authOf(request).user.id) }),
  );

  app.get(
    '/saved-searches/:id',
    {
      config: { permission: 'interactions:read' },
      schema: { tags: ['saved-searches'], summary: 'One of my saved searches', params: SavedId, response: { 200: Saved, ...errors(400, 401, 403, 404) } },
    },
    async (request) => {
      const s = repo.get(authOf(request).user.id, request.params.id);
      if (!s) throw new HttpError(404, `saved search ${request.params.id} not found`);
      return s;
    },
  );

  app.post(
    '/saved-searches',
    {
      config: { permission: 'interactions:read' },
      schema: {
        tags: ['saved-searches'],
        summary: 'Save Search',
        description: 'Run it with GET /interactions and the saved `query` as parameters. 409 when you already have one of that name.',
        body: Type.Object({ name: Name, query: InteractionFilter }, { additionalProperties: false }),
        response: { 201: Saved, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const s = repo.create(authOf(request).user.id, request.body.name, request.body.query);
      return reply.code(201).send(s);
    },
  );

  app.put(
    '/saved-searches/:id',
    {
      config: { permission: 'interactions:read' },
      schema: {
        tags: ['saved-searches'],
        summary: 'Rename a saved search or replace its query',
        params: SavedId,
        body: Type.Object({ name: Type.Optional(Name), query: Type.Optional(InteractionFilter) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Saved, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const s = repo.update(authOf(request).user.id, request.params.id, request.body);
      return s;
    },
  );

  app.delete(
    '/saved-searches/:id',
    {
      config: { permission: 'interactions:read' },
      schema: { tags: ['saved-searches'], summary: 'Delete a saved search', params: SavedId, response: { 204: Type.Null(), ...errors(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      repo.remove(authOf(request).user.id, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
