// The recording server's transaction user: turns SIP requests into recording sessions and keeps
// them going through re-INVITEs, UPDATEs, pauses and refreshes until BYE. It knows SIP and SIPREC,
// not media or storage: those sit behind RecordingSessionHandler.
import type { Logger } from 'pino';
import { parseContentType, parseNameAddr, tryParseNameAddr, type ServerRequest, type SipStack } from '../sip/index.js';
import { WarnLimiter } from '../sip/warn-limiter.js';
import { parseOffer, OfferError, type ParsedOffer } from './offer.js';
import { buildAnswer, effectiveDirection, isPaused, parseSdp, type AnswerMedia, type SessionDescription } from './sdp.js';
import type { MediaRelay, RelayLeg } from './media-relay.js';
import { assignFromHeaders, assignFromMetadata, type HeaderParty, type MlineInfo, type PartyAssignment } from './party-assignment.js';
import { isRecordingSession, recordingSessionMarkers } from './recognise.js';
import { isWildcard, localAddressFor } from './local-address.js';
import { mergeMetadata } from './metadata-merge.js';
import { RecordingSession, type AnsweredLine } from './recording-session.js';
import { expiryMs, negotiateSessionTimer, MIN_SE } from './session-timer.js';

export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO';
export const ACCEPT = 'application/sdp, application/rs-metadata+xml, application/rs-metadata, multipart/mixed';
export const SUPPORTED = 'siprec, timer, replaces';
const UNDERSTOOD_EXTENSIONS = new Set(['siprec', 'timer']);

export interface StreamRequest {
  label: string;
  channel: 0 | 1;
  mixed: boolean;
  offered: Array<{ payloadType: number; encoding: string; clockRate: number }>;
}

export interface StreamGrant {
  label: string;
  port: number;
  payloadType: number | null;
  eventPayloadType: number | null;
}

/** A version of the raw metadata, as it arrived. */
export interface MetadataReceipt {
  method: string;
  xml: string;
  dataMode: string | null;
}

export interface SessionOffer {
  callId: string;
  sessionId: string | null;
  src: string;
  kind: 'siprec' | 'sip-fork';
  parties: PartyAssignment;
  streams: StreamRequest[];
  metadata: MetadataReceipt | null;
  correlation: Record<string, string>;
}

export interface SessionChange {
  /** Parties and channels re-decided after a metadata update. */
  parties?: PartyAssignment;
  metadata?: MetadataReceipt;
  correlation?: Record<string, string>;
  event?: { kind: string; details?: Record<string, unknown> };
}

/** Thrown by the handler when it cannot take a session; becomes the SIP response. */
export class SessionRefused extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`${status} ${reason}`);
  }
}

export type CloseReason = 'bye' | 'cancel' | 'ack-timeout' | 'failed' | 'shutdown' | 'session-expired' | 'media-failure';

export interface RecordingSessionHandler {
  open(offer: SessionOffer): Promise<{ id: string; streams: StreamGrant[] }>;
  addStreams(id: string, streams: StreamRequest[]): Promise<StreamGrant[]>;
  update(id: string, change: SessionChange): void;
  close(id: string, reason: CloseReason): void;
}

export interface SiprecServerOptions {
  stack: SipStack;
  handler: RecordingSessionHandler;
  logger: Logger;
  isTrusted: (address: string) => boolean;
  maxSessions: number;
  advertiseAddress: string | null;
  /** When media goes through a relay (rtpengine), every offer and answer passes through it. */
  relay?: MediaRelay | null;
}

/** SIP headers some SRCs use to carry a call's id outside the metadata. */
const CORRELATION_HEADERS = ['x-audc-call-id', 'x-genesys-calluuid', 'x-ucid', 'x-cisco-gcid'];

function headerParty(value: string | undefined): HeaderParty {
  const na = value ? tryParseNameAddr(value) : null;
  return { uri: na?.uri || null, name: na?.displayName ?? null };
}

/** RFC 4028 §6: a refresh with too small an interval gets 422 with our Min-SE. */
function answeredTooSmall(req: ServerRequest, err: unknown): boolean {
  if (!(err instanceof OfferError) || err.status !== 422) return false;
  req.respond(422, { reason: err.reason, headers: [['Min-SE', String(MIN_SE)]] });
  return true;
}

function mlineInfo(sdp: SessionDescription): MlineInfo[] {
  return sdp.media.map((m) => ({ label: m.label, audio: m.media === 'audio' && m.port !== 0 }));
}

/** The value of a From/To header without its tag parameter. */
function withoutTag(value: string): string {
  return value.replace(/;\s*tag=[^;]*/i, '');
}

export class SiprecServer {
  private readonly sessions = new Map<string, RecordingSession>();
  /** INVITEs being set up: counted against maxSessions so a burst cannot overshoot it. */
  private pending = 0;
  private draining = false;
  private readonly peerWarnings: WarnLimiter;

  constructor(private readonly opts: SiprecServerOptions) {
    this.peerWarnings = new WarnLimiter(opts.logger);
    opts.stack.onRequest((req) => this.dispatch(req));
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  private dispatch(req: ServerRequest): void {
    const method = req.message.method;
    if (method === 'ACK') return this.onAck(req);
    if (!this.opts.isTrusted(req.source.address)) {
      this.peerWarnings.warn({ src: req.source.address, method }, 'request from a source outside sip.trustedSources refused');
      return req.respond(403, { reason: 'Forbidden - Source Not In sip.trustedSources' });
    }
    if (method === 'OPTIONS') {
      return req.respond(200, { headers: [['Allow', ALLOW], ['Accept', ACCEPT], ['Supported', SUPPORTED]] });
    }
    const toTag = tryParseNameAddr(req.message.headers.get('to') ?? '')?.params.get('tag');
    if (!toTag) {
      if (method === 'INVITE') return this.run(req, () => this.onInitialInvite(req));
      if (method === 'BYE' || method === 'UPDATE' || method === 'INFO') return req.respond(481, { reason: 'Call/Transaction Does Not Exist' });
      return req.respond(405, { reason: 'Method Not Allowed', headers: [['Allow', ALLOW]] });
    }
    const session = this.sessions.get(this.dialogKey(req, toTag));
    if (!session) return req.respond(481, { reason: 'Call/Transaction Does Not Exist' });
    // §12.2.2: a request older than the last one seen in this dialog is out of order.
    const cseq = Number((req.message.headers.get('cseq') ?? '').trim().split(/\s+/)[0]);
    if (cseq <= session.remoteCseq) return req.respond(500, { reason: 'Server Internal Error - CSeq Out Of Order' });
    session.remoteCseq = cseq;
    switch (method) {
      case 'INVITE':
        return this.run(req, () => this.onReInvite(req, session));
      case 'UPDATE':
        return this.run(req, () => this.onUpdate(req, session));
      case 'BYE':
        return this.onBye(req, session);
      case 'INFO':
        return req.respond(200);
      default:
        return req.respond(405, { reason: 'Method Not Allowed', headers: [['Allow', ALLOW]] });
    }
  }

  /** Runs an async request handler; any unexpected failure becomes a 500, never a silent hang. */
  private run(req: ServerRequest, work: () => Promise<void>): void {
    work().catch((err: unknown) => {
      if (err instanceof OfferError || err instanceof SessionRefused) {
        if (!req.finalSent) req.respond(err.status, { reason: err.reason, headers: err.status === 503 ? [['Retry-After', '30']] : [] });
        return;
      }
      this.opts.logger.error({ err, method: req.message.method, callId: req.message.headers.get('call-id') }, 'request handling failed');
      if (!req.finalSent) req.respond(500, { reason: 'Server Internal Error' });
    });
  }

  private dialogKey(req: ServerRequest, toTag: string): string {
    const from = parseNameAddr(req.message.headers.get('from') ?? '');
    return `${req.message.headers.get('call-id') ?? ''}|${from.params.get('tag') ?? ''}|${toTag}`;
  }

  private parseBody(req: ServerRequest): ParsedOffer {
    const msg = req.message;
    const ct = msg.headers.get('content-type');
    return parseOffer(ct ? parseContentType(ct) : null, msg.body);
  }

  private correlationFrom(req: ServerRequest, offer: ParsedOffer): Record<string, string> {
    const ids: Record<string, string> = { ...(offer.metadata?.correlation ?? {}) };
    if (offer.metadata?.sessionId) ids.session = offer.metadata.sessionId;
    for (const h of CORRELATION_HEADERS) {
      const v = req.message.headers.get(h);
      if (v) ids[h] = v.trim();
    }
    return ids;
  }

  private async onInitialInvite(req: ServerRequest): Promise<void> {
    const msg = req.message;
    if (this.draining) return req.respond(503, { reason: 'Service Unavailable - Shutting Down', headers: [['Retry-After', '30']] });
    const unsupported = msg.headers
      .getAll('require')
      .map((r) => r.trim().toLowerCase())
      .filter((r) => r && !UNDERSTOOD_EXTENSIONS.has(r));
    if (unsupported.length) return req.respond(420, { reason: 'Bad Extension', headers: [['Unsupported', unsupported.join(', ')]] });
    if (this.sessions.size + this.pending >= this.opts.maxSessions) {
      return req.respond(503, { reason: 'Service Unavailable - Maximum Sessions Reached', headers: [['Retry-After', '30']] });
    }
    const relay = this.opts.relay ?? null;
    if (relay && !relay.available) {
      return req.respond(503, { reason: 'Service Unavailable - Media Relay Unreachable', headers: [['Retry-After', '30']] });
    }
    const timer = negotiateSessionTimer(msg.headers.get('session-expires'), msg.headers.get('min-se'), msg.headers.getAll('supported'));
    if (timer.tooSmall) return req.respond(422, { reason: 'Session Interval Too Small', headers: timer.headers });

    const offer = this.parseBody(req);
    if (!offer.sdp) return req.respond(488, { reason: 'Not Acceptable Here - No SDP Offer' });
    const sdp = offer.sdp;
    const markers = recordingSessionMarkers(msg.headers.getAll('require'), msg.headers.getAll('contact'), offer.multipartWithSdp);
    const siprec = isRecordingSession(markers);
    if (offer.metadataError) this.peerWarnings.warn({ callId: msg.headers.get('call-id'), error: offer.metadataError }, 'metadata ignored');

    const mlines = mlineInfo(sdp);
    const parties = siprec
      ? assignFromMetadata(offer.metadata, mlines)
      : assignFromHeaders(
          headerParty(msg.headers.get('p-asserted-identity') ?? msg.headers.get('from')),
          headerParty(msg.headers.get('to')),
          mlines,
          msg.headers.getAll('x-cisco-recording-participant').map(headerParty),
        );
    if (this.streamRequests(sdp, parties, new Set()).length === 0) return req.respond(488, { reason: 'Not Acceptable Here - No Audio Stream' });

    const callId = msg.headers.get('call-id') ?? '';
    const correlation = this.correlationFrom(req, offer);
    const leg: RelayLeg | null = relay ? { callId, fromTag: parseNameAddr(msg.headers.get('from') ?? '').params.get('tag') ?? '', toTag: req.toTag } : null;
    this.pending++;
    let opened: { id: string; streams: StreamGrant[] };
    // What the mixer answers: the SRC's offer itself, or the relay's rewrite of it.
    let mixerSdp = sdp;
    try {
      if (relay && leg) mixerSdp = parseSdp(await relay.offer(leg, offer.sdpText!));
      const requests = this.streamRequests(mixerSdp, parties, new Set());
      opened = await this.opts.handler.open({
        callId,
        sessionId: offer.metadata?.sessionId ?? offer.metadata?.sipSessionId ?? msg.headers.get('x-audc-call-id') ?? null,
        src: `${req.source.transport}:${req.source.address}:${req.source.port}`,
        kind: siprec ? 'siprec' : 'sip-fork',
        parties,
        streams: requests.map((r) => r.request),
        metadata: offer.metadataXml ? { method: 'INVITE', xml: offer.metadataXml, dataMode: offer.metadata?.dataMode ?? null } : null,
        correlation,
      });
    } catch (err) {
      if (leg) this.releaseRelay(leg);
      if (err instanceof SessionRefused) return req.respond(err.status, { reason: err.reason, headers: err.status === 503 ? [['Retry-After', '30']] : [] });
      throw err;
    } finally {
      this.pending--;
    }
    if (req.finalSent) {
      // CANCELled while we were binding ports: the stack already answered 487.
      if (leg) this.releaseRelay(leg);
      this.opts.handler.close(opened.id, 'cancel');
      return;
    }
    if (!opened.streams.some((g) => g.payloadType !== null)) {
      if (leg) this.releaseRelay(leg);
      this.opts.handler.close(opened.id, 'failed');
      return req.respond(488, { reason: 'Not Acceptable Here - No Supported Codec' });
    }

    const address =
      relay?.mixerAddress ?? this.opts.advertiseAddress ?? (isWildcard(req.source.localAddress) ? await localAddressFor(req.source.address) : req.source.localAddress);
    const lines = this.answerLines(mixerSdp, parties, [], opened.streams);
    const session = new RecordingSession(
      opened.id,
      this.dialogKey(req, req.toTag),
      {
        callId,
        localTag: req.toTag,
        remoteTag: parseNameAddr(msg.headers.get('from') ?? '').params.get('tag') ?? '',
        localUri: withoutTag(msg.headers.get('to') ?? ''),
        remoteUri: withoutTag(msg.headers.get('from') ?? ''),
        // The Contact is where in-dialog requests go (§12.1.1); without one, the SRC's From URI.
        remoteTarget: tryParseNameAddr(msg.headers.getAll('contact')[0] ?? '')?.uri || parseNameAddr(msg.headers.get('from') ?? '').uri || msg.uri,
        routeSet: msg.headers.getAll('record-route'),
        flow: req.source,
      },
      address,
      String(Date.now()),
      { remoteCseq: Number((msg.headers.get('cseq') ?? '0').trim().split(/\s+/)[0]), metadata: offer.metadata, lines },
    );
    session.paused = isPaused(sdp);
    session.relayLeg = leg;
    this.sessions.set(session.key, session);
    req.onCancel(() => this.end(session, 'cancel'));
    req.onAckTimeout(() => this.end(session, 'ack-timeout'));
    this.armTimer(session, timer.interval);
    if (session.paused) this.opts.handler.update(session.id, { event: { kind: 'pause', details: { method: 'INVITE' } } });
    this.opts.logger.info(
      { callId, id: opened.id, siprec, rule: parties.rule, calling: parties.callingParty, called: parties.calledParty },
      'recording session started',
    );
    try {
      await this.respondWithAnswer(req, session, mixerSdp, timer.headers);
    } catch (err) {
      // The relay could not turn our answer into one for the SRC: no media would flow, so no session.
      this.end(session, 'failed');
      throw err;
    }
  }

  /** One request per live audio m-line that is not answered already (by label). */
  private streamRequests(sdp: SessionDescription, parties: PartyAssignment, answered: Set<string>): Array<{ index: number; request: StreamRequest }> {
    const out: Array<{ index: number; request: StreamRequest }> = [];
    sdp.media.forEach((m, index) => {
      if (m.media !== 'audio' || m.port === 0 || effectiveDirection(sdp, m) === 'recvonly') return;
      const a = parties.streams[index]!;
      if (answered.has(a.label)) return;
      out.push({
        index,
        request: {
          label: a.label,
          channel: a.channel,
          mixed: a.mixed,
          offered: m.rtpmaps.filter((r) => m.formats.includes(String(r.payloadType))).map((r) => ({ payloadType: r.payloadType, encoding: r.encoding, clockRate: r.clockRate })),
        },
      });
    });
    return out;
  }

  /** What we answer per m-line: existing streams keep their port and codec, new ones use their grant. */
  private answerLines(sdp: SessionDescription, parties: PartyAssignment, previous: AnsweredLine[], grants: StreamGrant[]): AnsweredLine[] {
    return sdp.media.map((m, index) => {
      const label = parties.streams[index]!.label;
      const live = m.media === 'audio' && m.port !== 0;
      const prior = live ? previous.find((l) => l.label === label && l.grant) : undefined;
      if (prior) return { ...prior, media: m.media, proto: m.proto };
      const grant = live ? grants.find((g) => g.label === label) : undefined;
      const codec = grant?.payloadType != null ? (m.rtpmaps.find((r) => r.payloadType === grant.payloadType) ?? null) : null;
      const event = grant?.eventPayloadType != null ? (m.rtpmaps.find((r) => r.payloadType === grant.eventPayloadType) ?? null) : null;
      return { label, media: m.media, proto: m.proto, grant: codec ? grant! : null, codec, telephoneEvent: codec ? event : null };
    });
  }

  private answerSdp(session: RecordingSession, sdp: SessionDescription): string {
    const media: AnswerMedia[] = sdp.media.map((m, index) => {
      const line = session.lines[index];
      const live = line?.grant && line.codec;
      return {
        port: live ? line.grant!.port : 0,
        media: m.media,
        proto: m.proto,
        codec: live ? line.codec : (m.rtpmaps[0] ?? null),
        telephoneEvent: live ? line.telephoneEvent : null,
        label: m.label,
        direction: effectiveDirection(sdp, m) === 'inactive' ? 'inactive' : 'recvonly',
      };
    });
    return buildAnswer({ address: session.address, sessionId: session.sdpSessionId, sessionVersion: session.sdpVersion, media });
  }

  /**
   * 200 OK, with our answer to `sdp` when there is one. Through a relay, the SRC gets the relay's
   * answer instead (its addresses, its SRTP keys); it is kept for a later offerless re-INVITE.
   */
  private async respondWithAnswer(req: ServerRequest, session: RecordingSession, sdp: SessionDescription | null, extra: Array<[string, string]>): Promise<void> {
    const headers = this.answerHeaders(req, session, extra);
    if (!sdp) return req.respond(200, { headers });
    let body = this.answerSdp(session, sdp);
    if (session.relayLeg && this.opts.relay) {
      body = await this.opts.relay.answer(session.relayLeg, body);
      session.relayAnswer = body;
      if (req.finalSent) return;
    }
    req.respond(200, { contentType: 'application/sdp', body: Buffer.from(body), headers });
  }

  private answerHeaders(req: ServerRequest, session: RecordingSession, extra: Array<[string, string]>): Array<[string, string]> {
    const host = req.source.localAddress && !isWildcard(req.source.localAddress) ? req.source.localAddress : session.address;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const headers: Array<[string, string]> = [
      ['Contact', `<sip:sipvault@${hostPart}:${req.source.localPort};transport=${req.source.transport}>;+sip.srs`],
      ['Allow', ALLOW],
      ['Supported', SUPPORTED],
      ...extra,
    ];
    return headers;
  }

  /**
   * SDP and/or metadata inside the dialog (re-INVITE or UPDATE): merge metadata, add new streams,
   * note pause/resume, then answer in the same shape (SDP when SDP was offered).
   */
  /** A metadata update in any request: merged, kept verbatim, parties re-decided, departures noted. */
  private noteMetadata(req: ServerRequest, session: RecordingSession, offer: ParsedOffer): void {
    const method = req.message.method;
    if (!offer.metadata) {
      if (offer.metadataError) this.peerWarnings.warn({ callId: session.dialog.callId, error: offer.metadataError }, `metadata in ${method} ignored`);
      return;
    }
    session.metadata = mergeMetadata(session.metadata, offer.metadata);
    const mlines = offer.sdp ? mlineInfo(offer.sdp) : session.lines.map((l) => ({ label: l.label, audio: !!l.grant }));
    const change: SessionChange = {
      correlation: this.correlationFrom(req, offer),
      event: { kind: 'metadata', details: { method, dataMode: offer.metadata.dataMode } },
      parties: assignFromMetadata(session.metadata, mlines),
    };
    if (offer.metadataXml) change.metadata = { method, xml: offer.metadataXml, dataMode: offer.metadata.dataMode };
    this.opts.handler.update(session.id, change);
    for (const departed of offer.metadata.departed) {
      this.opts.handler.update(session.id, { event: { kind: 'participant-left', details: { participantId: departed } } });
    }
  }

  /** Applies an in-dialog offer; returns the SDP our answer answers (the relay's rewrite, with a relay). */
  private async applyInDialog(req: ServerRequest, session: RecordingSession, offer: ParsedOffer): Promise<SessionDescription | null> {
    const method = req.message.method;
    this.noteMetadata(req, session, offer);
    const original = offer.sdp;
    if (!original) return null;
    const relay = this.opts.relay;
    const sdp = relay && session.relayLeg ? parseSdp(await relay.offer(session.relayLeg, offer.sdpText!)) : original;
    const parties = session.metadata ? assignFromMetadata(session.metadata, mlineInfo(sdp)) : assignFromMetadata(null, mlineInfo(sdp));
    const answered = new Set(session.lines.filter((l) => l.grant).map((l) => l.label));
    const fresh = this.streamRequests(sdp, parties, answered);
    const grants = fresh.length ? await this.opts.handler.addStreams(session.id, fresh.map((f) => f.request)) : [];
    session.lines = this.answerLines(sdp, parties, session.lines, grants);
    session.sdpVersion++;
    if (fresh.length) this.opts.handler.update(session.id, { event: { kind: 'media-change', details: { method, added: fresh.map((f) => f.request.label) } } });
    const paused = isPaused(original);
    if (paused !== session.paused) {
      session.paused = paused;
      this.opts.handler.update(session.id, { event: { kind: paused ? 'pause' : 'resume', details: { method } } });
    }
    return sdp;
  }

  private refreshTimer(req: ServerRequest, session: RecordingSession): Array<[string, string]> {
    const msg = req.message;
    if (!msg.headers.has('session-expires')) {
      // A refresh without Session-Expires keeps the negotiated interval (§9).
      if (session.timerSeconds !== null) this.armTimer(session, session.timerSeconds);
      return session.timerSeconds !== null ? [['Session-Expires', `${session.timerSeconds};refresher=uac`], ['Require', 'timer']] : [];
    }
    const timer = negotiateSessionTimer(msg.headers.get('session-expires'), msg.headers.get('min-se'), msg.headers.getAll('supported'));
    if (timer.tooSmall) throw new OfferError(422, 'Session Interval Too Small');
    this.armTimer(session, timer.interval);
    if (timer.interval !== null) this.opts.handler.update(session.id, { event: { kind: 'refresh', details: { interval: timer.interval } } });
    return timer.headers;
  }

  private async onReInvite(req: ServerRequest, session: RecordingSession): Promise<void> {
    // §14.2: a second INVITE while the first is unanswered gets 500 with Retry-After.
    if (session.offerPending) return req.respond(500, { reason: 'Server Internal Error - Previous INVITE Pending', headers: [['Retry-After', String(1 + Math.floor(Math.random() * 9))]] });
    session.offerPending = true;
    try {
      const offer = this.parseBody(req);
      const timerHeaders = this.refreshTimer(req, session);
      const answering = await this.applyInDialog(req, session, offer);
      if (req.finalSent) return;
      if (!answering && session.relayAnswer) {
        // Delayed offer through a relay: the SDP the SRC last got from us is our offer now.
        return req.respond(200, { contentType: 'application/sdp', body: Buffer.from(session.relayAnswer), headers: this.answerHeaders(req, session, timerHeaders) });
      }
      // Without an SDP offer the re-INVITE asks for ours (delayed offer): send the current one.
      await this.respondWithAnswer(req, session, answering ?? this.currentOffer(session), timerHeaders);
    } catch (err) {
      if (!answeredTooSmall(req, err)) throw err;
    } finally {
      session.offerPending = false;
    }
  }

  private async onUpdate(req: ServerRequest, session: RecordingSession): Promise<void> {
    const offer = this.parseBody(req);
    // RFC 3311 §5.2: an UPDATE offer while another offer is outstanding gets 491.
    if (offer.sdp && session.offerPending) return req.respond(491, { reason: 'Request Pending', headers: [['Retry-After', String(1 + Math.floor(Math.random() * 4))]] });
    if (offer.sdp) session.offerPending = true;
    try {
      const timerHeaders = this.refreshTimer(req, session);
      const answering = await this.applyInDialog(req, session, offer);
      // A metadata-only UPDATE is answered 200 with no body (what observed SRCs expect).
      await this.respondWithAnswer(req, session, answering, timerHeaders);
    } catch (err) {
      if (!answeredTooSmall(req, err)) throw err;
    } finally {
      if (offer.sdp) session.offerPending = false;
    }
  }

  /** A minimal stand-in for the SRC's last offer: the m-lines we answered, for a delayed-offer re-INVITE. */
  private currentOffer(session: RecordingSession): SessionDescription {
    return {
      origin: null,
      connection: null,
      direction: session.paused ? 'inactive' : null,
      media: session.lines.map((l) => ({
        media: l.media,
        port: l.grant ? l.grant.port : 0,
        proto: l.proto,
        formats: l.codec ? [String(l.codec.payloadType)] : [],
        connection: null,
        label: l.label,
        direction: null,
        rtpmaps: l.codec ? [l.codec] : [],
        attributes: [],
      })),
    };
  }

  private onAck(req: ServerRequest): void {
    const tag = tryParseNameAddr(req.message.headers.get('to') ?? '')?.params.get('tag');
    const session = tag ? this.sessions.get(this.dialogKey(req, tag)) : undefined;
    if (session) session.confirmed = true;
  }

  private onBye(req: ServerRequest, session: RecordingSession): void {
    // Never reject a BYE because of its body; partial metadata in it is kept before teardown.
    try {
      this.noteMetadata(req, session, this.parseBody(req));
    } catch (err) {
      this.peerWarnings.warn({ callId: session.dialog.callId, error: (err as Error).message }, 'BYE body ignored');
    }
    req.respond(200);
    this.end(session, 'bye');
  }

  private armTimer(session: RecordingSession, seconds: number | null): void {
    session.armTimer(seconds, seconds === null ? 0 : expiryMs(seconds), () => {
      this.opts.logger.warn({ callId: session.dialog.callId, id: session.id, interval: seconds }, 'session not refreshed in time (RFC 4028): ending it');
      void this.sendBye(session).finally(() => this.end(session, 'session-expired'));
    });
  }

  /** A BYE of ours inside the dialog; failures are logged, the session ends either way. */
  private async sendBye(session: RecordingSession): Promise<void> {
    const f = session.dialog.flow;
    try {
      const res = await this.opts.stack.request({
        method: 'BYE',
        uri: session.dialog.remoteTarget,
        destination: { transport: f.transport, address: f.address, port: f.port },
        headers: session.byeHeaders(),
      });
      this.opts.logger.info({ callId: session.dialog.callId, status: res.status }, 'BYE sent');
    } catch (err) {
      this.opts.logger.warn({ callId: session.dialog.callId, err: (err as Error).message }, 'BYE got no answer');
    }
  }

  private end(session: RecordingSession, reason: CloseReason): void {
    if (!this.sessions.delete(session.key)) return;
    session.clearTimer();
    if (session.relayLeg) this.releaseRelay(session.relayLeg);
    this.opts.handler.close(session.id, reason);
  }

  /** The relay frees the session's ports; a failure is only logged (the relay times idle calls out). */
  private releaseRelay(leg: RelayLeg): void {
    this.opts.relay?.delete(leg).catch((err: unknown) => this.opts.logger.warn({ callId: leg.callId, err: (err as Error).message }, 'media relay delete failed'));
  }

  /**
   * Ends a session from our side (resource trouble): a BYE to the SRC, so the SBC knows this
   * recording stopped (and can alarm or re-route), then the handler's close with `reason`.
   */
  terminate(id: string, reason: CloseReason): void {
    const session = [...this.sessions.values()].find((s) => s.id === id);
    if (!session) return;
    void this.sendBye(session).finally(() => this.end(session, reason));
  }

  /**
   * Graceful shutdown: new INVITEs get 503 (the SBC fails over), calls in progress may finish for
   * up to `graceMs`, then the rest get a BYE from us and are finalised with what was recorded.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const until = Date.now() + graceMs;
    while (this.sessions.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const rest = [...this.sessions.values()];
    if (rest.length) this.opts.logger.info({ sessions: rest.length }, 'ending recording sessions still active at shutdown');
    await Promise.all(
      rest.map((s) => Promise.race([this.sendBye(s), new Promise((r) => setTimeout(r, 2000))]).finally(() => this.end(s, 'shutdown'))),
    );
  }
}
