// A media relay between the SRC and the mixer (rtpengine in production). The SIPREC server stays
// the only SIP party: it passes each SDP offer through the relay before choosing streams, and
// each answer through it before the SRC sees it, so the SRC talks media to the relay only.

/** How the relay names one recording session: the dialog's Call-ID and both tags. */
export interface RelayLeg {
  callId: string;
  fromTag: string;
  toTag: string;
}

export interface MediaRelay {
  /** False while the relay cannot be reached: new sessions get 503 so the SRC fails over. */
  readonly available: boolean;
  /** The address our (mixer) answer gives the relay; it sends the forked RTP there. */
  readonly mixerAddress: string;
  /** The SRC's offer as the mixer must see it (relay addresses, plain RTP, extra codecs). */
  offer(leg: RelayLeg, sdp: string): Promise<string>;
  /** Our answer to the relay's offer, turned into the answer the SRC gets (SRTP keys included). */
  answer(leg: RelayLeg, sdp: string): Promise<string>;
  /** The session ended: the relay frees its ports. */
  delete(leg: RelayLeg): Promise<void>;
}
