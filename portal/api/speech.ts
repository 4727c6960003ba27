import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { authOf } from '../auth/session-auth.js';
import { StringEnum, errors } from './common.js';
import { InteractionId } from './interactions.js';

const SpeechSegment = Type.Object({
  channel: StringEnum(['left', 'right'], { description: 'left = calling party, right = called party' }),
  startMs: Type.Integer({ minimum: 0, description: 'Milliseconds from the start of the recording' }),
  endMs: Type.Integer({ minimum: 1 }),
});

/** Who spoke when: the speaker timeline of the player, from the recorder's voice activity detection. */
export const speechRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/interactions/:id/speech',
    {
      config: { permission: 'interactions:read' },
      schema: {
        tags: ['interactions'],
        summary: 'Speech segments per channel',
        description:
          'Where each side of the recording has speech (energy-based voice activity detection, run by the recorder ' +
          'while it writes the file; pauses between words are bridged). By start time. Empty while the call is ' +
          'recording and for failed calls. 404 when the interaction does not exist or is outside what the caller may see.',
        params: InteractionId,
        response: { 200: Type.Object({ items: Type.Array(SpeechSegment) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const it = ctx.catalog.interactions.get(request.params.id, authOf(request).scope);
      if (!it) throw new HttpError(404, 'interaction not found');
      return { items: ctx.catalog.speech.of(it.id) };
    },
  );
};
