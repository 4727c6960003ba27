// The portal of a unit test: built on a catalog the test fills, listening on a free loopback
// port, and signed into over real HTTP like a browser or an integration would.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildConfig } from '../../config/loader.js';
import type { Config } from '../../config/schema.js';
import { createLogger } from '../../config/logger.js';
import { buildPortal } from '../../portal/server.js';
import { Catalog, type Role } from '../../storage/catalog/index.js';
import { mediaKey } from '../../storage/media/media-target.js';

export interface PortalSession {
  /** `sipvault_session=...`, ready for a Cookie header. */
  cookie: string;
  csrf: string;
}

/** Builds the portal on `catalog` and listens on 127.0.0.1 on a free port. */
export async function listenPortal(config: Config, catalog: Catalog): Promise<{ app: FastifyInstance; base: string }> {
  const app = await buildPortal({ config, catalog, logger: createLogger('silent') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

/** Stops what `before` started: the portal, the catalog, and the test's directory. */
export async function closePortal(app: FastifyInstance | undefined, catalog: Catalog | undefined, dir: string | undefined): Promise<void> {
  await app?.close();
  catalog?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Signs in over HTTP (the fixtures' password is `<username>-password`); fails the test unless 200. */
export async function loginOver(base: string, username: string, password = `${username}-password`): Promise<PortalSession> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(res.status, 200, `login ${username}`);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: res.headers.getSetCookie()[0]!.split(';')[0]!, csrf: body.csrfToken };
}

/** A catalog on a fresh temp dir whose media target is a local directory in it, and the config to match. */
export function localPortalFixture(prefix: string): { dir: string; mediaDir: string; config: Config; catalog: Catalog } {
  const dir = mkdtempSync(join(tmpdir(), `sipvault-${prefix}-`));
  const mediaDir = join(dir, 'media');
  const config = buildConfig({ dataDir: dir, portal: { listen: '127.0.0.1:0' }, storage: { target: { type: 'local', name: 'Local', path: mediaDir } } }, 'test');
  return { dir, mediaDir, config, catalog: Catalog.open(config.dataDir) };
}

/** Users with the fixtures' password (`<username>-password`); their ids by name. */
export function addUsers(catalog: Catalog, users: Array<[string, Role, string[]]>): Record<string, number> {
  const ids: Record<string, number> = {};
  for (const [username, role, extensions] of users) ids[username] = catalog.users.add({ username, password: `${username}-password`, role, extensions }).id;
  return ids;
}

/**
 * A two-party call created as the recorder creates it (and linked to users by the catalog's own
 * rules); unless `active`, finished 30 s later with a small WAV stand-in stored in the media dir.
 */
export function recordCall(catalog: Catalog, mediaDir: string, o: { calling: string; called: string; start: Date; callId: string; sessionId?: string | null; active?: boolean; content?: string }): string {
  const id = catalog.interactions.create({
    callId: o.callId,
    sessionId: o.sessionId ?? null,
    startTime: o.start,
    direction: 'None',
    callingParty: `sip:${o.calling}@pbx`,
    calledParty: `sip:${o.called}@pbx`,
    participants: [
      { participantId: 'a', name: null, aor: `sip:${o.calling}@pbx`, role: 'calling' },
      { participantId: 'b', name: null, aor: `sip:${o.called}@pbx`, role: 'called' },
    ],
    src: 'udp:10.0.0.5:5060',
    streams: [],
    partyRule: null,
    retentionDays: 365,
  });
  if (o.active) return id;
  catalog.interactions.finish(id, { endTime: new Date(o.start.getTime() + 30_000), releaseCause: 'Normal', status: 'pending', streams: [] });
  const key = mediaKey(o.start, id, 'wav');
  const content = o.content ?? 'RIFF....';
  mkdirSync(join(mediaDir, key, '..'), { recursive: true });
  writeFileSync(join(mediaDir, key), content);
  catalog.interactions.attachFile(id, { format: 'wav', key, bytes: Buffer.byteLength(content), sha256: 'ab'.repeat(32), sampleRate: 8000, channels: 2, durationMs: 30_000 });
  catalog.interactions.setStatus(id, 'available');
  return id;
}
