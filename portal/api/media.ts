import { stat, open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { audit, type PortalContext } from '../context.js';
import { HttpError } from '../errors.js';
import { authOf } from '../auth/session-auth.js';
import { StringEnum, errors } from './common.js';
import { InteractionId } from './interactions.js';
import type { MediaFile } from '../../storage/catalog/index.js';
import { LocalMediaTarget } from '../../storage/media/local-target.js';
import type { ByteRange } from '../../storage/media/media-target.js';
import { queuedSpoolPath } from '../../storage/media/spool-path.js';

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

/**
 * The byte range a `Range` header asks of a file of `size` bytes: null for the whole file (no or
 * unusable header; several ranges are answered with the first), 'unsatisfiable' past the end.
 */
export function byteRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*(,|$)/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
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
          'The stereo recording (left = calling party, right = called party) as audio/wav or audio/mpeg, ' +
          'from the local spool while it waits for its upload and from the storage target afterwards. ' +
          'Supports Range requests (206). Audited as media.download, or media.play for a ranged request from byte 0.',
        params: InteractionId,
        querystring: Type.Object(
          { format: StringEnum(['wav', 'mp3'], { default: 'wav' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Unsafe({ description: 'The file', type: 'string', format: 'binary' }),
          206: Type.Unsafe({ description: 'The requested byte range', type: 'string', format: 'binary' }),
          ...errors(400, 401, 403, 404, 416, 503),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { format } = request.query;
      const fileOf = (): MediaFile => {
        const interaction = ctx.catalog.interactions.get(id, authOf(request).scope);
        if (!interaction) throw new HttpError(404, 'interaction not found');
        const file = interaction.files.find((f) => f.format === format);
        if (!file) throw new HttpError(404, `no ${format} recording for this interaction`);
        return file;
      };
      let file = fileOf();
      const headers = () =>
        reply
          .header('content-type', CONTENT_TYPE[format])
          .header('content-disposition', `attachment; filename="${id}.${format}"`)
          .header('cache-control', 'private, no-cache');

      if (file.location === 'spool') {
        // Waiting for its upload. Opened before anything is sent: if the upload finished and
        // removed the spool copy meanwhile, the catalog says where it is now.
        const handle = await openIfPresent(queuedSpoolPath(ctx.spoolDir, id, format));
        if (handle) {
          headers();
          return sendRanged(ctx, request, reply, file, (await handle.stat()).size, async (range) => handle.createReadStream(range ?? {}), () => void handle.close().catch(() => undefined));
        }
        file = fileOf();
        if (file.location === 'spool') {
          request.log.error({ id, format }, 'recording listed as queued in the spool is missing from it');
          throw new HttpError(404, 'the recording file is missing from the spool');
        }
      }

      const store = ctx.mediaStore;
      if (!(store instanceof LocalMediaTarget)) {
        let stored;
        try {
          stored = await store.stat(file.key);
        } catch (err) {
          request.log.error({ err, id, key: file.key }, 'storage target unreachable for playback');
          throw new HttpError(503, `storage target ${store.name} is unreachable; try again later`);
        }
        if (!stored) {
          request.log.error({ id, key: file.key }, 'recording listed in the catalog is missing from the storage target');
          throw new HttpError(404, 'the recording file is missing from the media store');
        }
        headers();
        return sendRanged(ctx, request, reply, file, stored.bytes, (range) => store.read(file.key, range ?? undefined), () => undefined);
      }

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
      auditPlayback(ctx, request, file);
      headers();
      return reply.sendFile(file.key, store.root, { contentType: false, cacheControl: false, dotfiles: 'allow' });
    },
  );
};

// One audit row per listening, not per chunk: a player fetches many ranges, the first from 0.
function auditPlayback(ctx: PortalContext, request: FastifyRequest, file: MediaFile): void {
  if (request.method !== 'GET') return;
  const id = (request.params as { id: string }).id;
  const start = rangeStart(request.headers.range);
  const details = { format: file.format, bytes: file.bytes, range: request.headers.range ?? null };
  if (start === null) audit(ctx, request, 'media.download', id, details);
  else if (start === 0) audit(ctx, request, 'media.play', id, details);
}

async function openIfPresent(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** 200 with the whole file or 206 with one range, streamed from wherever the file is. */
async function sendRanged(
  ctx: PortalContext,
  request: FastifyRequest,
  reply: FastifyReply,
  file: MediaFile,
  size: number,
  read: (range: ByteRange | null) => Promise<Readable>,
  release: () => void,
): Promise<FastifyReply> {
  const range = byteRange(request.headers.range, size);
  if (range === 'unsatisfiable') {
    release();
    reply.header('content-range', `bytes */${size}`);
    throw new HttpError(416, `the recording has ${size} bytes`);
  }
  auditPlayback(ctx, request, file);
  reply.header('accept-ranges', 'bytes');
  if (request.method === 'HEAD') {
    release();
    reply.header('content-length', range ? range.end - range.start + 1 : size);
    if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
    return reply.send();
  }
  let body: Readable;
  try {
    body = await read(range);
  } catch (err) {
    release();
    request.log.error({ err, key: file.key }, 'cannot read the recording');
    throw new HttpError(503, 'the recording cannot be read right now; try again later');
  }
  reply.header('content-length', range ? range.end - range.start + 1 : size);
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
  return reply.send(body);
}
