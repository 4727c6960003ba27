// One recording session (RS) dialog as the SIPREC layer keeps it: the dialog identifiers a BYE
// of ours needs (RFC 3261 §12.1.1), the merged metadata, and what we answered for each m-line.
import type { SipSource } from '../sip/index.js';
import type { RecordingMetadata } from './metadata.js';
import type { RtpMap } from './sdp.js';
import type { StreamGrant } from './siprec-server.js';
import type { RelayLeg } from './media-relay.js';

export interface AnsweredLine {
  label: string;
  media: string;
  proto: string;
  grant: StreamGrant | null;
  codec: RtpMap | null;
  telephoneEvent: RtpMap | null;
}

export interface DialogIds {
  callId: string;
  /** Our tag (the To tag of our responses). */
  localTag: string;
  remoteTag: string;
  /** The INVITE's To and From values without tags: our From and To when we send a BYE. */
  localUri: string;
  remoteUri: string;
  /** The SRC's Contact URI: where in-dialog requests of ours go. */
  remoteTarget: string;
  /** Record-Route values of the INVITE, in order (the UAS route set). */
  routeSet: string[];
  flow: SipSource;
}

export class RecordingSession {
  remoteCseq: number;
  localCseq = 0;
  metadata: RecordingMetadata | null;
  lines: AnsweredLine[];
  sdpVersion = 1;
  paused = false;
  /** An offer/answer exchange is under way (a re-INVITE or UPDATE being answered). */
  offerPending = false;
  confirmed = false;
  timerSeconds: number | null = null;
  /** Set when media goes through a relay: how it names this session, and the last answer it gave the SRC. */
  relayLeg: RelayLeg | null = null;
  relayAnswer: string | null = null;
  private expiry: NodeJS.Timeout | null = null;

  constructor(
    readonly id: string,
    readonly key: string,
    readonly dialog: DialogIds,
    readonly address: string,
    readonly sdpSessionId: string,
    init: { remoteCseq: number; metadata: RecordingMetadata | null; lines: AnsweredLine[] },
  ) {
    this.remoteCseq = init.remoteCseq;
    this.metadata = init.metadata;
    this.lines = init.lines;
  }

  /** (Re)arms the session-timer expiry; `onExpire` runs if no refresh comes in time. */
  armTimer(seconds: number | null, ms: number, onExpire: () => void): void {
    this.clearTimer();
    this.timerSeconds = seconds;
    if (seconds === null) return;
    this.expiry = setTimeout(onExpire, ms);
    this.expiry.unref();
  }

  clearTimer(): void {
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = null;
  }

  /** Headers of a BYE of ours inside this dialog. */
  byeHeaders(): Array<[string, string]> {
    const d = this.dialog;
    this.localCseq++;
    return [
      ['From', `${d.localUri};tag=${d.localTag}`],
      ['To', `${d.remoteUri};tag=${d.remoteTag}`],
      ['Call-ID', d.callId],
      ['CSeq', `${this.localCseq} BYE`],
      ...d.routeSet.map((r): [string, string] => ['Route', r]),
    ];
  }
}
