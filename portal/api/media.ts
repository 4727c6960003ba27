import { stat } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { authOf } from '../auth/session-auth.js';
import { StringEnum, errors } from './common.js';
import { InteractionId } from './interactions.js';

const CONTENT_TYPE = { wav: 'audio/wav', mp3: 'audio/mpeg' } as const;

/**
 * First byte of the first range of a `Range: bytes=...` header; null without a (bytes) Range,
 * -1 for a suffix range (`bytes=-500`).
 */
export function rangeStart(header: string | undefined): number | null {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-/i.exec(header);
  if (!m) return null;
  return m[1] === '' ? -1 : Number(m[1]);
}

/** Recordings, streamed with HTTP Range support so the browser's player can seek. */
export const mediaRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  app.get(
    '/interactions/:id/media',
    {
      config: { permission: 'media:read' },
      schema: {
        tags: ['media'],
        summary: 'Download or play a recording',
        description:
          'The stereo recording (left = calling party, right = called party) as audio/wav or audio/mpeg. ' +
          'Supports Range requests (206). Audited as media.download, or media.play for a ranged request from byte 0.',
        params: InteractionId,
        querystring: Type.Object(
          { format: StringEnum(['wav', 'mp3'], { default: 'wav' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Unsafe({ description: 'The file', type: 'string', format: 'binary' }),
          206: Type.Unsafe({ description: 'The requested byte range', type: 'string', format: 'binary' }),
          ...errors(400, 401, 403, 404, 416, 501),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { format } = request.query;
      const interaction = ctx.catalog.interactions.get(id, authOf(request).scope);
      if (!interaction) throw new HttpError(404, 'interaction not found');
      const file = interaction.files.find((f) => f.format === format);
      if (!file) throw new HttpError(404, `no ${format} recording for this interaction`);
      const store = ctx.mediaStore;
      if (!store) throw new HttpError(501, 'playing recordings from an S3 storage target is not supported yet');

      let path: string;
      try {
        path = store.pathOf(file.key);
      } catch {
        request.log.error({ id, key: file.key }, 'media key escapes the media root; refusing it');
        throw new HttpError(404, `no ${format} recording for this interaction`);
      }
      try {
        await stat(path);
      } catch (err) {
        request.log.error({ err, id, path }, 'recording listed in the catalog is missing from the media store');
        throw new HttpError(404, 'the recording file is missing from the media store');
      }

      // One audit row per listening, not per chunk: a player fetches many ranges, the first from 0.
      if (request.method === 'GET') {
        const start = rangeStart(request.headers.range);
        const details = { format, bytes: file.bytes, range: request.headers.range ?? null };
        if (start === null) audit(ctx, request, 'media.download', id, details);
        else if (start === 0) audit(ctx, request, 'media.play', id, details);
      }

      reply
        .header('content-type', CONTENT_TYPE[format])
        .header('content-disposition', `attachment; filename="${id}.${format}"`)
        .header('cache-control', 'private, no-cache');
      return reply.sendFile(file.key, store.root, { contentType: false, cacheControl: false, dotfiles: 'allow' });
    },
  );
};
