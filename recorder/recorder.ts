// The recorder process: SIP stack + SIPREC server + media engine + finalizer, wired to the catalog.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { mp3Workers, rtpPortRange } from '../config/loader.js';
import { makeAllowList } from '../config/cidr.js';
import { Catalog } from '../storage/catalog/index.js';
import type { ReleaseCause, StreamQuality } from '../storage/catalog/types.js';
import { ALARM_KINDS, alarmSource } from '../storage/catalog/alarm-kinds.js';
import { LocalMediaTarget } from '../storage/media/local-target.js';
import { SipStack, type SipTlsOptions } from './sip/index.js';
import {
  SiprecServer,
  SessionRefused,
  type CloseReason,
  type RecordingSessionHandler,
  type SessionChange,
  type SessionOffer,
  type StreamGrant,
  type StreamRequest,
} from './siprec/siprec-server.js';
import { DirectMediaEngine, MediaResourceError } from './media/direct-media-engine.js';
import { Finalizer } from './finalize/finalizer.js';
import { findFfmpeg } from './finalize/ffmpeg-binary.js';
import { FfmpegPool } from './finalize/ffmpeg-pool.js';
import { Mp3Stage } from './finalize/mp3-stage.js';
import { recoverSpool } from './finalize/spool-recovery.js';

/** The stream quality fields the catalog stores, from the mixer's statistics. */
function pickQuality(s: StreamQuality): StreamQuality {
  const { expected, lossRate, maxLossRate20s, duplicates, reordered, late, jitterMaxMs, concealedMs, concealedRatio, estMos } = s;
  return { expected, lossRate, maxLossRate20s, duplicates, reordered, late, jitterMaxMs, concealedMs, concealedRatio, estMos };
}

const RELEASE_CAUSE: Record<CloseReason, ReleaseCause> = {
  bye: 'Normal',
  shutdown: 'Normal',
  cancel: 'Abandoned',
  'ack-timeout': 'Failure',
  failed: 'Failure',
  'session-expired': 'Failure',
  'media-failure': 'Failure',
};

/** The PEM files named in sip.tls, read once at start; an unreadable one is an error naming its key. */
function readTlsFiles(config: Config): SipTlsOptions {
  const read = (key: 'cert' | 'key' | 'ca'): string | undefined => {
    const path = config.sip.tls[key];
    if (!path) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`sip.tls.${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const cert = read('cert');
  const key = read('key');
  if (!cert || !key) throw new Error('sip.tls.cert and sip.tls.key are required for a tls: entry in sip.listen');
  const ca = read('ca');
  return { cert, key, ...(ca ? { ca } : {}), requireClientCertFrom: config.sip.tls.requireClientCertFrom };
}

export class Recorder implements RecordingSessionHandler {
  readonly stack: SipStack;
  private readonly server: SiprecServer;
  private readonly media: DirectMediaEngine;
  private readonly finalizer: Finalizer;
  private readonly spoolDir: string;
  private readonly mp3Pool: FfmpegPool | null;
  private readonly mp3: Mp3Stage | null = null;
  private readonly startTimes = new Map<string, Date>();
  /** Mirrors the catalog so the common case (no alarm) costs no SQL per call. */
  private resourceAlarm: boolean;
  /** Stream label -> participant, kept so the final stream statistics stay linked to their party. */
  private readonly streamParticipants = new Map<string, Map<string, string | null>>();

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
    const resourceSource = alarmSource.recorder(config.snmp.applianceId);
    this.resourceAlarm = catalog.alarms.active().some((a) => a.name === ALARM_KINDS.RecordingResourceUnavailable.name && a.source === resourceSource);
    if (config.sip.trustedSources.length === 0) {
      logger.warn('sip.trustedSources is empty: SIP requests from ANY address are accepted');
    }
    this.stack = new SipStack({
      listen: config.sip.listen,
      maxMessageBytes: config.sip.maxMessageBytes,
      maxConnections: config.sip.maxConnections,
      logger: logger.child({ layer: 'sip' }),
      ...(config.sip.listen.some((l) => l.startsWith('tls:')) ? { tls: readTlsFiles(config) } : {}),
    });
    this.spoolDir = join(config.dataDir, 'spool');
    this.media = new DirectMediaEngine({
      portRange: rtpPortRange(config),
      bindAddress: '0.0.0.0',
      spoolDir: this.spoolDir,
      logger: logger.child({ layer: 'media' }),
      onFailure: (id, err) => {
        // The audio so far is kept and finalised; the SRC learns from our BYE that recording stopped.
        this.raiseResourceAlarm(`spool write failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        this.server.terminate(id, 'media-failure');
      },
      // DTMF (RFC 4733) from the media, timed at its place in the recording.
      onEvent: (id, e) => this.catalog.history.addEvent(id, { kind: e.kind, at: e.at, details: e.details }),
    });
    const target = new LocalMediaTarget(config.storage.target.name, config.storage.target.path!);
    this.mp3Pool = this.makeMp3Pool();
    if (this.mp3Pool) {
      this.mp3 = new Mp3Stage({
        catalog,
        target,
        pool: this.mp3Pool,
        bitrateKbps: config.media.mp3.bitrateKbps,
        spoolDir: this.spoolDir,
        logger: logger.child({ layer: 'mp3' }),
      });
    }
    this.finalizer = new Finalizer({
      catalog,
      target,
      logger: logger.child({ layer: 'finalize' }),
      applianceId: config.snmp.applianceId,
      mp3: this.mp3,
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
    // Before the first INVITE: what a killed predecessor left behind is accounted for first.
    await recoverSpool({
      catalog: this.catalog,
      spoolDir: this.spoolDir,
      finalizer: this.finalizer,
      mp3: this.mp3,
      logger: this.logger.child({ layer: 'recovery' }),
    });
    await this.stack.start();
    this.logger.info({ listen: this.stack.boundAddresses() }, 'recorder listening');
  }

  /** Graceful stop: refuse new calls, let active ones finish up to the grace period, BYE the rest. */
  async stop(): Promise<void> {
    await this.server.drain(this.config.sip.shutdownGraceSeconds * 1000);
    await this.finalizer.drain();
    // MP3s not made yet stay in the spool's MP3 queue; the next start makes them.
    this.mp3Pool?.stop();
    await this.mp3?.drain();
    await this.stack.stop();
  }

  /** The ffmpeg pool for MP3s, or null (disabled, or no ffmpeg: recordings are then WAV only). */
  private makeMp3Pool(): FfmpegPool | null {
    const { enabled, bitrateKbps } = this.config.media.mp3;
    if (!enabled) {
      this.logger.info('MP3 copies are off (media.mp3.enabled: false)');
      return null;
    }
    const ffmpeg = findFfmpeg();
    if (!ffmpeg) {
      this.logger.error('no ffmpeg found (Debian package ffmpeg, or npm @ffmpeg-installer/ffmpeg): recordings are stored as WAV only');
      return null;
    }
    const workers = mp3Workers(this.config);
    this.logger.info({ ffmpeg: ffmpeg.path, source: ffmpeg.source, workers, bitrateKbps }, `MP3 encoder: ${ffmpeg.source} ffmpeg`);
    return new FfmpegPool(ffmpeg.path, workers);
  }

  async open(offer: SessionOffer): Promise<{ id: string; streams: StreamGrant[] }> {
    const startTime = new Date();
    const p = offer.parties;
    // One commit for the row, its first metadata version and its correlation ids.
    const id = this.catalog.transaction(() => {
      const created = this.catalog.interactions.create({
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
          mixed: s.mixed,
          participantId: p.streams.find((a) => a.label === s.label)?.participantId ?? null,
          codec: null,
        })),
        partyRule: p.rule,
        // Fixes the call's expiresAt (start + retention days); the catalog links it to its users.
        retentionDays: this.config.retention.defaultDays,
      });
      if (offer.metadata) this.catalog.history.addMetadata(created, { ...offer.metadata, at: startTime });
      this.catalog.history.addCorrelationIds(created, offer.correlation);
      return created;
    });
    this.streamParticipants.set(id, new Map(p.streams.map((a) => [a.label, a.participantId])));
    try {
      const streams = await this.media.open(id, offer.streams);
      this.startTimes.set(id, startTime);
      this.clearResourceAlarm();
      return { id, streams };
    } catch (err) {
      this.catalog.interactions.finish(id, { endTime: new Date(), releaseCause: 'Failure', status: 'failed', streams: [] });
      if (err instanceof MediaResourceError) {
        this.raiseResourceAlarm(err.message);
        throw new SessionRefused(503, 'Service Unavailable - No Media Resources');
      }
      throw err;
    }
  }

  async addStreams(id: string, requests: StreamRequest[]): Promise<StreamGrant[]> {
    try {
      return await this.media.addStreams(id, requests);
    } catch (err) {
      if (err instanceof MediaResourceError) {
        this.raiseResourceAlarm(err.message);
        // The call goes on with the streams it has; the new ones are declined (port 0).
        return requests.map((r) => ({ label: r.label, port: 0, payloadType: null, eventPayloadType: null }));
      }
      throw err;
    }
  }

  update(id: string, change: SessionChange): void {
    const now = new Date();
    if (change.metadata) this.catalog.history.addMetadata(id, { ...change.metadata, at: now });
    if (change.correlation) this.catalog.history.addCorrelationIds(id, change.correlation);
    if (change.event) this.catalog.history.addEvent(id, { kind: change.event.kind, at: now, details: change.event.details ?? null });
    if (change.parties) {
      const p = change.parties;
      this.catalog.interactions.updateParties(id, { callingParty: p.callingParty, calledParty: p.calledParty, participants: p.participants, direction: 'None', partyRule: p.rule });
      this.media.setChannels(id, p.streams);
      const links = this.streamParticipants.get(id);
      for (const a of p.streams) links?.set(a.label, a.participantId);
    }
  }

  close(id: string, reason: CloseReason): void {
    const result = this.media.close(id);
    const startTime = this.startTimes.get(id) ?? new Date();
    this.startTimes.delete(id);
    const links = this.streamParticipants.get(id);
    this.streamParticipants.delete(id);
    const failed = reason === 'cancel' || reason === 'failed' || !result;
    const streams = (result?.streams ?? []).map((s) => ({
      label: s.label,
      channel: s.channel,
      mixed: s.mixed,
      codec: s.codec,
      packets: s.packets,
      lost: s.lost,
      jitterMs: s.jitterMs,
      ...pickQuality(s),
      participantId: links?.get(s.label) ?? null,
    }));
    this.catalog.interactions.finish(id, { endTime: new Date(), releaseCause: RELEASE_CAUSE[reason], status: failed ? 'failed' : 'pending', streams });
    if (!result) return;
    if (failed) {
      void unlink(result.spoolPath).catch(() => undefined);
      return;
    }
    void this.finalizer.finalize({ id, startTime, spoolPath: result.spoolPath, sampleRate: result.sampleRate, channels: result.channels, durationMs: result.durationMs });
  }

  private raiseResourceAlarm(why: string): void {
    this.resourceAlarm = true;
    this.catalog.alarms.raise({
      ...ALARM_KINDS.RecordingResourceUnavailable,
      source: alarmSource.recorder(this.config.snmp.applianceId),
      severity: 'critical',
      text: `Cannot record: ${why}`,
    });
  }

  private clearResourceAlarm(): void {
    if (!this.resourceAlarm) return;
    this.resourceAlarm = false;
    this.catalog.alarms.clear(ALARM_KINDS.RecordingResourceUnavailable.name, alarmSource.recorder(this.config.snmp.applianceId));
  }

  get activeSessions(): number {
    return this.server.activeSessions;
  }
}
