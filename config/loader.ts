import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve, isAbsolute } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigSchema, storageTargetSchemas, type Config, type SnmpV3User } from './schema.js';
import { parseCidr } from './cidr.js';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// verbose: errors carry their schema, so a pattern error can say what the value must look like.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
const validateConfig = ajv.compile<Config>(ConfigSchema);
const validateTarget = Object.fromEntries(
  Object.entries(storageTargetSchemas).map(([type, schema]) => [type, ajv.compile(schema)]),
);

function keyPath(base: string, instancePath: string): string {
  const parts = instancePath.split('/').slice(1);
  let out = base;
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

function describe(base: string, e: ErrorObject): string {
  const at = keyPath(base, e.instancePath);
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return `${at === '(root)' ? '' : `${at}.`}${extra}: unknown key`;
  }
  if (e.keyword === 'enum') {
    return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  }
  if (e.keyword === 'pattern') {
    return `${at}: ${e.parentSchema && 'description' in e.parentSchema ? `must be ${String(e.parentSchema.description)}` : e.message}`;
  }
  return `${at}: ${e.message ?? 'invalid'}`;
}

function parsePortRange(range: string): [number, number] | null {
  const [a, b] = range.split('-').map(Number);
  if (a === undefined || b === undefined) return null;
  if (a < 1024 || b > 65535 || a >= b) return null;
  return [a, b];
}

/** Semantic checks a JSON schema cannot express; each problem names its key. */
function checkSemantics(cfg: Config): string[] {
  const problems: string[] = [];
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const sip = (typeof cfg.sip === 'object' && cfg.sip) || ({} as Config['sip']);
  list(sip.listen).forEach((entry, i) => {
    const port = Number(entry.slice(entry.lastIndexOf(':') + 1));
    if (port > 65535) problems.push(`sip.listen[${i}]: port ${port} is out of range`);
    if (entry.startsWith('tls:') && (!sip.tls?.cert || !sip.tls?.key)) {
      problems.push(`sip.listen[${i}]: a tls: listener needs sip.tls.cert and sip.tls.key`);
    }
  });
  list(sip.tls?.requireClientCertFrom).forEach((cidr, i) => {
    if (!parseCidr(cidr)) problems.push(`sip.tls.requireClientCertFrom[${i}]: "${cidr}" is not an IPv4/IPv6 address or CIDR`);
  });
  if (list(sip.tls?.requireClientCertFrom).length > 0 && !sip.tls?.ca) {
    problems.push('sip.tls.requireClientCertFrom: client certificates can only be checked with sip.tls.ca set');
  }
  list(sip.trustedSources).forEach((cidr, i) => {
    if (!parseCidr(cidr)) problems.push(`sip.trustedSources[${i}]: "${cidr}" is not an IPv4/IPv6 address or CIDR`);
  });
  const rtpPorts = cfg.media?.rtpPorts;
  if (typeof rtpPorts === 'string' && !parsePortRange(rtpPorts)) {
    problems.push(`media.rtpPorts: "${rtpPorts}" must be LOW-HIGH with 1024 <= LOW < HIGH <= 65535`);
  }
  problems.push(...checkSnmp(cfg.snmp));
  const target = cfg.storage?.target as unknown;
  const type = typeof target === 'object' && target ? (target as { type?: unknown }).type : undefined;
  const check = typeof type === 'string' ? validateTarget[type] : undefined;
  if (!check) {
    problems.push(`storage.target.type: must be one of ${Object.keys(storageTargetSchemas).join(', ')}`);
  } else if (!check(target)) {
    for (const e of check.errors ?? []) problems.push(describe('storage.target', e));
  }
  problems.push(...checkStorageLimits(cfg));
  return problems;
}

/** Floors and retry times must be ordered; only checked once each value is a number. */
function checkStorageLimits(cfg: Config): string[] {
  const problems: string[] = [];
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const cap = cfg.storage?.capacity;
  if (cap) {
    if (num(cap.criticalFreePercent) && num(cap.majorFreePercent) && cap.criticalFreePercent > cap.majorFreePercent) {
      problems.push(`storage.capacity.criticalFreePercent: ${cap.criticalFreePercent} must not be above storage.capacity.majorFreePercent (${cap.majorFreePercent})`);
    }
    if (num(cap.criticalFreeMB) && num(cap.majorFreeMB) && cap.criticalFreeMB > cap.majorFreeMB) {
      problems.push(`storage.capacity.criticalFreeMB: ${cap.criticalFreeMB} must not be above storage.capacity.majorFreeMB (${cap.majorFreeMB})`);
    }
  }
  const up = cfg.storage?.upload;
  if (up && num(up.retryInitialSeconds) && num(up.retryMaxSeconds) && up.retryInitialSeconds > up.retryMaxSeconds) {
    problems.push(`storage.upload.retryInitialSeconds: ${up.retryInitialSeconds} must not be above storage.upload.retryMaxSeconds (${up.retryMaxSeconds})`);
  }
  return problems;
}

/** A v3 user's keys and protocols must come in pairs, and privacy needs authentication. */
function checkV3User(key: string, u: Partial<SnmpV3User> | undefined): string[] {
  if (typeof u !== 'object' || !u) return [];
  const out: string[] = [];
  if (u.authProtocol && !u.authKey) out.push(`${key}.authKey: required with ${key}.authProtocol`);
  if (u.privProtocol && !u.privKey) out.push(`${key}.privKey: required with ${key}.privProtocol`);
  if (u.privKey && !u.authKey) out.push(`${key}.authKey: privacy (privKey) needs authentication (authKey) too`);
  return out;
}

function checkSnmp(snmp: Config['snmp'] | undefined): string[] {
  if (typeof snmp !== 'object' || !snmp) return [];
  const out: string[] = [];
  (Array.isArray(snmp.traps) ? snmp.traps : []).forEach((t, i) => {
    if (typeof t !== 'object' || !t) return;
    const key = `snmp.traps[${i}]`;
    if (t.version === 'v3') {
      if (!t.user) out.push(`${key}.user: required for version v3 (name, authKey, privKey)`);
      if (t.community) out.push(`${key}.community: only for version v2c (v3 uses user)`);
      out.push(...checkV3User(`${key}.user`, t.user));
    } else {
      if (!t.community) out.push(`${key}.community: required for version v2c`);
      if (t.user) out.push(`${key}.user: only for version v3`);
    }
  });
  const users = Array.isArray(snmp.agent?.users) ? snmp.agent.users : [];
  users.forEach((u, i) => out.push(...checkV3User(`snmp.agent.users[${i}]`, u)));
  return out;
}

/** Validates a parsed config object, fills defaults, resolves paths against `baseDir`. */
export function buildConfig(raw: unknown, source: string, baseDir = process.cwd()): Config {
  const obj = raw ?? {};
  if (typeof obj !== 'object' || Array.isArray(obj)) throw new ConfigError(source, ['(root): must be a mapping of keys']);
  const cfg = structuredClone(obj) as Config;
  const valid = validateConfig(cfg);
  const problems = valid ? [] : (validateConfig.errors ?? []).map((e) => describe('', e));
  // Report everything at once: an operator fixes a file in one pass, not one error per run.
  problems.push(...checkSemantics(cfg).filter((p) => !problems.some((q) => q.split(':')[0] === p.split(':')[0])));
  if (problems.length) throw new ConfigError(source, problems);
  cfg.dataDir = isAbsolute(cfg.dataDir) ? cfg.dataDir : resolve(baseDir, cfg.dataDir);
  for (const k of ['cert', 'key', 'ca'] as const) {
    const p = cfg.sip.tls[k];
    if (p) cfg.sip.tls[k] = resolve(baseDir, p);
  }
  if (cfg.storage.target.type === 'local') {
    const p = cfg.storage.target.path;
    cfg.storage.target.path = p === null ? resolve(cfg.dataDir, 'media') : resolve(baseDir, p);
  }
  return cfg;
}

/** --config F, else SIPVAULT_CONFIG, else built-in defaults (relative paths from the working directory). */
export function loadConfig(file?: string): Config {
  const path = file ?? process.env.SIPVAULT_CONFIG;
  if (!path) return buildConfig({}, 'built-in defaults');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read file: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new ConfigError(path, [`YAML syntax error${where}: ${(err as Error).message.split('\n')[0]}`]);
  }
  // Relative paths in a file are relative to the working directory, like every CLI path argument.
  return buildConfig(raw, path);
}

export function rtpPortRange(cfg: Config): [number, number] {
  return parsePortRange(cfg.media.rtpPorts) as [number, number];
}

/** ffmpeg processes the MP3 pool may run at once: media.mp3.workers, or one per CPU. */
export function mp3Workers(cfg: Config): number {
  return cfg.media.mp3.workers ?? availableParallelism();
}

export function splitHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
}
