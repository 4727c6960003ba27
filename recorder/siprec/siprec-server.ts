// The recording server's transaction user: turns SIP requests into recording sessions.
// It knows SIP and SIPREC, not media or storage: those sit behind RecordingSessionHandler.
import type { Logger } from 'pino';
import { parseContentType, parseNameAddr, type ServerRequest, type SipStack } from '../sip/index.js';
import { parseOffer, OfferError } from './offer.js';
import { buildAnswer, effectiveDirection, type AnswerMedia, type RtpMap } from './sdp.js';
import { assignFromHeaders, assignFromMetadata, type PartyAssignment } from './party-assignment.js';
import { isRecordingSession, recordingSessionMarkers } from './recognise.js';
import { isWildcard, localAddressFor } from './local-address.js';

export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO';
export const ACCEPT = 'application/sdp, application/rs-metadata+xml, application/rs-metadata, multipart/mixed';
export const SUPPORTED = 'siprec, replaces';
const UNDERSTOOD_EXTENSIONS = new Set(['siprec']);

export interface SessionOffer {
  callId: string;
  sessionId: string | null;
  src: string;
  kind: 'siprec' | 'sip-fork';
  parties: PartyAssignment;
  streams: Array<{ label: string; channel: 0 | 1; offered: Array<{ payloadType: number; encoding: string; clockRate: number }> }>;
}

export interface StreamGrant {
  label: string;
  port: number;
  payloadType: number | null;
  eventPayloadType: number | null;
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

export type CloseReason = 'bye' | 'cancel' | 'ack-timeout' | 'failed' | 'shutdown';

export interface RecordingSessionHandler {
  open(offer: SessionOffer): Promise<{ id: string; streams: StreamGrant[] }>;
  close(id: string, reason: CloseReason): void;
}

interface RsSession {
  id: string;
  key: string;
  answer: string;
  sdpVersion: number;
  sdpSessionId: string;
  confirmed: boolean;
}

export interface SiprecServerOptions {
  stack: SipStack;
  handler: RecordingSessionHandler;
  logger: Logger;
  isTrusted: (address: string) => boolean;
  maxSessions: number;
  advertiseAddress: string | null;
}

export class SiprecServer {
  private readonly sessions = new Map<string, RsSession>();
  /** INVITEs being set up: counted against maxSessions so a burst cannot overshoot it. */
  private pending = 0;

  constructor(private readonly opts: SiprecServerOptions) {
    opts.stack.onRequest((req) => this.dispatch(req));
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  private dispatch(req: ServerRequest): void {
    const method = req.message.method;
    if (method === 'ACK') return this.onAck(req);
    if (!this.opts.isTrusted(req.source.address)) {
      this.opts.logger.warn({ src: req.source.address, method }, 'request from a source outside sip.trustedSources');
      return req.respond(403, { reason: 'Source Not Allowed' });
    }
    switch (method) {
      case 'INVITE':
        void this.onInvite(req).catch((err) => {
          this.opts.logger.error({ err }, 'INVITE handling failed');
          if (!req.finalSent) req.respond(500, { reason: 'Internal Error' });
        });
        return;
      case 'BYE':
        return this.onBye(req);
      case 'OPTIONS':
        return req.respond(200, { headers: [['Allow', ALLOW], ['Accept', ACCEPT], ['Supported', SUPPORTED]] });
      case 'UPDATE':
      case 'INFO':
        // Metadata-only UPDATEs are answered 200 with no body (what observed SRCs expect).
        return this.inDialog(req) ? req.respond(200) : req.respond(481, { reason: 'Call/Transaction Does Not Exist' });
      default:
        return req.respond(405, { reason: 'Method Not Allowed', headers: [['Allow', ALLOW]] });
    }
  }

  private dialogKey(req: ServerRequest, toTag: string): string {
    const from = parseNameAddr(req.message.headers.get('from') ?? '');
    return `${req.message.headers.get('call-id') ?? ''}|${from.params.get('tag') ?? ''}|${toTag}`;
  }

  private inDialog(req: ServerRequest): RsSession | undefined {
    const to = parseNameAddr(req.message.headers.get('to') ?? '');
    const tag = to.params.get('tag');
    return tag ? this.sessions.get(this.dialogKey(req, tag)) : undefined;
  }

  private async onInvite(req: ServerRequest): Promise<void> {
    const msg = req.message;
    const toTag = parseNameAddr(msg.headers.get('to') ?? '').params.get('tag');
    if (toTag) {
      const session = this.sessions.get(this.dialogKey(req, toTag));
      if (!session) return req.respond(481, { reason: 'Call/Transaction Does Not Exist' });
      // re-INVITE: media changes come with the media engine work; keep answering with our session.
      session.sdpVersion++;
      session.answer = session.answer.replace(/^o=(\S+) (\S+) (\d+)/m, `o=$1 $2 ${session.sdpVersion}`);
      return this.respondWithAnswer(req, session.answer);
    }
    const unsupported = msg.headers
      .getAll('require')
      .map((r) => r.trim().toLowerCase())
      .filter((r) => r && !UNDERSTOOD_EXTENSIONS.has(r));
    if (unsupported.length) return req.respond(420, { reason: 'Bad Extension', headers: [['Unsupported', unsupported.join(', ')]] });
    if (this.sessions.size + this.pending >= this.opts.maxSessions) {
      return req.respond(503, { reason: 'Maximum Sessions Reached', headers: [['Retry-After', '30']] });
    }

    let offer;
    try {
      offer = parseOffer(msg.headers.has('content-type') ? parseContentType(msg.headers.get('content-type')!) : null, msg.body);
    } catch (err) {
      if (err instanceof OfferError) return req.respond(err.status, { reason: err.reason });
      throw err;
    }
    if (!offer.sdp) return req.respond(488, { reason: 'Not Acceptable Here - No SDP Offer' });
    const sdp = offer.sdp;
    const markers = recordingSessionMarkers(msg.headers.getAll('require'), msg.headers.getAll('contact'), offer.multipartWithSdp);
    const siprec = isRecordingSession(markers);
    if (offer.metadataError) this.opts.logger.warn({ callId: msg.headers.get('call-id'), error: offer.metadataError }, 'metadata ignored');

    const labels = sdp.media.map((m) => m.label);
    const from = msg.headers.get('p-asserted-identity') ?? msg.headers.get('from') ?? null;
    const parties = siprec
      ? assignFromMetadata(offer.metadata, labels)
      : assignFromHeaders(from ? parseNameAddr(from).uri : null, parseNameAddr(msg.headers.get('to') ?? '').uri || null, labels);
    const audio = sdp.media
      .map((m, index) => ({ m, index }))
      .filter(({ m }) => m.media === 'audio' && m.port !== 0 && effectiveDirection(sdp, m) !== 'recvonly');
    const streams = audio.map(({ m, index }) => ({
      label: parties.streams[index]!.label,
      channel: parties.streams[index]!.channel,
      offered: m.rtpmaps.filter((r) => m.formats.includes(String(r.payloadType))).map((r) => ({ payloadType: r.payloadType, encoding: r.encoding, clockRate: r.clockRate })),
    }));
    if (streams.length === 0) return req.respond(488, { reason: 'Not Acceptable Here - No Audio Stream' });

    const callId = msg.headers.get('call-id') ?? '';
    this.pending++;
    let opened: { id: string; streams: StreamGrant[] };
    try {
      opened = await this.opts.handler.open({
        callId,
        sessionId: offer.metadata?.sessionId ?? offer.metadata?.sipSessionId ?? msg.headers.get('x-audc-call-id') ?? null,
        src: `${req.source.transport}:${req.source.address}:${req.source.port}`,
        kind: siprec ? 'siprec' : 'sip-fork',
        parties,
        streams,
      });
    } catch (err) {
      if (err instanceof SessionRefused) return req.respond(err.status, { reason: err.reason });
      throw err;
    } finally {
      this.pending--;
    }
    if (req.finalSent) {
      // CANCELled while we were binding ports: the stack already answered 487.
      this.opts.handler.close(opened.id, 'cancel');
      return;
    }
    if (!opened.streams.some((g) => g.payloadType !== null)) {
      this.opts.handler.close(opened.id, 'failed');
      return req.respond(488, { reason: 'Not Acceptable Here - No Supported Codec' });
    }

    const address = this.opts.advertiseAddress ?? (isWildcard(req.source.localAddress) ? await localAddressFor(req.source.address) : req.source.localAddress);
    const media: AnswerMedia[] = sdp.media.map((m, index) => {
      const label = parties.streams[index]!.label;
      const grant = audio.some((a) => a.index === index) ? opened.streams.find((g) => g.label === label) : undefined;
      const codec = grant?.payloadType != null ? m.rtpmaps.find((r) => r.payloadType === grant.payloadType) ?? null : null;
      const event: RtpMap | null = grant?.eventPayloadType != null ? m.rtpmaps.find((r) => r.payloadType === grant.eventPayloadType) ?? null : null;
      const offeredDirection = effectiveDirection(sdp, m);
      return {
        port: codec && grant ? grant.port : 0,
        media: m.media,
        proto: m.proto,
        codec: codec ?? m.rtpmaps[0] ?? null,
        telephoneEvent: codec ? event : null,
        label: m.label,
        direction: offeredDirection === 'inactive' ? 'inactive' : 'recvonly',
      };
    });
    const sdpSessionId = String(Date.now());
    const answer = buildAnswer({ address, sessionId: sdpSessionId, sessionVersion: 1, media });
    const session: RsSession = { id: opened.id, key: this.dialogKey(req, req.toTag), answer, sdpVersion: 1, sdpSessionId, confirmed: false };
    this.sessions.set(session.key, session);
    req.onCancel(() => this.end(session, 'cancel'));
    req.onAckTimeout(() => this.end(session, 'ack-timeout'));
    this.opts.logger.info({ callId, id: opened.id, siprec, rule: parties.rule, calling: parties.callingParty, called: parties.calledParty }, 'recording session started');
    this.respondWithAnswer(req, answer, address);
  }

  private respondWithAnswer(req: ServerRequest, answer: string, address?: string): void {
    const host = address ?? req.source.localAddress;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    req.respond(200, {
      contentType: 'application/sdp',
      body: Buffer.from(answer),
      headers: [
        ['Contact', `<sip:sipvault@${hostPart}:${req.source.localPort};transport=${req.source.transport}>;+sip.srs`],
        ['Allow', ALLOW],
        ['Supported', SUPPORTED],
      ],
    });
  }

  private onAck(req: ServerRequest): void {
    const session = this.inDialog(req);
    if (session) session.confirmed = true;
  }

  private onBye(req: ServerRequest): void {
    const session = this.inDialog(req);
    if (!session) return req.respond(481, { reason: 'Call/Transaction Does Not Exist' });
    // Never reject a BYE because of its body (partial metadata arrives here; parsed in issue 3).
    req.respond(200);
    this.end(session, 'bye');
  }

  private end(session: RsSession, reason: CloseReason): void {
    if (!this.sessions.delete(session.key)) return;
    this.opts.handler.close(session.id, reason);
  }

  /** Ends every session (shutdown): their recordings are finalised with what was received. */
  closeAll(): void {
    for (const s of [...this.sessions.values()]) this.end(s, 'shutdown');
  }
}
