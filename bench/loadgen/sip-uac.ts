// The load generator's SIP side: many SIPREC dialogs over one UDP socket or one TCP connection,
// as an SBC keeps them. Client transactions by Call-ID and CSeq with RFC 3261 retransmission over
// UDP (INVITE until a provisional or final response, BYE until final), ACK for every final
// response to an INVITE (again for a retransmitted 200), and a 200 to any request the recorder
// sends (its BYE ends the call early: counted). Deliberately independent of the recorder's own
// SIP code.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface SipResponse {
  status: number;
  callId: string;
  cseq: number;
  method: string;
  toTag: string;
  body: string;
}

export interface UacOptions {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
  /** A transaction without a final response by then fails (RFC 3261 uses 32 s). */
  timeoutMs?: number;
}

const T1 = 500;
const T2 = 4000;
const rand = (n = 8) => randomBytes(n).toString('hex');

interface Pending {
  text: Buffer;
  invite: boolean;
  provisional: boolean;
  interval: number;
  retransmit: NodeJS.Timeout | null;
  timeout: NodeJS.Timeout;
  resolve: (r: SipResponse) => void;
  reject: (e: Error) => void;
}

function header(head: string, ...names: string[]): string {
  for (const name of names) {
    const m = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im').exec(head);
    if (m) return m[1]!.trim();
  }
  return '';
}

export class SipUac {
  private udp: UdpSocket | null = null;
  private tcp: TcpSocket | null = null;
  private tcpBuffer: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<string, Pending>();
  /** Dialogs the recorder ended with its own BYE, by Call-ID. */
  readonly recorderByes = new Set<string>();
  /** ACKs for 2xx, by Call-ID, to answer a retransmitted 200. */
  private readonly acks = new Map<string, Buffer>();
  localPort = 0;
  private readonly timeoutMs: number;

  private constructor(readonly o: UacOptions) {
    this.timeoutMs = o.timeoutMs ?? 16_000;
  }

  static async open(o: UacOptions): Promise<SipUac> {
    const uac = new SipUac(o);
    if (o.transport === 'udp') {
      const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
      s.on('message', (m) => uac.onMessage(m.toString('latin1')));
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      uac.udp = s;
      uac.localPort = s.address().port;
    } else {
      const s = connect(o.port, o.host);
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('error', reject);
      });
      s.setNoDelay(true);
      s.on('data', (d: Buffer) => uac.onTcpData(d));
      s.on('error', () => undefined);
      uac.tcp = s;
      uac.localPort = s.localPort!;
    }
    return uac;
  }

  private onTcpData(d: Buffer): void {
    this.tcpBuffer = this.tcpBuffer.length ? Buffer.concat([this.tcpBuffer, d]) : d;
    for (;;) {
      const split = this.tcpBuffer.indexOf('\r\n\r\n');
      if (split < 0) return;
      const head = this.tcpBuffer.toString('latin1', 0, split);
      const len = Number(header(head, 'content-length', 'l') || 0);
      if (this.tcpBuffer.length < split + 4 + len) return;
      this.onMessage(this.tcpBuffer.toString('latin1', 0, split + 4 + len));
      this.tcpBuffer = this.tcpBuffer.subarray(split + 4 + len);
    }
  }

  private write(b: Buffer): void {
    if (this.udp) this.udp.send(b, this.o.port, this.o.host);
    else this.tcp!.write(b);
  }

  private onMessage(text: string): void {
    const split = text.indexOf('\r\n\r\n');
    if (split < 0) return;
    const head = text.slice(0, split);
    const first = head.slice(0, head.indexOf('\r\n'));
    const callId = header(head, 'call-id', 'i');
    const cseqLine = header(head, 'cseq');
    const [cseqNum, cseqMethod] = cseqLine.split(/\s+/);
    if (!first.startsWith('SIP/2.0 ')) {
      // A request from the recorder: 200 OK, and a BYE ends the dialog from its side.
      const method = first.split(' ')[0]!;
      if (method === 'ACK') return;
      if (method === 'BYE') this.recorderByes.add(callId);
      const copy = head.split('\r\n').filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i.test(l));
      this.write(Buffer.from(['SIP/2.0 200 OK', ...copy, 'Content-Length: 0', '', ''].join('\r\n'), 'latin1'));
      return;
    }
    const status = Number(first.slice(8, 11));
    const toTag = /;\s*tag=([^;\s>]+)/i.exec(header(head, 'to', 't'))?.[1] ?? '';
    const key = `${callId} ${cseqNum}`;
    const p = this.pending.get(key);
    if (!p) {
      // A retransmitted 200 to an INVITE: our ACK was lost.
      if (status >= 200 && status < 300 && cseqMethod === 'INVITE') {
        const ack = this.acks.get(callId);
        if (ack) this.write(ack);
      }
      return;
    }
    if (status < 200) {
      if (p.invite && !p.provisional) {
        p.provisional = true;
        if (p.retransmit) clearTimeout(p.retransmit);
        p.retransmit = null;
      }
      return;
    }
    if (p.retransmit) clearTimeout(p.retransmit);
    clearTimeout(p.timeout);
    this.pending.delete(key);
    p.resolve({ status, callId, cseq: Number(cseqNum), method: cseqMethod ?? '', toTag, body: text.slice(split + 4) });
  }

  private transact(callId: string, cseq: number, text: string, invite: boolean): Promise<SipResponse> {
    const buf = Buffer.from(text, 'latin1');
    return new Promise<SipResponse>((resolve, reject) => {
      const key = `${callId} ${cseq}`;
      const p: Pending = {
        text: buf,
        invite,
        provisional: false,
        interval: T1,
        retransmit: null,
        timeout: setTimeout(() => {
          if (p.retransmit) clearTimeout(p.retransmit);
          this.pending.delete(key);
          reject(new Error(`no final response to ${invite ? 'INVITE' : 'BYE'} within ${this.timeoutMs} ms`));
        }, this.timeoutMs),
        resolve,
        reject,
      };
      const again = () => {
        this.write(p.text);
        p.interval = invite ? p.interval * 2 : Math.min(p.interval * 2, T2);
        p.retransmit = setTimeout(again, p.interval);
      };
      this.pending.set(key, p);
      this.write(buf);
      if (this.udp) p.retransmit = setTimeout(again, p.interval);
    });
  }

  private request(method: string, d: { callId: string; fromTag: string; toTag?: string; cseq: number; uri: string; branch?: string }, extra: string[], contentType?: string, body = ''): string {
    const transport = this.o.transport.toUpperCase();
    return [
      `${method} ${d.uri} SIP/2.0`,
      `Via: SIP/2.0/${transport} 127.0.0.1:${this.localPort};branch=${d.branch ?? `z9hG4bK${rand()}`};rport`,
      'Max-Forwards: 70',
      `From: "SBC" <sip:sbc@127.0.0.1:${this.localPort}>;tag=${d.fromTag}`,
      `To: <${d.uri}>${d.toTag ? `;tag=${d.toTag}` : ''}`,
      `Call-ID: ${d.callId}`,
      `CSeq: ${d.cseq} ${method}`,
      ...extra,
      ...(contentType ? [`Content-Type: ${contentType}`] : []),
      `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
      '',
      body,
    ].join('\r\n');
  }

  get uri(): string {
    return `sip:srs@${this.o.host}:${this.o.port}`;
  }

  /** INVITE with a SIPREC body; ACKs the final response. Rejects on timeout. */
  async invite(callId: string, fromTag: string, contentType: string, body: string): Promise<SipResponse> {
    // The ACK to a non-2xx final response belongs to the INVITE transaction: same branch.
    const d = { callId, fromTag, cseq: 1, uri: this.uri, branch: `z9hG4bK${rand()}` };
    const contact = `Contact: <sip:sbc@127.0.0.1:${this.localPort};transport=${this.o.transport}>;+sip.src`;
    const res = await this.transact(callId, 1, this.request('INVITE', d, [contact, 'Require: siprec', 'Supported: siprec'], contentType, body), true);
    const ack = Buffer.from(this.request('ACK', { ...d, toTag: res.toTag, ...(res.status < 300 ? { branch: `z9hG4bK${rand()}` } : {}) }, []), 'latin1');
    if (res.status < 300) this.acks.set(callId, ack);
    this.write(ack);
    return res;
  }

  async bye(callId: string, fromTag: string, toTag: string): Promise<SipResponse> {
    this.acks.delete(callId);
    return this.transact(callId, 2, this.request('BYE', { callId, fromTag, toTag, cseq: 2, uri: this.uri }, []), false);
  }

  close(): void {
    for (const p of this.pending.values()) {
      if (p.retransmit) clearTimeout(p.retransmit);
      clearTimeout(p.timeout);
      p.reject(new Error('closed'));
    }
    this.pending.clear();
    this.udp?.close();
    this.tcp?.destroy();
  }
}
