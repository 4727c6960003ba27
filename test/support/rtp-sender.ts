// Real-time RTP tone streams (20 ms packets) from one socket per stream, as an SRC sends them, in
// any codec the mixer decodes, optionally with network trouble (loss, reordering, duplicates), a
// sender change (SSRC), a timestamp jump and RFC 4733 key presses.
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { SrtpSession, RtpHeader, ProtectionProfileAes128CmHmacSha1_80 } from 'werift-rtp';
import { CODEC_SDP, tonePackets, type TestCodec } from './codec-audio.js';

export interface Impairments {
  /** Packet indices (0 = first 20 ms) never sent. */
  drop?: number[];
  /** Packet n is held back and sent right after packet n + 1 (20 ms late, out of order). */
  reorder?: number[];
  /** Sent twice. */
  duplicate?: number[];
  /** From this packet on: a new SSRC with new sequence and timestamp bases (an SBC failover). */
  ssrcChangeAt?: number;
  /** From this packet on: timestamps jump by `tsJumpBy` (default 1,000,000) with contiguous sequence numbers. */
  tsJumpAt?: number;
  tsJumpBy?: number;
}

export interface KeyPress {
  /** Start, from the first packet. */
  atMs: number;
  /** RFC 4733 event: 0-9, 10 = *, 11 = #. */
  event: number;
  durationMs: number;
}

export interface ToneStream {
  host: string;
  port: number;
  freq: number;
  codec: TestCodec;
  impair?: Impairments;
  /** Key presses replace the audio packets of their time by telephone-event packets (payload type 101). */
  dtmf?: KeyPress[];
  /** SDES-SRTP (AES_CM_128_HMAC_SHA1_80) with the key this sender offered in its a=crypto line. */
  srtp?: { key: Buffer; salt: Buffer };
  /** Talk spurts [fromMs, toMs) from the first packet: the tone plays only inside them, packets elsewhere carry silence. */
  talk?: Array<[number, number]>;
}

export const TELEPHONE_EVENT_PT = 101;

interface Plan {
  packets: Buffer[];
  silence: Buffer[] | null;
  seq: number;
  ts: number;
  ssrc: number;
}

export async function sendToneStreams(streams: ToneStream[], durationMs: number): Promise<{ packets: number }> {
  const sockets = streams.map(() => createSocket('udp4'));
  const count = Math.round(durationMs / 20);
  const plans: Plan[] = streams.map((s) => ({ packets: tonePackets(s.codec, s.freq, count), silence: s.talk ? tonePackets(s.codec, 0, count) : null, seq: randomInt(0, 65535), ts: randomInt(0, 2 ** 31), ssrc: randomInt(1, 2 ** 31) }));
  const held: Array<Buffer | null> = streams.map(() => null);
  const srtp = streams.map((s) => (s.srtp ? srtpSender(s.srtp) : null));
  const start = Date.now();
  let sent = 0;
  const send = (i: number, b: Buffer) => {
    sockets[i]!.send(b, streams[i]!.port, streams[i]!.host);
    sent++;
  };
  for (let n = 0; n < count; n++) {
    streams.forEach((s, i) => {
      const p = plans[i]!;
      const codec = CODEC_SDP[s.codec];
      const im = s.impair ?? {};
      if (im.ssrcChangeAt === n) {
        p.ssrc = (p.ssrc + 0x1234567) >>> 0 || 1;
        p.seq = (p.seq + 20000) & 0xffff;
        p.ts = (p.ts + 0x40000000) >>> 0;
      }
      const tsJump = im.tsJumpAt !== undefined && n >= im.tsJumpAt ? (im.tsJumpBy ?? 1_000_000) : 0;
      const ts = (p.ts + n * codec.tsPer20ms + tsJump) >>> 0;
      const key = s.dtmf?.find((k) => n >= k.atMs / 20 && n < (k.atMs + k.durationMs) / 20);
      const packets: Buffer[] = [];
      if (key) {
        const first = key.atMs / 20;
        const last = (key.atMs + key.durationMs) / 20 - 1;
        const startTs = (p.ts + first * codec.tsPer20ms + tsJump) >>> 0;
        const duration = (n - first + 1) * codec.tsPer20ms;
        const end = n === last;
        for (let r = 0; r < (end ? 3 : 1); r++) {
          packets.push(rtp(TELEPHONE_EVENT_PT, n === first, p.seq++, startTs, p.ssrc, Buffer.from([key.event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]), srtp[i]));
        }
      } else {
        const talking = !s.talk || s.talk.some(([from, to]) => n * 20 >= from && n * 20 < to);
        packets.push(rtp(codec.pt, n === 0, p.seq++, ts, p.ssrc, (talking ? p.packets : p.silence!)[n]!, srtp[i]));
      }
      for (const b of packets) {
        if (im.drop?.includes(n)) continue;
        if (im.reorder?.includes(n)) {
          held[i] = b;
          continue;
        }
        send(i, b);
        if (im.duplicate?.includes(n)) send(i, b);
      }
      if (held[i] && !im.reorder?.includes(n)) {
        send(i, held[i]!);
        held[i] = null;
      }
    });
    // Pace against the start time so timer drift does not accumulate.
    const wait = start + (n + 1) * 20 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await new Promise((r) => setTimeout(r, 20));
  for (const s of sockets) s.close();
  return { packets: sent };
}

/** SRTP protection of our own packets: we are the sender, so our key is the local one. */
function srtpSender(k: { key: Buffer; salt: Buffer }): SrtpSession {
  return new SrtpSession({ keys: { localMasterKey: k.key, localMasterSalt: k.salt, remoteMasterKey: k.key, remoteMasterSalt: k.salt }, profile: ProtectionProfileAes128CmHmacSha1_80 });
}

function rtp(pt: number, marker: boolean, seq: number, ts: number, ssrc: number, payload: Buffer, srtp: SrtpSession | null = null): Buffer {
  if (srtp) return srtp.encrypt(payload, new RtpHeader({ payloadType: pt, marker, sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc: ssrc >>> 0 }));
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = pt | (marker ? 0x80 : 0);
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(ts >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([header, payload]);
}
