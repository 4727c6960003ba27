// The portal of a unit test: built on a catalog the test fills, listening on a free loopback
// port, and signed into over real HTTP like a browser or an integration would.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/schema.js';
import { createLogger } from '../../config/logger.js';
import { buildPortal } from '../../portal/server.js';
import type { Catalog } from '../../storage/catalog/index.js';

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
