// A typed face for rtpengine's ng control protocol, over the `rtpengine-client` package (which
// has no types). Only the commands and fields sipvault uses are typed; rtpengine accepts more.
import rtpengineClient from 'rtpengine-client';

/** One call leg pair as rtpengine names it: the SIP Call-ID and the tags of both sides. */
export interface NgLeg {
  callId: string;
  fromTag: string;
  toTag?: string;
}

export interface NgOfferOptions {
  /** Protocol on the far side of the offer (the mixer): plain RTP whatever the SRC used. */
  transportProtocol?: 'RTP/AVP' | 'RTP/SAVP';
  ice?: 'remove' | 'force' | 'default';
  dtls?: 'off' | 'passive' | 'active';
  rtcpMux?: Array<'offer' | 'demux' | 'accept' | 'reject' | 'require'>;
  flags?: string[];
  replace?: string[];
  /** Codecs added to the offer (rtpengine transcodes to and from them when the answer picks one). */
  transcode?: string[];
}

/** rtpengine answered, but with `result: error` (bad SDP, unknown call...). */
export class NgRequestError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`rtpengine ${command}: ${reason}`);
  }
}

/** No answer in time: the daemon is down, overloaded or the address is wrong. */
export class NgUnreachableError extends Error {
  constructor(
    readonly command: string,
    address: string,
  ) {
    super(`rtpengine at ${address} did not answer ${command}`);
  }
}

interface NgReply {
  result: string;
  'error-reason'?: string;
  sdp?: string;
  [field: string]: unknown;
}

interface RawClient {
  on(event: 'error', listener: (err: Error) => void): void;
  ping(dest: { host: string; port: number }): Promise<NgReply>;
  offer(dest: { host: string; port: number }, params: Record<string, unknown>): Promise<NgReply>;
  answer(dest: { host: string; port: number }, params: Record<string, unknown>): Promise<NgReply>;
  delete(dest: { host: string; port: number }, params: Record<string, unknown>): Promise<NgReply>;
  query(dest: { host: string; port: number }, params: Record<string, unknown>): Promise<NgReply>;
  statistics(dest: { host: string; port: number }): Promise<NgReply>;
  close(): void;
}

const { Client } = rtpengineClient as unknown as { Client: new (opts: { timeout: number; localAddress?: string }) => RawClient };

export class NgClient {
  private readonly raw: RawClient;
  private readonly dest: { host: string; port: number };
  readonly address: string;

  constructor(opts: { host: string; port: number; timeoutMs: number; onStrayError?: (err: Error) => void }) {
    this.dest = { host: opts.host, port: opts.port };
    this.address = `${opts.host}:${opts.port}`;
    this.raw = new Client({ timeout: opts.timeoutMs });
    // Late replies to timed-out commands arrive as 'error' events; unhandled, they would end the process.
    this.raw.on('error', (err) => opts.onStrayError?.(err));
  }

  private async send(command: string, run: () => Promise<NgReply>): Promise<NgReply> {
    let reply: NgReply;
    try {
      reply = await run();
    } catch (err) {
      if (err instanceof Error && /timeout/i.test(err.message)) throw new NgUnreachableError(command, this.address);
      throw new NgRequestError(command, err instanceof Error ? err.message : String(err));
    }
    if (reply.result === 'error') throw new NgRequestError(command, reply['error-reason'] ?? 'unknown error');
    return reply;
  }

  async ping(): Promise<void> {
    const reply = await this.send('ping', () => this.raw.ping(this.dest));
    if (reply.result !== 'pong') throw new NgRequestError('ping', `unexpected result ${reply.result}`);
  }

  /** The offer as the far side sees it: addresses and ports of rtpengine, options applied. */
  async offer(leg: NgLeg, sdp: string, o: NgOfferOptions): Promise<string> {
    const params: Record<string, unknown> = { 'call-id': leg.callId, 'from-tag': leg.fromTag, sdp };
    if (o.transportProtocol) params['transport-protocol'] = o.transportProtocol;
    if (o.ice) params.ICE = o.ice;
    if (o.dtls) params.DTLS = o.dtls;
    if (o.rtcpMux) params['rtcp-mux'] = o.rtcpMux;
    if (o.flags) params.flags = o.flags;
    if (o.replace) params.replace = o.replace;
    if (o.transcode) params.codec = { transcode: o.transcode };
    return this.sdpOf('offer', await this.send('offer', () => this.raw.offer(this.dest, params)));
  }

  /** The answer as the offerer sees it (for SRTP offers: RTP/SAVP with rtpengine's own crypto key). */
  async answer(leg: NgLeg, sdp: string, o: { rtcpMux?: NgOfferOptions['rtcpMux']; flags?: string[]; replace?: string[] } = {}): Promise<string> {
    const params: Record<string, unknown> = { 'call-id': leg.callId, 'from-tag': leg.fromTag, 'to-tag': leg.toTag, sdp };
    if (o.rtcpMux) params['rtcp-mux'] = o.rtcpMux;
    if (o.flags) params.flags = o.flags;
    if (o.replace) params.replace = o.replace;
    return this.sdpOf('answer', await this.send('answer', () => this.raw.answer(this.dest, params)));
  }

  async delete(leg: NgLeg): Promise<void> {
    // No grace period (rtpengine keeps deleted calls 30 s by default): the recording is over, the ports can go.
    await this.send('delete', () => this.raw.delete(this.dest, { 'call-id': leg.callId, 'from-tag': leg.fromTag, 'delete-delay': 0 }));
  }

  /** Per-call state and counters (`totals`, per-tag `medias`), as rtpengine reports them. */
  async query(callId: string): Promise<Record<string, unknown>> {
    return this.send('query', () => this.raw.query(this.dest, { 'call-id': callId }));
  }

  close(): void {
    this.raw.close();
  }

  private sdpOf(command: string, reply: NgReply): string {
    if (typeof reply.sdp !== 'string' || reply.sdp.length === 0) throw new NgRequestError(command, 'reply without SDP');
    return reply.sdp;
  }
}
