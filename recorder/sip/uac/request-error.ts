/**
 * Why a request of ours got no final response:
 * - 'timeout': Timer F fired (64*T1 without a final response, RFC 3261 §17.1.2.2);
 * - 'transport': it could not be sent or its connection failed (§17.1.4);
 * - 'stopped': the stack stopped while it was pending;
 * - 'invalid': the caller's options were unusable (nothing was sent).
 */
export type SipRequestFailure = 'timeout' | 'transport' | 'stopped' | 'invalid';

export class SipRequestError extends Error {
  constructor(
    readonly kind: SipRequestFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SipRequestError';
  }
}
