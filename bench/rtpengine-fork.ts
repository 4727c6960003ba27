// The rtpengine half of the mixer benchmark: each bench call is set up through a real rtpengine
// as the recorder does it (the SRC's offer to rtpengine, the mixer's answer back), so the sender
// plays the SRC towards rtpengine and rtpengine forks plain RTP to the mixer.
import type { DirectMediaEngine, StreamGrant } from '../recorder/media/direct-media-engine.js';
import { RtpengineRelay } from '../recorder/media/rtpengine/rtpengine-relay.js';
import type { Logger } from 'pino';

const PCMU_OFFER = [
  { payloadType: 0, encoding: 'PCMU', clockRate: 8000 },
  { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 },
];

function srcOffer(n: number): string {
  const m = (i: number) => [`m=audio ${2000 + 2 * i} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', `a=label:${i + 1}`, 'a=sendonly'];
  return ['v=0', `o=SRC ${n} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', ...m(0), ...m(1), ''].join('\r\n');
}

function mixerAnswer(grants: StreamGrant[]): string {
  const m = (g: StreamGrant, i: number) => [`m=audio ${g.port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', `a=label:${i + 1}`, 'a=recvonly'];
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', ...grants.flatMap(m), ''].join('\r\n');
}

const ports = (sdp: string) => [...sdp.matchAll(/^m=audio (\d+)/gm)].map((x) => Number(x[1]));

export class RtpengineFork {
  readonly relay: RtpengineRelay;

  constructor(ngPort: number, logger: Logger) {
    this.relay = new RtpengineRelay({ host: '127.0.0.1', port: ngPort, timeoutMs: 5000, pingIntervalMs: 60_000, logger, onHealth: () => undefined });
  }

  /** Opens the mixer's session for `id` through rtpengine; returns the ports the SRC sends to. */
  async open(engine: DirectMediaEngine, id: string, n: number): Promise<number[]> {
    const leg = { callId: id, fromTag: 'src', toTag: 'mixer' };
    await this.relay.offer(leg, srcOffer(n));
    const grants = await engine.open(id, [
      { label: '1', channel: 0, mixed: false, offered: PCMU_OFFER },
      { label: '2', channel: 1, mixed: false, offered: PCMU_OFFER },
    ]);
    return ports(await this.relay.answer(leg, mixerAnswer(grants)));
  }

  async close(id: string): Promise<void> {
    await this.relay.delete({ callId: id, fromTag: 'src', toTag: 'mixer' });
  }
}
