// Real encoded audio for tests: tones encoded by independent encoders (ffmpeg for G.722, L16 and
// GSM, libopus through @discordjs/opus for Opus, our G.711 encoder), cut into 20 ms RTP payloads.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tonePayload } from './audio.js';

/** GSM is not decoded by the mixer: it is what rtpengine must transcode. */
export type TestCodec = 'PCMU' | 'PCMA' | 'G722' | 'OPUS' | 'L16/8000' | 'L16/16000' | 'GSM';

/** RTP payload type, rtpmap and clock per codec as our test SRCs offer them. */
export const CODEC_SDP: Record<TestCodec, { pt: number; rtpmap: string; clock: number; tsPer20ms: number }> = {
  PCMU: { pt: 0, rtpmap: 'PCMU/8000', clock: 8000, tsPer20ms: 160 },
  PCMA: { pt: 8, rtpmap: 'PCMA/8000', clock: 8000, tsPer20ms: 160 },
  G722: { pt: 9, rtpmap: 'G722/8000', clock: 8000, tsPer20ms: 160 },
  OPUS: { pt: 111, rtpmap: 'opus/48000/2', clock: 48000, tsPer20ms: 960 },
  'L16/8000': { pt: 96, rtpmap: 'L16/8000', clock: 8000, tsPer20ms: 160 },
  'L16/16000': { pt: 97, rtpmap: 'L16/16000', clock: 16000, tsPer20ms: 320 },
  GSM: { pt: 3, rtpmap: 'GSM/8000', clock: 8000, tsPer20ms: 160 },
};

/** A GSM 06.10 frame: 160 samples (20 ms) in 33 bytes (RFC 3551 §4.5.8). */
const GSM_FRAME_BYTES = 33;

export const FFMPEG = process.env.SIPVAULT_TEST_FFMPEG ?? '/usr/bin/ffmpeg';

/** `amplitude` is a fraction of full scale (lavfi's sine source is at 1/8, hence the volume factor). */
function ffmpegTone(freq: number, rate: number, seconds: number, codecArgs: string[], amplitude: number): Buffer {
  const r = spawnSync(
    FFMPEG,
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=${freq}:sample_rate=${rate}:duration=${seconds}`, '-af', `volume=${amplitude * 8}`, '-ac', '1', ...codecArgs, 'pipe:1'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** G.722 bitstream of a tone at 16 kHz (one byte per two samples), from ffmpeg's encoder. */
export function g722Tone(freq: number, seconds: number, amplitude = 0.25): Buffer {
  return ffmpegTone(freq, 16000, seconds, ['-ar', '16000', '-acodec', 'g722', '-f', 'g722'], amplitude);
}

/** Big-endian 16-bit PCM (L16) of a tone, from ffmpeg. */
export function l16Tone(freq: number, rate: number, seconds: number, amplitude = 0.25): Buffer {
  return ffmpegTone(freq, rate, seconds, ['-ar', String(rate), '-f', 's16be'], amplitude);
}

interface OpusCodec {
  encode(pcm: Buffer): Buffer;
  decode(packet: Buffer): Buffer;
}
const require = createRequire(import.meta.url);
export function opusEncoder(): OpusCodec {
  const { OpusEncoder } = require('@discordjs/opus') as { OpusEncoder: new (rate: number, channels: number) => OpusCodec };
  return new OpusEncoder(48000, 1);
}

/** Opus packets of 20 ms of a tone, from libopus. */
export function opusTone(freq: number, packets: number, amplitude = 8000): Buffer[] {
  const enc = opusEncoder();
  const out: Buffer[] = [];
  for (let n = 0; n < packets; n++) {
    const pcm = Buffer.alloc(960 * 2);
    for (let i = 0; i < 960; i++) pcm.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * freq * (n * 960 + i)) / 48000)), i * 2);
    out.push(Buffer.from(enc.encode(pcm)));
  }
  return out;
}

const made = new Map<string, Buffer[]>();

/**
 * `packets` 20 ms payloads of a tone in `codec`. Remembered: call it before placing a call so the
 * encoder (an ffmpeg run) does not delay the first packet.
 */
export function tonePackets(codec: TestCodec, freq: number, packets: number): Buffer[] {
  const key = `${codec}/${freq}/${packets}`;
  let p = made.get(key);
  if (!p) made.set(key, (p = encodeTone(codec, freq, packets)));
  return p;
}

function encodeTone(codec: TestCodec, freq: number, packets: number): Buffer[] {
  const seconds = (packets * 20) / 1000 + 0.1;
  switch (codec) {
    case 'PCMU':
    case 'PCMA':
      return Array.from({ length: packets }, (_, n) => tonePayload(freq, 8000, n * 160, 160, codec));
    case 'G722': {
      const bits = g722Tone(freq, seconds);
      return Array.from({ length: packets }, (_, n) => bits.subarray(n * 160, n * 160 + 160));
    }
    case 'L16/8000':
    case 'L16/16000': {
      const rate = codec === 'L16/8000' ? 8000 : 16000;
      const pcm = l16Tone(freq, rate, seconds);
      const bytes = (rate / 50) * 2;
      return Array.from({ length: packets }, (_, n) => pcm.subarray(n * bytes, n * bytes + bytes));
    }
    case 'OPUS':
      return opusTone(freq, packets);
    case 'GSM': {
      const frames = ffmpegTone(freq, 8000, seconds, ['-ar', '8000', '-acodec', 'libgsm', '-f', 'gsm'], 0.25);
      return Array.from({ length: packets }, (_, n) => frames.subarray(n * GSM_FRAME_BYTES, (n + 1) * GSM_FRAME_BYTES));
    }
  }
}
