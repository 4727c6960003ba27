import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';

/** PEM certificate chain and key the portal serves HTTPS with. */
export interface PortalTlsFiles {
  cert: Buffer;
  key: Buffer;
  /** Where they came from, for the log. */
  certPath: string;
  /** True when this start generated them. */
  generated: boolean;
}

export const GENERATED_TLS_DIR = 'portal-tls';

/**
 * The certificate and key for `portal.tls`, or null when the portal speaks plain HTTP (mode off).
 * Mode auto without files: a self-signed pair in <dataDir>/portal-tls, made on the first start and
 * reused afterwards, so browsers that accepted it once keep accepting it.
 */
export function portalTls(config: Config): PortalTlsFiles | null {
  const tls = config.portal.tls;
  if (tls.mode === 'off') return null;
  if (tls.cert && tls.key) {
    return { cert: readPem(tls.cert, 'portal.tls.cert'), key: readPem(tls.key, 'portal.tls.key'), certPath: tls.cert, generated: false };
  }
  if (tls.mode === 'files') throw new Error('portal.tls.mode files needs portal.tls.cert and portal.tls.key');
  const dir = join(config.dataDir, GENERATED_TLS_DIR);
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  let generated = false;
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    generateSelfSigned(dir, certPath, keyPath);
    generated = true;
  }
  return { cert: readPem(certPath, 'portal.tls.cert'), key: readPem(keyPath, 'portal.tls.key'), certPath, generated };
}

function readPem(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${key}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Debian's openssl makes the pair (no npm package for certificates is installed): P-256, valid
 * for this host name, localhost and the loopback addresses. Written under temporary names and
 * renamed, so a crash mid-way never leaves a key without its certificate.
 */
function generateSelfSigned(dir: string, certPath: string, keyPath: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '') || 'sipvault';
  const tmpCert = `${certPath}.tmp-${process.pid}`;
  const tmpKey = `${keyPath}.tmp-${process.pid}`;
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-days', '825', '-subj', `/O=sipvault/CN=${host}`,
        '-addext', `subjectAltName=DNS:${host},DNS:localhost,IP:127.0.0.1,IP:::1`,
        '-keyout', tmpKey, '-out', tmpCert,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 },
    );
    chmodSync(tmpKey, 0o600);
    renameSync(tmpKey, keyPath);
    renameSync(tmpCert, certPath);
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`portal.tls: cannot generate a self-signed certificate with openssl in ${dir}: ${stderr || (err as Error).message}`);
  } finally {
    rmSync(tmpKey, { force: true });
    rmSync(tmpCert, { force: true });
  }
}
