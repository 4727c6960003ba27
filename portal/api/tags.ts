import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { authOf } from '../auth/session-auth.js';
import { errors } from './common.js';
import { InteractionId } from './interactions.js';

// Seed 000 §1.14. The vocabulary ("Manage Tags": TAG NAME | DESCRIPTION) needs "Create and
// Modify Tags"; putting tags on calls needs "Tag Calls". Names and descriptions are stored as
// the text they are and only ever returned inside JSON strings: markup is never interpreted.

const TagName = Type.String({ minLength: 1, maxLength: 64, description: 'Tag Name' });
const Description = Type.String({ maxLength: 500, description: 'Tag Description' });
const Tag = Type.Object({
  name: Type.String(),
  description: Type.String(),
  uses: Type.Integer({ description: 'Calls carrying the tag' }),
  createdAt: Type.String({ format: 'date-time' }),
});
const TagParams = Type.Object({ name: TagName });
const CallTags = Type.Object({ id: Type.String(), tags: Type.Array(Type.String()) });

export const tagRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/tags',
    {
      config: { permission: 'interactions:read' },
      schema: { tags: ['tags'], summary: 'The tag vocabulary', response: { 200: Type.Object({ items: Type.Array(Tag) }), ...errors(401, 403) } },
    },
    async () => ({ items: ctx.catalog.tags.list() }),
  );

  app.post(
    '/tags',
    {
      config: { permission: 'tags:write' },
      schema: {
        tags: ['tags'],
        summary: 'Add New Tag',
        body: Type.Object({ name: TagName, description: Type.Optional(Description) }, { additionalProperties: false }),
        response: { 201: Tag, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const tag = ctx.catalog.tags.create(request.body.name, request.body.description ?? '');
      audit(ctx, request, 'tag.create', tag.name, { item: 'Tag', description: tag.description });
      return reply.code(201).send(tag);
    },
  );

  app.patch(
    '/tags/:name',
    {
      config: { permission: 'tags:write' },
      schema: {
        tags: ['tags'],
        summary: 'Rename or redescribe a tag',
        description: 'A rename keeps the tag on the calls that carry it.',
        params: TagParams,
        body: Type.Object({ name: Type.Optional(TagName), description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Tag, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const tag = ctx.catalog.tags.update(request.params.name, request.body);
      audit(ctx, request, 'tag.update', request.params.name, { item: 'Tag', ...request.body });
      return tag;
    },
  );

  app.delete(
    '/tags/:name',
    {
      config: { permission: 'tags:write' },
      schema: {
        tags: ['tags'],
        summary: 'Delete an unused tag',
        description: '409 while calls carry it (remove it from them first).',
        params: TagParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      ctx.catalog.tags.remove(request.params.name);
      audit(ctx, request, 'tag.delete', request.params.name, { item: 'Tag' });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/interactions/:id/tags',
    {
      config: { permission: 'tags:assign' },
      schema: {
        tags: ['tags'],
        summary: 'Tag a call',
        description: 'Adds a tag of the vocabulary to one call (kept if already there). Audited as tag.assign.',
        params: InteractionId,
        body: Type.Object({ tag: TagName }, { additionalProperties: false }),
        response: { 200: CallTags, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      visible(id, request);
      const [tag] = ctx.catalog.tags.requireDefined([request.body.tag]);
      ctx.catalog.interactions.addTag(id, tag!);
      audit(ctx, request, 'tag.assign', id, { item: 'Tag', tag });
      return { id, tags: ctx.catalog.interactions.get(id, { kind: 'all' })!.tags };
    },
  );

  app.delete(
    '/interactions/:id/tags/:tag',
    {
      config: { permission: 'tags:assign' },
      schema: {
        tags: ['tags'],
        summary: 'Remove a tag from a call',
        description: '404 when the call does not carry it. Audited as tag.remove.',
        params: Type.Object({ id: InteractionId.properties.id, tag: TagName }),
        response: { 200: CallTags, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { id, tag } = request.params;
      const it = visible(id, request);
      if (!it.tags.includes(tag)) throw new HttpError(404, `the call does not carry tag "${tag}"`);
      ctx.catalog.interactions.removeTag(id, tag);
      audit(ctx, request, 'tag.remove', id, { item: 'Tag', tag });
      return { id, tags: ctx.catalog.interactions.get(id, { kind: 'all' })!.tags };
    },
  );

  app.put(
    '/interactions/tags',
    {
      config: { permission: 'tags:assign' },
      schema: {
        tags: ['tags'],
        summary: 'Set Tag(s) on several calls',
        description:
          'Seed 000: "Setting tag(s) for multiple calls automatically overwrites any previously associated tags." Each ' +
          'selected call ends up with exactly `tags` (an empty list clears them). All or nothing: 404 when any id is ' +
          'not a call the caller may see. Audited once as tags.bulk-assign.',
        body: Type.Object(
          {
            ids: Type.Array(InteractionId.properties.id, { minItems: 1, maxItems: 1000, uniqueItems: true }),
            tags: Type.Array(TagName, { maxItems: 50, uniqueItems: true }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(CallTags) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { ids, tags } = request.body;
      for (const id of ids) visible(id, request);
      ctx.catalog.tags.replaceOn(ids, tags);
      audit(ctx, request, 'tags.bulk-assign', null, { item: 'Tag', ids, tags });
      return { items: ids.map((id) => ({ id, tags: ctx.catalog.interactions.get(id, { kind: 'all' })!.tags })) };
    },
  );

  function visible(id: string, request: Parameters<typeof authOf>[0]) {
    const it = ctx.catalog.interactions.get(id, authOf(request).scope);
    if (!it) throw new HttpError(404, `interaction ${id} not found`);
    return it;
  }
};
