// The real SIP stack and SIPREC server on loopback, with the media/catalog side replaced by a
// handler that grants ports and records what it was asked: for tests of the SIPREC layer alone.
import { pino } from 'pino';
import { SipStack } from '../../recorder/sip/index.js';
import { SiprecServer, type CloseReason, type RecordingSessionHandler } from '../../recorder/siprec/siprec-server.js';
import { SipTestClient } from './sip-client.js';

export interface SiprecHarness {
  stack: SipStack;
  port: number;
  client: SipTestClient;
  opened: number;
  closed: Array<[string, CloseReason]>;
  stop(): Promise<void>;
}

export async function startSiprecHarness(o: { isTrusted?: (address: string) => boolean; maxSessions?: number } = {}): Promise<SiprecHarness> {
  const h = { opened: 0, closed: [] as Array<[string, CloseReason]> };
  const handler: RecordingSessionHandler = {
    open: async () => {
      h.opened++;
      return { id: `rs-${h.opened}`, streams: [1, 2].map((n) => ({ label: String(n), port: 40000 + 2 * n, payloadType: 0, eventPayloadType: null })) };
    },
    addStreams: async () => [],
    update: () => undefined,
    close: (id, reason) => void h.closed.push([id, reason]),
  };
  const logger = pino({ level: 'silent' });
  const stack = new SipStack({ listen: ['udp:127.0.0.1:0'], maxMessageBytes: 65536, logger });
  new SiprecServer({ stack, handler, logger, isTrusted: o.isTrusted ?? (() => true), maxSessions: o.maxSessions ?? 10, advertiseAddress: '127.0.0.1' });
  await stack.start();
  const port = stack.boundAddresses()[0]!.port;
  const client = await SipTestClient.open('udp', '127.0.0.1', port);
  return Object.assign(h, {
    stack,
    port,
    client,
    stop: async () => {
      client.close();
      await stack.stop();
    },
  });
}
