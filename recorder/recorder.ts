// The recorder process: SIP stack + SIPREC server + media engine + finalizer, wired to the catalog.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { mp3Workers, rtpPortRange, splitHostPort } from '../config/loader.js';
import { makeAllowList } from '../config/cidr.js';
import { currentRetentionDays } from '../config/overrides.js';
import { Catalog } from '../storage/catalog/index.js';
import { isBusy, retryWhileBusy } from '../storage/catalog/busy-retry.js';
import type { ReleaseCause, StreamQuality } from '../storage/catalog/types.js';
import { ALARM_KINDS, alarmSource } from '../storage/catalog/alarm-kinds.js';
import { openMediaTarget } from '../storage/media/open-target.js';
import { CapacityMonitor, describeSpace, type CapacityLevel, type FsSpace } from '../storage/media/capacity-monitor.js';
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
import type { MediaResult } from './media/media-session.js';
import { Finalizer } from './finalize/finalizer.js';
import { findFfmpeg } from './finalize/ffmpeg-binary.js';
import { FfmpegPool } from './finalize/ffmpeg-pool.js';
import { Mp3Stage } from './finalize/mp3-stage.js';
import { recoverSpool } from './finalize/spool-recovery.js';
import { Forwarder } from './finalize/forwarder.js';
import { HashPool } from './finalize/hash-pool.js';
import { RtpengineRelay } from './media/rtpengine/rtpengine-relay.js';
import { RtpengineMediaRelay } from './rtpengine-media-relay.js';
import { ResourceAlarm, PREVIOUS_RUN, capacitySeverity } from './resource-alarm.js';

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
  /** fsync + SHA-256 of finished recordings and of their stored copies, in worker threads. */
  private readonly hashPool = new HashPool();
  /** Spool-and-forward: uploads queued files to the media target, verifies, then frees the spool. */
  private readonly forwarder: Forwarder;
  /** Free space of the spool's filesystem; at critical, new sessions are refused. */
  private readonly capacity: CapacityMonitor;
  private readonly spoolDir: string;
  private readonly mp3Pool: FfmpegPool | null;
  private readonly mp3: Mp3Stage | null = null;
  private readonly startTimes = new Map<string, Date>();
  /** Calls whose media is still being ended (see close). */
  private readonly closing = new Set<Promise<void>>();
  /** RecordingResourceUnavailable: the worst of the conditions below (and disk floors); no SQL unless it changes. */
  readonly resourceAlarm: ResourceAlarm;
  /** Stream label -> participant, kept so the final stream statistics stay linked to their party. */
  private readonly streamParticipants = new Map<string, Map<string, string | null>>();
  /** rtpengine between the SRCs and the mixer (`media.relay: rtpengine`), else null. */
  private readonly relay: RtpengineMediaRelay | null;
  private rtpengine: RtpengineRelay | null = null;

  constructor(
    private readonly config: Config,
    private readonly catalog: Catalog,
    private readonly logger: Logger,
  ) {
    this.resourceAlarm = new ResourceAlarm(catalog.alarms, alarmSource.recorder(config.snmp.applianceId));
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
        this.raiseResourceAlarm('spool-write', `spool write failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
        this.server.terminate(id, 'media-failure');
      },
      // DTMF (RFC 4733) and streams without RTP, timed at their place in the recording.
      onEvent: (id, e) => this.catalog.history.addEvent(id, { kind: e.kind, at: e.at, details: e.details }),
      noRtpSeconds: config.media.noRtpSeconds,
    });
    const target = openMediaTarget(config);
    const { upload, capacity } = config.storage;
    this.forwarder = new Forwarder({
      catalog,
      target,
      spoolDir: this.spoolDir,
      logger: logger.child({ layer: 'forward' }),
      applianceId: config.snmp.applianceId,
      retryInitialMs: upload.retryInitialSeconds * 1000,
      retryMaxMs: upload.retryMaxSeconds * 1000,
      probeIntervalMs: upload.probeIntervalSeconds * 1000,
      hasher: this.hashPool,
    });
    this.capacity = new CapacityMonitor({
      path: this.spoolDir,
      limits: capacity,
      intervalMs: capacity.checkIntervalSeconds * 1000,
      logger: logger.child({ layer: 'capacity' }),
      onLevel: (level, space) => this.capacityChanged(level, space),
    });
    this.mp3Pool = this.makeMp3Pool();
    if (this.mp3Pool) {
      this.mp3 = new Mp3Stage({
        catalog,
        pool: this.mp3Pool,
        onQueued: () => this.forwarder.kick(),
        bitrateKbps: config.media.mp3.bitrateKbps,
        spoolDir: this.spoolDir,
        logger: logger.child({ layer: 'mp3' }),
        hasher: this.hashPool,
      });
    }
    this.finalizer = new Finalizer({
      catalog,
      spoolDir: this.spoolDir,
      logger: logger.child({ layer: 'finalize' }),
      mp3: this.mp3,
      onQueued: () => this.forwarder.kick(),
      hasher: this.hashPool,
    });
    this.relay = config.media.relay === 'rtpengine' ? this.makeRelay() : null;
    this.server = new SiprecServer({
      stack: this.stack,
      handler: this,
      logger: logger.child({ layer: 'siprec' }),
      isTrusted: makeAllowList(config.sip.trustedSources),
      maxSessions: config.sip.maxSessions,
      advertiseAddress: config.media.advertiseAddress,
      relay: this.relay,
    });
  }

  /** rtpengine over ng; its reachability is the MediaEngine ConnectionFailed alarm. */
  private makeRelay(): RtpengineMediaRelay {
    const { host, port } = splitHostPort(this.config.media.rtpengine.ng);
    const source = alarmSource.mediaEngine(this.config.snmp.applianceId);
    this.rtpengine = new RtpengineRelay({
      host,
      port,
      timeoutMs: this.config.media.rtpengine.timeoutMs,
      pingIntervalMs: this.config.media.rtpengine.pingSeconds * 1000,
      logger: this.logger.child({ layer: 'rtpengine' }),
      onHealth: (up, detail) => {
        if (up) {
          this.catalog.alarms.clear(ALARM_KINDS.ConnectionFailed.name, source);
          return;
        }
        this.catalog.alarms.raise({
          ...ALARM_KINDS.ConnectionFailed,
          source,
          severity: 'critical',
          text: `Connection To Media Engine rtpengine ${this.config.media.rtpengine.ng} Lost: ${detail}`,
        });
      },
    });
    return new RtpengineMediaRelay(this.rtpengine, host, this.config.media.advertiseAddress);
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
    await mkdir(this.spoolDir, { recursive: true });
    await this.capacity.start();
    // Uploads start with what the previous run queued; a target down at start only queues them.
    this.forwarder.start();
    await this.relay?.start();
    await this.stack.start();
    this.logger.info({ listen: this.stack.boundAddresses() }, 'recorder listening');
  }

  /** Graceful stop: refuse new calls, let active ones finish up to the grace period, BYE the rest. */
  async stop(): Promise<void> {
    await this.server.drain(this.config.sip.shutdownGraceSeconds * 1000);
    // The calls just ended hand their files to the finalizer once their sockets are read.
    await Promise.all(this.closing);
    // After the drain: its BYEs' deletes have been sent.
    await this.rtpengine?.stop();
    await this.finalizer.drain();
    this.capacity.stop();
    // MP3s not made yet stay in the spool's MP3 queue; the next start makes them.
    this.mp3Pool?.stop();
    await this.mp3?.drain();
    // Last: it has the spool files of the calls just finished to take on.
    await this.forwarder.stop();
    await this.hashPool.close();
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
    if (this.capacity.level === 'critical') {
      // Before the disk is full: the SBC fails over to another recorder; calls in progress go on.
      throw new SessionRefused(503, 'Service Unavailable - Storage Full');
    }
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
        retentionDays: currentRetentionDays(this.config, this.catalog.settings),
      });
      if (offer.metadata) this.catalog.history.addMetadata(created, { ...offer.metadata, at: startTime });
      this.catalog.history.addCorrelationIds(created, offer.correlation);
      return created;
    });
    this.streamParticipants.set(id, new Map(p.streams.map((a) => [a.label, a.participantId])));
    try {
      const streams = await this.media.open(id, offer.streams);
      this.startTimes.set(id, startTime);
      if (streams.some((g) => g.payloadType !== null)) {
        this.clearResourceAlarm();
      } else {
        // The SIPREC server answers 488; the NOC learns which SRC sends media we cannot record.
        const offered = [...new Set(offer.streams.flatMap((s) => s.offered.map((o) => o.encoding)))].join(', ');
        this.resourceAlarm.set('unsupported-media', 'major', `Cannot record: no supported codec from ${offer.src} (offered ${offered || 'none'})`);
      }
      this.updateCapacity();
      return { id, streams };
    } catch (err) {
      this.catalog.interactions.finish(id, { endTime: new Date(), releaseCause: 'Failure', status: 'failed', streams: [], failureReason: `Cannot record: ${(err as Error).message}` });
      if (err instanceof MediaResourceError) {
        this.raiseResourceAlarm('rtp-ports', err.message);
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
        this.raiseResourceAlarm('rtp-ports', err.message);
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
    if (change.event) {
      this.catalog.history.addEvent(id, { kind: change.event.kind, at: now, details: change.event.details ?? null });
      if (change.event.kind === 'pause' || change.event.kind === 'resume') this.media.setPaused(id, change.event.kind === 'pause');
    }
    if (change.parties) {
      const p = change.parties;
      this.catalog.interactions.updateParties(id, { callingParty: p.callingParty, calledParty: p.calledParty, participants: p.participants, direction: 'None', partyRule: p.rule });
      this.media.setChannels(id, p.streams);
      const links = this.streamParticipants.get(id);
      for (const a of p.streams) links?.set(a.label, a.participantId);
    }
  }

  close(id: string, reason: CloseReason): void {
    const endTime = new Date();
    const startTime = this.startTimes.get(id) ?? endTime;
    if (this.startTimes.delete(id)) this.updateCapacity();
    const links = this.streamParticipants.get(id);
    this.streamParticipants.delete(id);
    // The media engine reads the sockets' last datagrams before it completes the file (at most a
    // fraction of a second); stop() waits for these.
    const closing = this.media
      .close(id)
      .then((result) => this.closed(id, reason, result, startTime, endTime, links))
      .catch((err: unknown) => this.logger.error({ err, id }, 'ending the recording failed'))
      .finally(() => this.closing.delete(closing));
    this.closing.add(closing);
  }

  private async closed(id: string, reason: CloseReason, result: MediaResult | null, startTime: Date, endTime: Date, links: Map<string, string | null> | undefined): Promise<void> {
    const refused = reason === 'cancel' || reason === 'failed' || !result;
    // A call without a single RTP packet recorded nothing: its file would be pure silence.
    const noRtp = !refused && result.streams.every((s) => s.packets === 0);
    const failed = refused || noRtp;
    const failureReason = noRtp ? 'No RTP received' : reason === 'media-failure' ? 'Spool write failed' : null;
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
    // One commit: the portal never sees a finished call without its speaker timeline. The
    // timeline is a convenience; trouble storing it must not keep the recording from being stored.
    // While the portal holds the write lock the commit waits and tries again: given up, the call
    // would stay `recording` until the next start and only then be stored, as partial.
    const finish = () =>
      this.catalog.transaction(() => {
        this.catalog.interactions.finish(id, { endTime, releaseCause: RELEASE_CAUSE[reason], status: failed ? 'failed' : 'pending', streams, failureReason });
        if (!result || failed) return;
        try {
          this.catalog.speech.replace(id, result.speech);
        } catch (err) {
          if (isBusy(err)) throw err; // the whole commit is tried again
          this.logger.warn({ err, id }, 'speech segments not stored');
        }
      });
    await retryWhileBusy(finish, (attempt, err) => this.logger.warn({ id, attempt, code: (err as { code?: unknown }).code }, 'catalog busy; ending the recording again shortly'));
    if (!result) return;
    if (failed) {
      void unlink(result.spoolPath).catch(() => undefined);
      return;
    }
    void this.finalizer.finalize({ id, startTime, spoolPath: result.spoolPath, sampleRate: result.sampleRate, channels: result.channels, durationMs: result.durationMs });
  }

  private raiseResourceAlarm(condition: 'spool-write' | 'rtp-ports', why: string): void {
    this.resourceAlarm.set(condition, 'critical', `Cannot record: ${why}`);
  }

  /** A session records again: the failures that only the next recording can disprove are over. */
  private clearResourceAlarm(): void {
    for (const c of ['spool-write', 'rtp-ports', 'unsupported-media', PREVIOUS_RUN]) this.resourceAlarm.set(c, null);
  }

  /** Sessions being recorded against sip.maxSessions (80 % major, 100 % critical, clear at 60 %). */
  private updateCapacity(): void {
    const active = this.startTimes.size;
    const max = this.config.sip.maxSessions;
    const severity = capacitySeverity(active, max, this.resourceAlarm.severityOf('capacity'));
    const pct = Math.round((active * 100) / max);
    this.resourceAlarm.set('capacity', severity, `Session capacity ${pct} %: ${active} of ${max} recording sessions (sip.maxSessions) in use`);
  }

  /** The data filesystem's floors: one condition of the shared RecordingResourceUnavailable alarm. */
  private capacityChanged(level: CapacityLevel, space: FsSpace): void {
    if (level === 'ok') return this.resourceAlarm.set('disk-floor', null);
    this.resourceAlarm.set(
      'disk-floor',
      level,
      level === 'critical' ? `Data filesystem critically low: ${describeSpace(space)}; new sessions refused` : `Data filesystem low: ${describeSpace(space)}`,
    );
  }

  get activeSessions(): number {
    return this.server.activeSessions;
  }
}
