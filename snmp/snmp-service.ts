// The `sipvault snmp` process: agent + traps. At start: coldStart, the clears missed while down,
// then every active alarm again (the NOC resynchronises); afterwards one trap per alarm event in
// the catalog's history, and a keep-alive every snmp.keepAliveSeconds.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Catalog } from '../storage/catalog/index.js';
import type { Alarm, Severity } from '../storage/catalog/types.js';
import { AlarmFeed, type FeedEvent } from './alarm-feed.js';
import { SnmpAgent } from './agent.js';
import { engineId, serialNumber } from './identity.js';
import { OIDS, trapVarbinds } from './ovoc-trap.js';
import { readStatus } from './status-snapshot.js';
import { TrapSender } from './trap-sender.js';

export const POLL_MS = 500;
const STATUS_MS = 1000;

export interface SnmpServiceOptions {
  config: Config;
  catalog: Catalog;
  logger: Logger;
  version: string;
  /** The agent cannot serve (its listen address is taken): the process should exit. */
  onFatal: (err: Error) => void;
}

export class SnmpService {
  private readonly sender: TrapSender;
  private readonly feed: AlarmFeed;
  private readonly serial = serialNumber();
  private agent: SnmpAgent | null = null;
  private uniqId = 0;
  private timers: NodeJS.Timeout[] = [];
  private polling: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: SnmpServiceOptions) {
    const engine = engineId(o.config);
    this.sender = new TrapSender(o.config.snmp.traps, engine, o.logger);
    this.feed = new AlarmFeed(o.catalog, join(o.config.dataDir, 'snmp', 'trap-cursor.json'));
  }

  async start(): Promise<void> {
    const { config, logger } = this.o;
    const engine = engineId(config);
    this.agent = new SnmpAgent({
      config,
      engineId: engine,
      upTime: () => this.sender.upTime(),
      sysDescr: `sipvault ${this.o.version} SIPREC recording appliance (${config.snmp.applianceId})`,
      onFatal: (err) => this.o.onFatal(err),
      onRefused: (err) => logger.debug({ err: err.message }, 'SNMP request refused'),
    });
    try {
      await this.agent.listening();
    } catch (err) {
      throw new Error(`snmp.agent.listen ${config.snmp.agent.listen}: ${(err as Error).message}`);
    }
    await this.refreshStatus();

    const { active, missedClears } = this.feed.start();
    await this.sender.coldStart();
    for (const e of missedClears) await this.sendEvent(e);
    // Oldest first, so the NOC's view is built in the order things happened.
    for (const a of [...active].reverse()) {
      await this.sendAlarm(a, a.severity, a.text, new Date(a.raisedAt));
      this.agent.putAlarm(a, this.sender.upTime());
    }
    this.feed.save();
    logger.info(
      { listen: config.snmp.agent.listen, engineId: engine, trapDestinations: this.sender.count, resent: active.length, missedClears: missedClears.length },
      'SNMP agent started; coldStart and active alarms sent',
    );

    this.timers.push(setInterval(() => void this.refreshStatus(), STATUS_MS));
    this.timers.push(setInterval(() => this.poll(), POLL_MS));
    if (config.snmp.keepAliveSeconds > 0) this.timers.push(setInterval(() => void this.keepAlive(), config.snmp.keepAliveSeconds * 1000));
  }

  /** One poll at a time; an event is sent, then the cursor saved (a crash in between re-sends at most that batch). */
  private poll(): void {
    if (this.polling || this.stopped) return;
    const run = this.drain().finally(() => {
      if (this.polling === run) this.polling = null;
    });
    this.polling = run;
  }

  private async drain(): Promise<void> {
    // Yield first: the caller records this run before it can finish.
    await Promise.resolve();
    try {
      const events = this.feed.poll();
      if (!events.length) return;
      for (const e of events) await this.sendEvent(e);
      this.feed.save();
      await this.refreshStatus();
    } catch (err) {
      this.o.logger.error({ err }, `alarm feed: ${(err as Error).message}`);
    }
  }

  private async sendEvent(e: FeedEvent): Promise<void> {
    await this.sendAlarm(e, e.severity, e.text, new Date(e.at));
    if (!this.agent) return;
    if (e.event === 'clear') this.agent.removeAlarm(e.id);
    else this.agent.putAlarm({ ...e, state: 'active', clearedAt: null }, this.sender.upTime());
  }

  private async sendAlarm(a: Alarm, severity: Severity, text: string, at: Date): Promise<void> {
    const uniqId = ++this.uniqId;
    await this.sender.send(a.oid, trapVarbinds({ oid: a.oid, alarm: a.name, text, source: a.source, severity, uniqId, at, serial: this.serial }));
    this.o.logger.info({ alarm: a.name, source: a.source, severity, uniqId }, `trap ${a.name} ${severity} sent`);
  }

  private async keepAlive(): Promise<void> {
    const uniqId = ++this.uniqId;
    await this.sender.send(
      OIDS.keepAlive,
      trapVarbinds({
        oid: OIDS.keepAlive,
        alarm: 'KeepAlive',
        text: 'Keep alive',
        source: `${this.o.config.snmp.applianceId}/System`,
        severity: 'indeterminate',
        uniqId,
        at: new Date(),
        serial: this.serial,
        info: [this.serial, '', ''],
      }),
    );
  }

  private async refreshStatus(): Promise<void> {
    if (!this.agent || this.stopped) return;
    try {
      this.agent.setStatus(await readStatus(this.o.catalog, this.o.config));
    } catch (err) {
      this.o.logger.error({ err }, `status objects not refreshed: ${(err as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.polling;
    this.sender.close();
    await this.agent?.close();
  }
}
