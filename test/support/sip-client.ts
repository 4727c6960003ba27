// A deliberately independent, minimal SIP client for tests: it builds requests as text and reads
// responses with its own small parser, so the recorder's parser is checked, not trusted.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';

export interface SipResponseText {
  status: number;
  reason: string;
  headers: Map<string, string[]>;
  body: string;
  raw: string;
}

export const rand = (n = 8) => randomBytes(n).toString('hex');

export function header(res: SipResponseText, name: string): string | undefined {
  return res.headers.get(name.toLowerCase())?.[0];
}

/** Start line and lower-cased headers of a message's header block, or null without one. */
function parseHead(text: string): { start: string; headers: Map<string, string[]>; body: string } | null {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) return null;
  const lines = text.slice(0, split).split('\r\n');
  const headers = new Map<string, string[]>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i < 0) continue;
    const k = l.slice(0, i).trim().toLowerCase();
    headers.set(k, [...(headers.get(k) ?? []), l.slice(i + 1).trim()]);
  }
  return { start: lines[0]!, headers, body: text.slice(split + 4) };
}

function parseResponse(text: string): SipResponseText | null {
  const head = parseHead(text);
  const m = head && /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(head.start);
  if (!head || !m) return null;
  return { status: Number(m[1]), reason: m[2]!, headers: head.headers, body: head.body, raw: text };
}

export interface SipRequestText {
  method: string;
  uri: string;
  headers: Map<string, string[]>;
  body: string;
}

function parseRequest(text: string): SipRequestText | null {
  const head = parseHead(text);
  const m = head && /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(head.start);
  if (!head || !m) return null;
  return { method: m[1]!, uri: m[2]!, headers: head.headers, body: head.body };
}

export class SipTestClient {
  readonly received: SipResponseText[] = [];
  /** Requests the far end sent us (a BYE of the recorder's); each is answered 200 OK. */
  readonly requests: SipRequestText[] = [];
  private waiters: Array<{ match: (r: SipResponseText) => boolean; resolve: (r: SipResponseText) => void }> = [];
  private udp: UdpSocket | null = null;
  private tcp: TcpSocket | null = null;
  private tcpBuffer = '';
  localPort = 0;

  private constructor(
    readonly transport: 'udp' | 'tcp' | 'tls',
    readonly host: string,
    readonly port: number,
  ) {}

  /** `ca`: the PEM CA that signed the recorder's certificate (TLS only). */
  static async open(transport: 'udp' | 'tcp' | 'tls', host: string, port: number, ca?: string): Promise<SipTestClient> {
    const c = new SipTestClient(transport, host, port);
    if (transport === 'udp') {
      c.udp = createSocket('udp4');
      c.udp.on('message', (m) => c.onText(m.toString('latin1')));
      await new Promise<void>((r) => c.udp!.bind(0, '127.0.0.1', () => r()));
      c.localPort = c.udp.address().port;
    } else {
      c.tcp = transport === 'tls' ? tlsConnect({ host, port, ...(ca ? { ca } : {}) }) : connect(port, host);
      await new Promise<void>((resolve, reject) => {
        c.tcp!.once(transport === 'tls' ? 'secureConnect' : 'connect', () => resolve());
        c.tcp!.once('error', reject);
      });
      c.localPort = c.tcp.localPort!;
      c.tcp.on('data', (d) => {
        c.tcpBuffer += d.toString('latin1');
        for (;;) {
          const split = c.tcpBuffer.indexOf('\r\n\r\n');
          if (split < 0) return;
          const len = Number(/\r\n(?:content-length|l)\s*:\s*(\d+)/i.exec(c.tcpBuffer.slice(0, split + 2))?.[1] ?? 0);
          if (c.tcpBuffer.length < split + 4 + len) return;
          c.onText(c.tcpBuffer.slice(0, split + 4 + len));
          c.tcpBuffer = c.tcpBuffer.slice(split + 4 + len);
        }
      });
      c.tcp.on('error', () => undefined);
    }
    return c;
  }

  get viaTransport(): string {
    return this.transport.toUpperCase();
  }

  private onText(text: string): void {
    if (!text.startsWith('SIP/2.0')) {
      const req = parseRequest(text);
      if (!req) return;
      this.requests.push(req);
      if (req.method !== 'ACK') {
        const copy = ['via', 'from', 'to', 'call-id', 'cseq'].flatMap((h) => (req.headers.get(h) ?? []).map((v) => `${h}: ${v}`));
        this.send(['SIP/2.0 200 OK', ...copy, 'Content-Length: 0', '', ''].join('\r\n'));
      }
      return;
    }
    const res = parseResponse(text);
    if (!res) return;
    this.received.push(res);
    const w = this.waiters.find((x) => x.match(res));
    if (w) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(res);
    }
  }

  send(message: string | Buffer): void {
    const buf = typeof message === 'string' ? Buffer.from(message, 'latin1') : message;
    if (this.udp) this.udp.send(buf, this.port, this.host);
    else this.tcp!.write(buf);
  }

  /** Resolves with the first response (already received or future) that matches. */
  waitFor(match: (r: SipResponseText) => boolean, timeoutMs = 5000): Promise<SipResponseText> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching SIP response within ${timeoutMs} ms; got: ${this.received.map((r) => `${r.status} ${r.reason}`).join(', ')}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
      });
    });
  }

  close(): void {
    this.udp?.close();
    this.tcp?.destroy();
  }
}

export interface RequestParts {
  method: string;
  uri: string;
  callId: string;
  fromTag: string;
  toTag?: string;
  cseq: number;
  branch?: string;
  extraHeaders?: string[];
  contentType?: string;
  body?: string;
}

export function buildRequest(c: SipTestClient, p: RequestParts): string {
  const body = p.body ?? '';
  const lines = [
    `${p.method} ${p.uri} SIP/2.0`,
    `Via: SIP/2.0/${c.viaTransport} 127.0.0.1:${c.localPort};branch=${p.branch ?? `z9hG4bK${rand()}`};rport`,
    'Max-Forwards: 70',
    `From: "SBC" <sip:src@127.0.0.1>;tag=${p.fromTag}`,
    `To: <${p.uri}>${p.toTag ? `;tag=${p.toTag}` : ''}`,
    `Call-ID: ${p.callId}`,
    `CSeq: ${p.cseq} ${p.method === 'CANCEL' || p.method === 'ACK' ? p.method : p.method}`,
    ...(p.extraHeaders ?? []),
    ...(p.contentType ? [`Content-Type: ${p.contentType}`] : []),
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}
