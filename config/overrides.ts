// Configuration changed through the portal API lives in the catalog (settings table) as
// overrides of the YAML file; this module turns file + overrides into the effective config,
// validated by the same schema and checks as the file itself (loader.ts), so a bad override is
// refused with the same key-naming errors and can never reach a component.
import { buildConfig, ConfigError } from './loader.js';
import type { Config, SnmpTrapTarget, StorageTarget } from './schema.js';

/** Keys of the settings table. */
export const SETTING = {
  /** Partial retention block: { defaultDays?, purgeIntervalMinutes? }. */
  retention: 'retention',
  /** Every defined storage target (the YAML one included once any was added through the API). */
  storageTargets: 'storage.targets',
  /** Name of the target recordings go to (one of storage.targets). */
  storageActive: 'storage.active',
  /** The trap destinations, replacing snmp.traps of the file once changed through the API. */
  snmpTraps: 'snmp.traps',
} as const;

export type TrapDestination = SnmpTrapTarget & { id: string };
export type RetentionOverride = Partial<Config['retention']>;

/** What the catalog's SettingsRepo offers; kept structural so config/ does not import storage/. */
export interface SettingsSource {
  version(): number;
  snapshot(): Record<string, unknown>;
  get<T = unknown>(key: string): T | undefined;
}

/** The trap destinations in force: the API's list, else the file's (ids config-0, config-1 ...). */
export function trapDestinations(base: Config, snap: Record<string, unknown>): TrapDestination[] {
  const list = snap[SETTING.snmpTraps] as TrapDestination[] | undefined;
  return list ?? base.snmp.traps.map((t, i) => ({ ...t, id: `config-${i}` }));
}

/** The storage targets defined and the active one's name. */
export function storageTargets(base: Config, snap: Record<string, unknown>): { targets: StorageTarget[]; active: string } {
  const targets = (snap[SETTING.storageTargets] as StorageTarget[] | undefined) ?? [base.storage.target];
  const active = (snap[SETTING.storageActive] as string | undefined) ?? base.storage.target.name;
  return { targets, active };
}

/**
 * The effective configuration: the file's, with the catalog's overrides applied. Throws a
 * ConfigError naming the key when the combination is invalid.
 */
export function applySettings(base: Config, snap: Record<string, unknown>): Config {
  const raw = structuredClone(base) as Config;
  const retention = snap[SETTING.retention] as RetentionOverride | undefined;
  if (retention) raw.retention = { ...raw.retention, ...retention };
  if (snap[SETTING.snmpTraps]) raw.snmp.traps = trapDestinations(base, snap).map(({ id: _id, ...t }) => t);
  const { targets, active } = storageTargets(base, snap);
  const target = targets.find((t) => t.name === active);
  if (target) raw.storage.target = structuredClone(target);
  return buildConfig(raw, 'settings stored in the catalog');
}

/**
 * The effective config of a running component, re-read only when the settings version moved (one
 * single-row read per call). An invalid combination (which the API refuses to store) keeps the
 * previous one and is reported through `onError`.
 */
export class LiveConfig {
  private seen = Number.NaN;
  private current: Config;

  constructor(
    private readonly base: Config,
    private readonly settings: SettingsSource,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.current = base;
  }

  /** True when the settings changed since the last get(). */
  changed(): boolean {
    return this.settings.version() !== this.seen;
  }

  get(): Config {
    const v = this.settings.version();
    if (v !== this.seen) {
      this.seen = v;
      try {
        this.current = applySettings(this.base, this.settings.snapshot());
      } catch (err) {
        this.onError(err as Error);
      }
    }
    return this.current;
  }
}

/**
 * Problems of a ConfigError as the API's field names: `storage.target.port: ...` becomes
 * `port: ...` for prefix `storage.target`; `snmp.traps[2].community` becomes `community`.
 */
export function fieldProblems(err: ConfigError, prefix: RegExp): string[] {
  return err.problems.map((p) => {
    const m = prefix.exec(p);
    if (!m || m.index !== 0) return p;
    const rest = p.slice(m[0].length);
    return rest.startsWith('.') ? rest.slice(1) : rest.replace(/^:\s*/, '');
  });
}

export { ConfigError };

/** The effective config at a component's start; an unusable override is reported and ignored. */
export function effectiveConfig(base: Config, settings: SettingsSource, onError: (err: Error) => void = () => undefined): Config {
  try {
    return applySettings(base, settings.snapshot());
  } catch (err) {
    onError(err as Error);
    return base;
  }
}

/**
 * The retention days for a call starting now: the API's value when one is set, else the file's.
 * One primary-key read per call, so a change applies from the next call on.
 */
export function currentRetentionDays(base: Config, settings: SettingsSource): number | null {
  const o = settings.get<RetentionOverride>(SETTING.retention);
  return o && o.defaultDays !== undefined ? o.defaultDays : base.retention.defaultDays;
}
