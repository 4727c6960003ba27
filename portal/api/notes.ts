import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { authOf } from '../auth/session-auth.js';
import { can } from '../auth/rbac.js';
import { DateTime, Nullable, errors } from './common.js';
import { InteractionId } from './interactions.js';

// Seed 000 §1.15: several notes per call, each with its author; "Add Notes" to write one, the
// author deletes their own, "Delete Notes of Other Users" for the rest. The text is kept as typed
// (markup included) and only ever returned inside JSON strings.

const NoteSchema = Type.Object({
  id: Type.Integer(),
  authorId: Nullable(Type.Integer()),
  author: Nullable(Type.String()),
  text: Type.String(),
  createdAt: DateTime(),
});

export const noteRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/interactions/:id/notes',
    {
      config: { permission: 'interactions:read' },
      schema: {
        tags: ['notes'],
        summary: 'Notes of a call, oldest first',
        params: InteractionId,
        response: { 200: Type.Object({ items: Type.Array(NoteSchema) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => ({ items: visible(request.params.id, request).notes }),
  );

  app.post(
    '/interactions/:id/notes',
    {
      config: { permission: 'notes:add' },
      schema: {
        tags: ['notes'],
        summary: 'Insert a new note',
        description: 'Audited as note.add.',
        params: InteractionId,
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 4000, description: 'The note, 1 to 4000 characters' }) }, { additionalProperties: false }),
        response: { 201: NoteSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      visible(id, request);
      const { user } = authOf(request);
      if (request.body.text.trim() === '') throw new HttpError(400, 'text must not be blank');
      const noteId = ctx.catalog.interactions.addNote(id, { authorId: user.id, author: user.username, text: request.body.text });
      audit(ctx, request, 'note.add', id, { item: 'Note', noteId });
      return reply.code(201).send(ctx.catalog.interactions.note(id, noteId)!);
    },
  );

  app.delete(
    '/interactions/:id/notes/:noteId',
    {
      config: { permission: 'notes:add' },
      schema: {
        tags: ['notes'],
        summary: 'Delete a note',
        description: "Your own notes; other users' notes need \"Delete Notes of Other Users\" (403 otherwise). Audited as note.delete.",
        params: Type.Object({ id: InteractionId.properties.id, noteId: Type.Integer({ minimum: 1 }) }),
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id, noteId } = request.params;
      visible(id, request);
      const note = ctx.catalog.interactions.note(id, noteId);
      if (!note) throw new HttpError(404, `note ${noteId} not found`);
      const auth = authOf(request);
      const own = note.authorId !== null && note.authorId === auth.user.id;
      if (!own && !can(auth, 'notes:delete-others')) throw new HttpError(403, 'this note was written by another user; deleting it needs "Delete Notes of Other Users"');
      ctx.catalog.interactions.removeNote(id, noteId);
      audit(ctx, request, 'note.delete', id, { item: 'Note', noteId, author: note.author, own });
      return reply.code(204).send(null);
    },
  );

  function visible(id: string, request: Parameters<typeof authOf>[0]) {
    const it = ctx.catalog.interactions.get(id, authOf(request).scope);
    if (!it) throw new HttpError(404, 'interaction not found');
    return it;
  }
};
