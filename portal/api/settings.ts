import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Config, SnmpTrapTarget, StorageTarget } from '../../config/schema.js';
import { TrapTarget } from '../../config/schema.js';
import {
  ConfigError,
  SETTING,
  applySettings,
  fieldProblems,
  storageTargets,
  trapDestinations,
  type RetentionOverride,
  type TrapDestination,
} from '../../config/overrides.js';
import { ALARM_KINDS, alarmSource } from '../../storage/catalog/alarm-kinds.js';
import { openMediaTarget } from '../../storage/media/open-target.js';
import { probeTarget } from '../../storage/media/probe.js';
import { audit, configChange, type PortalContext } from '../context.js';
import { authOf } from '../auth/session-auth.js';
import { HttpError } from '../errors.js';
import { DateTime, Nullable, StringEnum, errors } from './common.js';

// Configuration through the API (seed 000 "Configure System"): retention, storage targets and
// SNMP trap destinations, stored in the catalog as overrides of the YAML file and validated by
// the file's own schema and checks. Every change is audited as config.change with before and
// after, secrets masked. What applies at once and what needs a restart is answered per change
// (restartRequired) and documented in the README.

/** Shown instead of a secret; sent back unchanged it means "keep the stored one". */
export const MASK = '********';

function maskTarget(t: StorageTarget): StorageTarget {
  return t.type === 's3' ? { ...t, secretKey: MASK } : { ...t };
}

function maskTrap<T extends SnmpTrapTarget>(t: T): T {
  const out = structuredClone(t);
  if (out.community !== undefined) out.community = MASK;
  if (out.user?.authKey !== undefined) out.user.authKey = MASK;
  if (out.user?.privKey !== undefined) out.user.privKey = MASK;
  return out;
}

/** A secret sent back as MASK takes the stored value. */
function keepSecrets<T extends object>(incoming: T, stored: T | undefined, paths: string[][]): T {
  const out = structuredClone(incoming) as Record<string, unknown>;
  for (const path of paths) {
    let into: Record<string, unknown> | undefined = out;
    let from = stored as Record<string, unknown> | undefined;
    for (const k of path.slice(0, -1)) {
      into = into?.[k] as Record<string, unknown> | undefined;
      from = from?.[k] as Record<string, unknown> | undefined;
    }
    const leaf = path[path.length - 1]!;
    if (into && into[leaf] === MASK) {
      if (from?.[leaf] === undefined) throw new HttpError(400, `${path.join('.')}: "${MASK}" stands for the stored secret, and none is stored`);
      into[leaf] = from[leaf];
    }
  }
  return out as T;
}

/** The effective config with `snap`, or a 400 whose message names the API's fields. */
function validate(base: Config, snap: Record<string, unknown>, what: string, prefix: RegExp): Config {
  try {
    return applySettings(base, snap);
  } catch (err) {
    if (err instanceof ConfigError) throw new HttpError(400, `invalid ${what}: ${fieldProblems(err, prefix).join('; ')}`);
    throw err;
  }
}

const Retention = Type.Object({
  defaultDays: Nullable(Type.Integer({ description: 'Days from a call\'s start until it is purged; 0 or null: kept forever' })),
  purgeIntervalMinutes: Type.Integer({ description: 'The purge job runs this often (1 to 60)' }),
  overridden: Type.Boolean({ description: 'true when set through the API (else the config file\'s values)' }),
});

const ChangeAnswer = (item: TSchema) =>
  Type.Object({
    item,
    restartRequired: Type.Boolean({ description: 'true: the change takes effect when the components restart' }),
    message: Type.String(),
  });

const TargetView = Type.Object(
  {
    name: Type.String(),
    type: StringEnum(['local', 's3']),
    active: Type.Boolean({ description: 'Where new recordings go' }),
    source: StringEnum(['config', 'settings']),
    state: StringEnum(['Connected', 'Disconnected', 'Error', 'Unknown'], {
      description: 'Active target: Disconnected while its ConnectionFailed alarm is raised; others: result of the last Test connection',
    }),
    consumedBytes: Nullable(Type.Integer({ description: 'Recordings verified in the target (active target only)' })),
    consumedGB: Nullable(Type.Number()),
    files: Nullable(Type.Integer()),
    lastTest: Nullable(Type.Object({ at: DateTime(), ok: Type.Boolean(), description: Type.String() })),
    settings: Type.Object({}, { additionalProperties: true, description: 'The target\'s configuration, secretKey masked' }),
  },
  { additionalProperties: false },
);

const TargetBody = Type.Object(
  {
    type: StringEnum(['local', 's3']),
  },
  {
    additionalProperties: true,
    description:
      'storage.target of the config file: {type: local, name, path} or {type: s3, name, endPoint, port, useSSL, accessKey, ' +
      `secretKey, bucket}. On update, secretKey "${MASK}" keeps the stored one.`,
  },
);

const TargetName = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) });

const Destination = Type.Composite([Type.Object({ id: Type.String() }), TrapTarget]);
const DestinationId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });

export const settingsRoutes: FastifyPluginAsyncTypebox<PortalContext> = async (app, ctx) => {
  const base = ctx.config;
  const settings = ctx.catalog.settings;
  const who = (request: FastifyRequest) => authOf(request).user.username;

  // ---- retention -------------------------------------------------------------------------------

  const retentionView = () => {
    const effective = applySettings(base, settings.snapshot()).retention;
    return { ...effective, overridden: settings.get(SETTING.retention) !== undefined };
  };

  app.get(
    '/settings/retention',
    {
      config: { permission: 'system:configure' },
      schema: { tags: ['settings'], summary: 'Retention settings', response: { 200: Retention, ...errors(401, 403) } },
    },
    async () => retentionView(),
  );

  app.put(
    '/settings/retention',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Change the retention settings',
        description:
          'Applies at once: defaultDays to calls recorded from now on (a call\'s expiry is fixed when it is recorded), ' +
          'purgeIntervalMinutes from the purge job\'s next run. Audited as config.change.',
        body: Type.Object(
          {
            defaultDays: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 36500 }))),
            purgeIntervalMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: ChangeAnswer(Retention), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const body = request.body;
      const { before, after } = settings.change<RetentionOverride>(
        SETTING.retention,
        (current) => {
          const next = { ...current, ...body };
          validate(base, { ...settings.snapshot(), [SETTING.retention]: next }, 'retention settings', /^retention/);
          return next;
        },
        who(request),
      );
      configChange(ctx, request, 'retention', 'update', null, before, after, false);
      return {
        item: retentionView(),
        restartRequired: false,
        message: 'Applied: new calls get the new retention; recorded calls keep their expiry; the purge job uses the new interval from its next run.',
      };
    },
  );

  // ---- storage targets -------------------------------------------------------------------------

  const lastTest = (name: string) => {
    const e = ctx.catalog.audit.search({ actions: ['storage.test', 'storage.test.failed'], target: name, limit: 1 }).items[0];
    return e ? { at: e.at, ok: e.action === 'storage.test', description: e.description } : null;
  };

  const targetView = (t: StorageTarget, active: string) => {
    const isActive = t.name === active;
    const test = lastTest(t.name);
    const alarmed = ctx.catalog.alarms
      .active()
      .some((a) => a.name === ALARM_KINDS.ConnectionFailed.name && a.source === alarmSource.storage(base.snmp.applianceId, t.name));
    const stored = isActive ? ctx.catalog.status.storedMedia() : null;
    // The active target is probed by the recorder all along: its alarm is the truth. Others only have their last test.
    const state = isActive ? (alarmed ? 'Disconnected' : 'Connected') : test ? (test.ok ? 'Connected' : 'Error') : 'Unknown';
    return {
      name: t.name,
      type: t.type,
      active: isActive,
      source: settings.get(SETTING.storageTargets) ? ('settings' as const) : ('config' as const),
      state: state as 'Connected' | 'Disconnected' | 'Error' | 'Unknown',
      consumedBytes: stored?.bytes ?? null,
      consumedGB: stored ? Math.round((stored.bytes / 1e9) * 100) / 100 : null,
      files: stored?.files ?? null,
      lastTest: test,
      settings: maskTarget(t) as Record<string, unknown>,
    };
  };

  const targetsNow = () => storageTargets(base, settings.snapshot());

  /** A target as the config file would hold it, or a 400 naming the field. */
  const checkTarget = (t: StorageTarget): StorageTarget => {
    const cfg = validate(base, { [SETTING.storageTargets]: [t], [SETTING.storageActive]: t.name }, 'storage target', /^storage\.target/);
    return cfg.storage.target;
  };

  app.get(
    '/storage/targets',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Storage targets (seed 000 NAME | STATUS | CONSUMED)',
        response: { 200: Type.Object({ items: Type.Array(TargetView) }), ...errors(401, 403) },
      },
    },
    async () => {
      const { targets, active } = targetsNow();
      return { items: targets.map((t) => targetView(t, active)) };
    },
  );

  app.post(
    '/storage/targets',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Add a storage target',
        description: 'Validated like storage.target of the config file. It receives recordings only once activated. Audited.',
        body: TargetBody,
        response: { 201: ChangeAnswer(TargetView), ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const candidate = checkTarget(request.body as unknown as StorageTarget);
      settings.change<StorageTarget[]>(
        SETTING.storageTargets,
        (current) => {
          const list = current ?? [base.storage.target];
          if (list.some((t) => t.name === candidate.name)) throw new HttpError(409, `name: a storage target named "${candidate.name}" exists already`);
          return [...list, candidate];
        },
        who(request),
      );
      configChange(ctx, request, 'storage.target', 'create', candidate.name, null, maskTarget(candidate), false);
      const { active } = targetsNow();
      return reply.code(201).send({
        item: targetView(candidate, active),
        restartRequired: false,
        message: `Storage target ${candidate.name} added; activate it to send new recordings there.`,
      });
    },
  );

  app.put(
    '/storage/targets/:name',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Change a storage target',
        description:
          'The whole target (its name cannot change). Changing the active target needs a restart of the recorder and ' +
          'the portal (they open the target when they start): the answer says restartRequired: true. Audited.',
        params: TargetName,
        body: TargetBody,
        response: { 200: ChangeAnswer(TargetView), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { targets, active } = targetsNow();
      const stored = targets.find((t) => t.name === name);
      if (!stored) throw new HttpError(404, `no storage target named "${name}"`);
      const incoming = { ...(request.body as Record<string, unknown>), name } as unknown as StorageTarget;
      const candidate = checkTarget(keepSecrets(incoming, stored, [['secretKey']]));
      settings.change<StorageTarget[]>(
        SETTING.storageTargets,
        (current) => (current ?? [base.storage.target]).map((t) => (t.name === name ? candidate : t)),
        who(request),
      );
      const restartRequired = name === active;
      configChange(ctx, request, 'storage.target', 'update', name, maskTarget(stored), maskTarget(candidate), restartRequired);
      return {
        item: targetView(candidate, active),
        restartRequired,
        message: restartRequired
          ? `Saved. ${name} is the active target: restart the recorder and the portal (systemctl restart sipvault-recorder sipvault-portal) to use the new settings.`
          : `Saved. ${name} is not active; nothing uses it until it is activated.`,
      };
    },
  );

  app.delete(
    '/storage/targets/:name',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Remove a storage target',
        description: '409 for the active target. Recordings already in the target stay there. Audited.',
        params: TargetName,
        response: { 200: ChangeAnswer(Type.Object({ name: Type.String() })), ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { targets, active } = targetsNow();
      const stored = targets.find((t) => t.name === name);
      if (!stored) throw new HttpError(404, `no storage target named "${name}"`);
      if (name === active) throw new HttpError(409, `${name} is the active storage target; activate another one first`);
      settings.change<StorageTarget[]>(SETTING.storageTargets, (current) => (current ?? [base.storage.target]).filter((t) => t.name !== name), who(request));
      configChange(ctx, request, 'storage.target', 'delete', name, maskTarget(stored), null, false);
      return { item: { name }, restartRequired: false, message: `Storage target ${name} removed.` };
    },
  );

  app.post(
    '/storage/targets/:name/activate',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Send new recordings to this target',
        description:
          'Takes effect when the recorder and the portal restart (restartRequired: true). Refused (409) while the ' +
          'current target holds recordings: the portal plays from one target, and nothing moves recordings between ' +
          'targets yet, so they would become unplayable. Audited.',
        params: TargetName,
        response: { 200: ChangeAnswer(TargetView), ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { targets, active } = targetsNow();
      const t = targets.find((x) => x.name === name);
      if (!t) throw new HttpError(404, `no storage target named "${name}"`);
      if (name === active) return { item: targetView(t, active), restartRequired: false, message: `${name} is already the active target.` };
      const stored = ctx.catalog.status.storedMedia();
      if (stored.files > 0) {
        throw new HttpError(409, `the active target ${active} holds ${stored.files} recording files; switching would leave them unplayable`);
      }
      settings.change<StorageTarget[]>(SETTING.storageTargets, (current) => current ?? targets, who(request));
      settings.change<string>(SETTING.storageActive, () => name, who(request));
      configChange(ctx, request, 'storage.target', 'update', name, { active }, { active: name }, true);
      return {
        item: targetView(t, name),
        restartRequired: true,
        message: `Saved. Restart the recorder and the portal to send new recordings to ${name}.`,
      };
    },
  );

  app.post(
    '/storage/targets/:name/test',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Test connection',
        description: 'Writes a small object, reads it back, deletes it (the storage health probe). Audited (storage.test / storage.test.failed).',
        params: TargetName,
        response: {
          200: Type.Object({ name: Type.String(), ok: Type.Boolean(), ms: Type.Number(), message: Type.String() }),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => {
      const { name } = request.params;
      const t = targetsNow().targets.find((x) => x.name === name);
      if (!t) throw new HttpError(404, `no storage target named "${name}"`);
      const target = openMediaTarget({ ...base, storage: { ...base.storage, target: t } });
      const t0 = performance.now();
      try {
        await mkdir(base.dataDir, { recursive: true });
        const r = await probeTarget(target, base.dataDir);
        audit(ctx, request, 'storage.test', name, { ok: true, ms: Math.round(r.ms), target: target.description });
        return { name, ok: true, ms: r.ms, message: `Connected: wrote, read back and deleted a test object in ${Math.round(r.ms)} ms` };
      } catch (err) {
        const message = (err as Error).message;
        audit(ctx, request, 'storage.test.failed', name, { ok: false, error: message, target: target.description });
        return { name, ok: false, ms: performance.now() - t0, message };
      }
    },
  );

  // ---- SNMP trap destinations -----------------------------------------------------------------

  const destinations = () => trapDestinations(base, settings.snapshot());
  const DEST_PREFIX = /^snmp\.traps\[\d+\]/;
  const secretPaths = [['community'], ['user', 'authKey'], ['user', 'privKey']];

  /** Replaces the list after checking it the way the config file's snmp.traps is checked. */
  const saveDestinations = (request: FastifyRequest, edit: (list: TrapDestination[]) => TrapDestination[]) =>
    settings.change<TrapDestination[]>(
      SETTING.snmpTraps,
      (current) => {
        const next = edit(current ?? trapDestinations(base, {}));
        validate(base, { ...settings.snapshot(), [SETTING.snmpTraps]: next }, 'SNMP trap destination', DEST_PREFIX);
        return next;
      },
      who(request),
    );

  const liveMessage = 'Applied: the SNMP service sends traps to the new destinations within a second.';

  app.get(
    '/snmp/destinations',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'SNMP trap destinations (v2c community or v3 user; secrets masked)',
        response: { 200: Type.Object({ items: Type.Array(Destination) }), ...errors(401, 403) },
      },
    },
    async () => ({ items: destinations().map(maskTrap) }),
  );

  app.post(
    '/snmp/destinations',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Add a trap destination',
        description: 'Validated like an entry of snmp.traps in the config file. Applies at once (no restart). Audited.',
        body: TrapTarget,
        response: { 201: ChangeAnswer(Destination), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const added: TrapDestination = { id: `d${randomBytes(6).toString('hex')}`, ...(request.body as SnmpTrapTarget) };
      saveDestinations(request, (list) => [...list, added]);
      configChange(ctx, request, 'snmp.trapDestination', 'create', `${added.host}:${added.port}`, null, maskTrap(added), false);
      return reply.code(201).send({ item: maskTrap(added), restartRequired: false, message: liveMessage });
    },
  );

  app.put(
    '/snmp/destinations/:id',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Change a trap destination',
        description: `The whole destination; secrets sent as "${MASK}" keep the stored ones. Applies at once. Audited.`,
        params: DestinationId,
        body: TrapTarget,
        response: { 200: ChangeAnswer(Destination), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const stored = destinations().find((d) => d.id === id);
      if (!stored) throw new HttpError(404, `no trap destination with id ${id}`);
      const next: TrapDestination = { ...keepSecrets(request.body as SnmpTrapTarget, stored, secretPaths), id };
      saveDestinations(request, (list) => list.map((d) => (d.id === id ? next : d)));
      configChange(ctx, request, 'snmp.trapDestination', 'update', `${next.host}:${next.port}`, maskTrap(stored), maskTrap(next), false);
      return { item: maskTrap(next), restartRequired: false, message: liveMessage };
    },
  );

  app.delete(
    '/snmp/destinations/:id',
    {
      config: { permission: 'system:configure' },
      schema: {
        tags: ['settings'],
        summary: 'Remove a trap destination',
        params: DestinationId,
        response: { 200: ChangeAnswer(Type.Object({ id: Type.String() })), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const stored = destinations().find((d) => d.id === id);
      if (!stored) throw new HttpError(404, `no trap destination with id ${id}`);
      saveDestinations(request, (list) => list.filter((d) => d.id !== id));
      configChange(ctx, request, 'snmp.trapDestination', 'delete', `${stored.host}:${stored.port}`, maskTrap(stored), null, false);
      return { item: { id }, restartRequired: false, message: liveMessage };
    },
  );
};
