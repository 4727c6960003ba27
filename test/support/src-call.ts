// A SIPREC SRC's side of one recording session, step by step: INVITE with any body, in-dialog
// UPDATE / re-INVITE / INFO, RTP tones per m-line, BYE. Tests compose the flows they need.
import { buildRequest, header, rand, SipTestClient, type SipResponseText } from './sip-client.js';
import { sendToneStreams } from './rtp-sender.js';

export interface InviteOptions {
  transport: 'udp' | 'tcp' | 'tls';
  /** PEM CA that signed the recorder's certificate (TLS). */
  ca?: string;
  host: string;
  port: number;
  /** Extra INVITE headers, e.g. 'Require: siprec', 'Session-Expires: 1800'. */
  headers?: string[];
  contentType?: string;
  body?: string;
  /** Contact header parameters; '+sip.src' by default (RFC 7866). */
  contactParams?: string;
  /** Contact URI parameters (Avaya SBCE puts +sip.src there). */
  contactUriParams?: string;
}

export class SrcCall {
  readonly callId = `${rand()}@src.test`;
  readonly fromTag = rand(4);
  readonly uri: string;
  private cseq = 1;
  toTag = '';
  final!: SipResponseText;

  private constructor(
    readonly client: SipTestClient,
    readonly opts: InviteOptions,
  ) {
    this.uri = `sip:srs@${opts.host}:${opts.port}`;
  }

  /** Sends the INVITE and waits for its final response; ACKs a 2xx. */
  static async invite(opts: InviteOptions): Promise<SrcCall> {
    const client = await SipTestClient.open(opts.transport, opts.host, opts.port, opts.ca);
    const call = new SrcCall(client, opts);
    call.final = await call.send('INVITE', { headers: [`Contact: <sip:src@127.0.0.1:${client.localPort}${opts.contactUriParams ?? ''}>${opts.contactParams ?? ';+sip.src'}`, ...(opts.headers ?? [])], contentType: opts.contentType, body: opts.body });
    if (call.final.status === 200) call.toTag = /;\s*tag=([^;\s]+)/.exec(header(call.final, 'to') ?? '')?.[1] ?? '';
    return call;
  }

  /** Sends a request in this dialog (or the initial INVITE) and waits for its final response. */
  async send(method: string, o: { headers?: string[]; contentType?: string | undefined; body?: string | undefined } = {}): Promise<SipResponseText> {
    const cseq = method === 'INVITE' && this.toTag === '' ? 1 : ++this.cseq;
    this.client.send(
      buildRequest(this.client, {
        method, uri: this.uri, callId: this.callId, fromTag: this.fromTag, cseq,
        ...(this.toTag ? { toTag: this.toTag } : {}),
        extraHeaders: o.headers ?? [],
        ...(o.contentType ? { contentType: o.contentType } : {}),
        ...(o.body !== undefined ? { body: o.body } : {}),
      }),
    );
    const res = await this.client.waitFor((r) => r.status >= 200 && header(r, 'cseq') === `${cseq} ${method}` && header(r, 'call-id') === this.callId, 5000);
    if (method === 'INVITE' && res.status >= 200) {
      this.client.send(buildRequest(this.client, { method: 'ACK', uri: this.uri, callId: this.callId, fromTag: this.fromTag, toTag: res.status === 200 ? (/;\s*tag=([^;\s]+)/.exec(header(res, 'to') ?? '')?.[1] ?? this.toTag) : this.toTag, cseq }));
    }
    return res;
  }

  /** Ports of the m-lines of the latest SDP answer, in order (0 = declined). */
  ports(answer: SipResponseText = this.final): number[] {
    return [...answer.body.matchAll(/^m=\S+ (\d+)/gm)].map((m) => Number(m[1]));
  }

  /** Real-time tones on the given m-lines (index into the answer), then returns. */
  async tones(legs: Array<{ mline: number; freq: number }>, durationMs: number, codec: 'PCMU' | 'PCMA' = 'PCMU', answer?: SipResponseText): Promise<void> {
    const ports = this.ports(answer);
    await sendToneStreams(legs.map((l) => ({ host: this.opts.host, port: ports[l.mline]!, freq: l.freq, codec })), durationMs);
  }

  async bye(o: { contentType?: string; body?: string } = {}): Promise<SipResponseText> {
    return this.send('BYE', o);
  }

  close(): void {
    this.client.close();
  }
}
