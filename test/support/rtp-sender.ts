// Real-time RTP tone streams (20 ms packets) from one socket per stream, as an SRC sends them.
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { tonePayload } from './audio.js';

export interface ToneStream {
  host: string;
  port: number;
  freq: number;
  codec: 'PCMU' | 'PCMA';
}

export async function sendToneStreams(streams: ToneStream[], durationMs: number): Promise<{ packets: number }> {
  const sockets = streams.map(() => createSocket('udp4'));
  const state = streams.map(() => ({ seq: randomInt(0, 65535), ts: randomInt(0, 2 ** 31), ssrc: randomInt(1, 2 ** 31) }));
  const packetsPerStream = Math.round(durationMs / 20);
  const start = Date.now();
  let sent = 0;
  for (let n = 0; n < packetsPerStream; n++) {
    streams.forEach((s, i) => {
      const st = state[i]!;
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = (s.codec === 'PCMU' ? 0 : 8) | (n === 0 ? 0x80 : 0);
      header.writeUInt16BE((st.seq + n) & 0xffff, 2);
      header.writeUInt32BE((st.ts + n * 160) >>> 0, 4);
      header.writeUInt32BE(st.ssrc, 8);
      sockets[i]!.send(Buffer.concat([header, tonePayload(s.freq, 8000, n * 160, 160, s.codec)]), s.port, s.host);
      sent++;
    });
    // Pace against the start time so timer drift does not accumulate.
    const wait = start + (n + 1) * 20 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await new Promise((r) => setTimeout(r, 20));
  for (const s of sockets) s.close();
  return { packets: sent };
}
