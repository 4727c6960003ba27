// Binds rtpengine (recorder/media/rtpengine) to the SIPREC server's MediaRelay: rtpengine's
// failures become the SIP answers an SBC acts on (503 fails over, 488 tries another offer).
import { SessionRefused } from './siprec/siprec-server.js';
import type { MediaRelay, RelayLeg } from './siprec/media-relay.js';
import { localAddressFor } from './siprec/local-address.js';
import { NgRequestError, NgUnreachableError } from './media/rtpengine/ng-client.js';
import type { RtpengineRelay } from './media/rtpengine/rtpengine-relay.js';

function refusal(err: unknown, what: 'offer' | 'answer'): unknown {
  if (err instanceof NgUnreachableError) return new SessionRefused(503, 'Service Unavailable - Media Relay Unreachable');
  if (err instanceof NgRequestError) {
    return what === 'offer' ? new SessionRefused(488, 'Not Acceptable Here - Media Relay Refused The Offer') : new SessionRefused(500, 'Server Internal Error - Media Relay Refused The Answer');
  }
  return err;
}

export class RtpengineMediaRelay implements MediaRelay {
  mixerAddress = '127.0.0.1';

  constructor(
    private readonly relay: RtpengineRelay,
    private readonly host: string,
    private readonly advertiseAddress: string | null,
  ) {}

  /** The mixer's address as rtpengine reaches it: loopback when they share the box. */
  async start(): Promise<void> {
    this.mixerAddress = this.advertiseAddress ?? (await localAddressFor(this.host === 'localhost' ? '127.0.0.1' : this.host));
    await this.relay.start();
  }

  get available(): boolean {
    return this.relay.available;
  }

  offer(leg: RelayLeg, sdp: string): Promise<string> {
    return this.relay.offer(leg, sdp).catch((err: unknown) => {
      throw refusal(err, 'offer');
    });
  }

  answer(leg: RelayLeg, sdp: string): Promise<string> {
    return this.relay.answer(leg, sdp).catch((err: unknown) => {
      throw refusal(err, 'answer');
    });
  }

  delete(leg: RelayLeg): Promise<void> {
    return this.relay.delete(leg);
  }
}
