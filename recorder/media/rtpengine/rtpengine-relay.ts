// `media.relay: rtpengine`: the SRC's media ends at Debian's rtpengine, which terminates SDES-SRTP,
// strips ICE, latches to where the media really comes from, transcodes what the mixer cannot
// decode, and sends plain RTP on to the mixer's ports. The SIP side stays ours: we hand rtpengine
// the SRC's offer, answer its rewritten offer as the mixer, and return rtpengine's answer to the SRC.
import type { Logger } from 'pino';
import { NgClient, NgUnreachableError, type NgLeg, type NgOfferOptions } from './ng-client.js';

export type { NgLeg } from './ng-client.js';

/**
 * What the offer towards the mixer looks like: plain RTP, no ICE, no DTLS, RTCP on its own port,
 * and PCMU added so that any codec rtpengine can decode reaches us as one we decode.
 */
const OFFER_OPTIONS: NgOfferOptions = {
  transportProtocol: 'RTP/AVP',
  ice: 'remove',
  dtls: 'off',
  rtcpMux: ['demux'],
  flags: ['port latching', 'media handover'],
  replace: ['origin', 'session-connection'],
  transcode: ['PCMU'],
};

export interface RtpengineRelayOptions {
  host: string;
  port: number;
  /** How long one ng command may take before rtpengine counts as unreachable. */
  timeoutMs: number;
  /** How often rtpengine is pinged while nothing else shows it is alive. */
  pingIntervalMs: number;
  logger: Logger;
  /** Called on every change of reachability (and once after the first check). */
  onHealth: (up: boolean, detail: string) => void;
}

export class RtpengineRelay {
  private readonly ng: NgClient;
  private up: boolean | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pinging = false;
  /** Commands under way, so a stop lets the last deletes reach rtpengine. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly opts: RtpengineRelayOptions) {
    this.ng = new NgClient({
      host: opts.host,
      port: opts.port,
      timeoutMs: opts.timeoutMs,
      onStrayError: (err) => opts.logger.debug({ err: err.message }, 'late or stray rtpengine reply'),
    });
  }

  get address(): string {
    return this.ng.address;
  }

  /** False while rtpengine does not answer: new sessions must be refused, not recorded as silence. */
  get available(): boolean {
    return this.up === true;
  }

  /** First health check, then one every pingIntervalMs. Never throws: a down rtpengine is an alarm, not a crash. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.opts.pingIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inflight]);
    this.ng.close();
  }

  async offer(leg: NgLeg, sdp: string): Promise<string> {
    return this.watch(() => this.ng.offer(leg, sdp, OFFER_OPTIONS));
  }

  async answer(leg: NgLeg, sdp: string): Promise<string> {
    return this.watch(() => this.ng.answer(leg, sdp, { rtcpMux: ['accept'], flags: ['port latching'], replace: ['origin', 'session-connection'] }));
  }

  async delete(leg: NgLeg): Promise<void> {
    await this.watch(() => this.ng.delete(leg));
  }

  /** rtpengine's own view of a call (counters per leg), for diagnostics and tests. */
  async query(callId: string): Promise<Record<string, unknown>> {
    return this.watch(() => this.ng.query(callId));
  }

  /** Any command that times out marks rtpengine down at once, without waiting for the next ping. */
  private async watch<T>(run: () => Promise<T>): Promise<T> {
    const pending = run();
    this.inflight.add(pending);
    try {
      const result = await pending;
      this.setUp(true, 'answering');
      return result;
    } catch (err) {
      if (err instanceof NgUnreachableError) this.setUp(false, err.message);
      throw err;
    } finally {
      this.inflight.delete(pending);
    }
  }

  private async check(): Promise<void> {
    if (this.pinging) return;
    this.pinging = true;
    try {
      await this.ng.ping();
      this.setUp(true, 'answering ping');
    } catch (err) {
      this.setUp(false, (err as Error).message);
    } finally {
      this.pinging = false;
    }
  }

  private setUp(up: boolean, detail: string): void {
    if (this.up === up) return;
    this.up = up;
    if (up) this.opts.logger.info({ rtpengine: this.address }, 'rtpengine reachable');
    else this.opts.logger.error({ rtpengine: this.address, detail }, 'rtpengine unreachable: new recording sessions are refused');
    this.opts.onHealth(up, detail);
  }
}
