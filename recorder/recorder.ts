// The recorder process: SIP stack + SIPREC server + media engine + finalizer, wired to the catalog.
import { join } from 'node:path';
import { unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { rtpPortRange } from '../config/loader.js';
import { makeAllowList } from '../config/cidr.js';
import { Catalog } from '../storage/catalog/index.js';
import type { ReleaseCause } from '../storage/catalog/types.js';
import { ALARM_KINDS, alarmSource } from '../storage/catalog/alarm-kinds.js';
import { LocalMediaTarget } from '../storage/media/local-target.js';
import { SipStack } from './sip/index.js';
import { SiprecServer, SessionRefused, type CloseReason, type RecordingSessionHandler, type SessionOffer } from './siprec/siprec-server.js';
import { DirectMediaEngine, MediaResourceError } from './media/direct-media-engine.js';
import { Finalizer } from './finalize/finalizer.js';

const RELEASE_CAUSE: Record<CloseReason, ReleaseCause> = {
  bye: 'Normal',
  shutdown: 'Normal',
  cancel: 'Abandoned',
  'ack-timeout': 'Failure',
  failed: 'Failure',
};

export class Recorder implements RecordingSessionHandler {
  readonly stack: SipStack;
  private readonly server: SiprecServer;
  private readonly media: DirectMediaEngine;
  private readonly finalizer: Finalizer;
  private readonly startTimes = new Map<string, Date>();

  constructor(
    private readonly config: Config,
    private readonly catalog: Catalog,
    private readonly logger: Logger,
  ) {
    if (config.media.relay !== 'direct') {
      // rtpengine relay arrives with the media engine work (issue 4); refuse loudly rather than record nothing.
      throw new Error('media.relay: rtpengine is not available in this version; use media.relay: direct');
    }
    if (config.storage.target.type !== 'local') {
      throw new Error('storage.target.type: s3 is not available in this version; use type: local');
    }
    if (config.sip.trustedSources.length === 0) {
      logger.warn('sip.trustedSources is empty: SIP requests from ANY address are accepted');
    }
    this.stack = new SipStack({ listen: config.sip.listen, maxMessageBytes: config.sip.maxMessageBytes, logger: logger.child({ layer: 'sip' }) });
    this.media = new DirectMediaEngine({
      portRange: rtpPortRange(config),
      bindAddress: '0.0.0.0',
      spoolDir: join(config.dataDir, 'spool'),
      logger: logger.child({ layer: 'media' }),
    });
    this.finalizer = new Finalizer({
      catalog,
      target: new LocalMediaTarget(config.storage.target.name, config.storage.target.path!),
      logger: logger.child({ layer: 'finalize' }),
      applianceId: config.snmp.applianceId,
    });
    this.server = new SiprecServer({
      stack: this.stack,
      handler: this,
      logger: logger.child({ layer: 'siprec' }),
      isTrusted: makeAllowList(config.sip.trustedSources),
      maxSessions: config.sip.maxSessions,
      advertiseAddress: config.media.advertiseAddress,
    });
  }

  async start(): Promise<void> {
    await this.stack.start();
    this.logger.info({ listen: this.stack.boundAddresses() }, 'recorder listening');
  }

  async stop(): Promise<void> {
    this.server.closeAll();
    await this.finalizer.drain();
    await this.stack.stop();
  }

  async open(offer: SessionOffer): Promise<{ id: string; streams: Array<{ label: string; port: number; payloadType: number | null; eventPayloadType: number | null }> }> {
    const startTime = new Date();
    const p = offer.parties;
    const id = this.catalog.interactions.create({
      callId: offer.callId,
      sessionId: offer.sessionId,
      startTime,
      direction: 'None',
      callingParty: p.callingParty,
      calledParty: p.calledParty,
      participants: p.participants,
      src: offer.src,
      streams: offer.streams.map((s) => ({
        label: s.label,
        channel: s.channel,
        participantId: p.streams.find((a) => a.label === s.label)?.participantId ?? null,
        codec: null,
      })),
      partyRule: p.rule,
    });
    try {
      const streams = await this.media.open(id, offer.streams);
      this.startTimes.set(id, startTime);
      this.clearResourceAlarm();
      return { id, streams };
    } catch (err) {
      this.catalog.interactions.finish(id, { endTime: new Date(), releaseCause: 'Failure', status: 'failed', streams: [] });
      if (err instanceof MediaResourceError) {
        this.catalog.alarms.raise({
          ...ALARM_KINDS.RecordingResourceUnavailable,
          source: alarmSource.recorder(this.config.snmp.applianceId),
          severity: 'critical',
          text: `Cannot record: ${err.message}`,
        });
        throw new SessionRefused(503, 'Service Unavailable - No Media Resources');
      }
      throw err;
    }
  }

  close(id: string, reason: CloseReason): void {
    const result = this.media.close(id);
    const startTime = this.startTimes.get(id) ?? new Date();
    this.startTimes.delete(id);
    const failed = reason === 'cancel' || reason === 'failed' || !result;
    const streams = (result?.streams ?? []).map((s) => ({ label: s.label, channel: s.channel, codec: s.codec, packets: s.packets, lost: s.lost, jitterMs: s.jitterMs, participantId: null }));
    this.catalog.interactions.finish(id, { endTime: new Date(), releaseCause: RELEASE_CAUSE[reason], status: failed ? 'failed' : 'pending', streams });
    if (!result) return;
    if (failed) {
      void unlink(result.spoolPath).catch(() => undefined);
      return;
    }
    void this.finalizer.finalize({ id, startTime, spoolPath: result.spoolPath, sampleRate: result.sampleRate, channels: result.channels, durationMs: result.durationMs });
  }

  private clearResourceAlarm(): void {
    this.catalog.alarms.clear(ALARM_KINDS.RecordingResourceUnavailable.name, alarmSource.recorder(this.config.snmp.applianceId));
  }

  get activeSessions(): number {
    return this.server.activeSessions;
  }
}
