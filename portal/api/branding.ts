import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { imageSize } from 'image-size';
import type { LogoInfo } from '../../storage/catalog/branding-repo.js';
import { configChange, type PortalContext } from '../context.js';
import { authOf } from '../auth/session-auth.js';
import { HttpError } from '../errors.js';
import { DateTime, errors } from './common.js';

// Seed 000 "Branding": a "New Logo" replaces the product name in the top left corner of every
// page, the sign-in page included, so the logo and its description are public. Only raster images
// are taken: an SVG can carry scripts, and a logo is no reason to run anybody's code in the portal.

export const MAX_LOGO_BYTES = 512 * 1024;
const MAX_SIDE = 4096;
const ACCEPTED: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

const LogoView = Type.Object({
  url: Type.String({ description: 'Where the image is; changes with the image, so it may be cached' }),
  mime: Type.String(),
  bytes: Type.Integer(),
  width: Type.Integer(),
  height: Type.Integer(),
  updatedAt: DateTime(),
});
const Branding = Type.Object({ logo: Type.Union([LogoView, Type.Null()], { description: 'null: the product name is shown' }) });

const view = (l: LogoInfo | null) =>
  l ? { url: `/api/v1/branding/logo?v=${l.sha256.slice(0, 16)}`, mime: l.mime, bytes: l.bytes, width: l.width, height: l.height, updatedAt: l.updatedAt } : null;

/** What the audit keeps of a logo: enough to tell versions apart, not the image. */
const described = (l: LogoInfo | null) => (l ? { mime: l.mime, bytes: l.bytes, width: l.width, height: l.height, sha256: l.sha256 } : null);

/** The image's real type and size from its own header; whatever the client called it. */
function inspect(image: Buffer): { mime: string; width: number; height: number } {
  let found: { type?: string; width?: number; height?: number };
  try {
    found = imageSize(image);
  } catch {
    throw new HttpError(415, 'the file is not an image the portal can show: use a PNG, JPEG, GIF or WebP file');
  }
  if (found.type === 'svg') throw new HttpError(415, 'SVG logos are not accepted (they can contain scripts): export the logo as PNG');
  const mime = found.type ? ACCEPTED[found.type] : undefined;
  if (!mime) throw new HttpError(415, `${found.type ?? 'this'} images are not accepted: use a PNG, JPEG, GIF or WebP file`);
  const { width = 0, height = 0 } = found;
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new HttpError(400, `the logo is ${width} x ${height} pixels; each side must be 1 to ${MAX_SIDE}`);
  }
  return { mime, width, height };
}

export const brandingRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  // Inside this plugin only: the rest of the API stays JSON.
  app.addContentTypeParser(/^image\//, { parseAs: 'buffer', bodyLimit: MAX_LOGO_BYTES }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_LOGO_BYTES }, (_req, body, done) => done(null, body));

  app.get(
    '/branding',
    {
      config: { permission: 'public' },
      schema: { tags: ['settings'], summary: 'The portal\'s logo, if one was set', response: { 200: Branding } },
    },
    async () => ({ logo: view(ctx.catalog.branding.info()) }),
  );

  app.get(
    '/branding/logo',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['settings'],
        summary: 'The logo image',
        querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 64, description: 'The version in GET /branding\'s url' })) }),
      },
    },
    async (request, reply) => {
      const logo = ctx.catalog.branding.logo();
      if (!logo) throw new HttpError(404, 'no logo is set; the portal shows the product name');
      const current = request.query.v === logo.sha256.slice(0, 16);
      return reply
        .header('content-type', logo.mime)
        .header('etag', `"${logo.sha256}"`)
        .header('cache-control', current ? 'public, max-age=31536000, immutable' : 'no-cache')
        .header('content-security-policy', "default-src 'none'")
        .send(logo.image);
    },
  );

  app.put(
    '/branding/logo',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'New Logo',
        description:
          `The image itself as the body (Content-Type image/png, image/jpeg, image/gif or image/webp), at most ${MAX_LOGO_BYTES / 1024} KB ` +
          `and ${MAX_SIDE} pixels a side. Its type is read from the image, not from the header. Audited as config.change (branding.logo).`,
        response: { 200: Branding, ...errors(400, 401, 403, 413, 415) },
      },
    },
    async (request) => {
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
        throw new HttpError(415, 'send the image as the request body with Content-Type image/png, image/jpeg, image/gif or image/webp');
      }
      const image = request.body;
      const { mime, width, height } = inspect(image);
      const before = ctx.catalog.branding.info();
      const sha256 = createHash('sha256').update(image).digest('hex');
      const after = ctx.catalog.branding.put({ mime, image, sha256, width, height }, authOf(request).user.username, ctx.clock());
      configChange(ctx, request, 'branding.logo', before ? 'update' : 'create', 'logo', described(before), described(after), false);
      return { logo: view(after) };
    },
  );

  app.delete(
    '/branding/logo',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Remove the logo (the product name is shown again)',
        description: 'Audited as config.change (branding.logo).',
        response: { 200: Branding, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const before = ctx.catalog.branding.info();
      if (!before || !ctx.catalog.branding.remove()) throw new HttpError(404, 'no logo is set');
      configChange(ctx, request, 'branding.logo', 'delete', 'logo', described(before), null, false);
      return { logo: null };
    },
  );
};
