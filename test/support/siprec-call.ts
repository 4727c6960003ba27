// A complete SIPREC recording session from the SRC side: INVITE with SDP + rs-metadata,
// ACK, real-time RTP tones per leg, BYE.
import { buildRequest, header, rand, SipTestClient } from './sip-client.js';
import { sendToneStreams } from './rtp-sender.js';

export interface Party {
  aor: string;
  name: string;
  freq: number;
}

export interface SiprecCallOptions {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
  caller: Party;
  callee: Party;
  durationMs: number;
  codec?: 'PCMU' | 'PCMA';
  /**
   * Which m-line (0 or 1) carries the caller's stream. Putting the caller on the second m-line
   * proves channels follow the metadata, not the m-line order.
   */
  callerMline?: 0 | 1;
}

export interface SiprecCallResult {
  callId: string;
  answer: string;
  answerStatus: number;
  byeStatus: number;
}

export function siprecSdp(codec: 'PCMU' | 'PCMA', ports: [number, number]): string {
  const pt = codec === 'PCMU' ? 0 : 8;
  const m = (port: number, label: string) =>
    [`m=audio ${port} RTP/AVP ${pt} 101`, `a=rtpmap:${pt} ${codec}/8000`, 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', `a=label:${label}`, 'a=sendonly'].join('\r\n');
  return ['v=0', `o=SBC ${rand(4)} 1 IN IP4 127.0.0.1`, 's=SIPREC', 'c=IN IP4 127.0.0.1', 't=0 0', m(ports[0], '1'), m(ports[1], '2'), ''].join('\r\n');
}

/** RFC 7865 metadata: caller is the first participant and sends the stream labelled `callerLabel`. */
export function rfcMetadata(caller: Party, callee: Party, callerLabel: string, calleeLabel: string): string {
  const ns = 'urn:ietf:params:xml:ns:recording:1';
  return `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="${ns}">
  <datamode>complete</datamode>
  <session session_id="c2Vzc2lvbi0x">
    <sipSessionID>${rand()}</sipSessionID>
  </session>
  <participant participant_id="cGFydC1h">
    <nameID aor="${caller.aor}"><name>${caller.name}</name></nameID>
  </participant>
  <participant participant_id="cGFydC1i">
    <nameID aor="${callee.aor}"><name>${callee.name}</name></nameID>
  </participant>
  <stream stream_id="c3RyZWFtLWE=" session_id="c2Vzc2lvbi0x"><label>${callerLabel}</label></stream>
  <stream stream_id="c3RyZWFtLWI=" session_id="c2Vzc2lvbi0x"><label>${calleeLabel}</label></stream>
  <participantstreamassoc participant_id="cGFydC1h"><send>c3RyZWFtLWE=</send><recv>c3RyZWFtLWI=</recv></participantstreamassoc>
  <participantstreamassoc participant_id="cGFydC1i"><send>c3RyZWFtLWI=</send><recv>c3RyZWFtLWE=</recv></participantstreamassoc>
</recording>
`;
}

export function multipart(boundary: string, sdp: string, metadata: string): string {
  return [
    `--${boundary}`,
    'Content-Type: application/sdp',
    '',
    sdp,
    `--${boundary}`,
    'Content-Type: application/rs-metadata+xml',
    'Content-Disposition: recording-session',
    '',
    metadata,
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/** Ports of the m-lines in an SDP answer, in order. */
export function answerPorts(sdp: string): number[] {
  return [...sdp.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));
}

export async function placeSiprecCall(o: SiprecCallOptions): Promise<SiprecCallResult> {
  const codec = o.codec ?? 'PCMU';
  const callerMline = o.callerMline ?? 0;
  const client = await SipTestClient.open(o.transport, o.host, o.port);
  try {
    const callId = `${rand()}@sbc.test`;
    const fromTag = rand(4);
    const uri = `sip:srs@${o.host}:${o.port}`;
    const labels = callerMline === 0 ? ['1', '2'] : ['2', '1'];
    const boundary = `b-${rand(6)}`;
    const body = multipart(boundary, siprecSdp(codec, [20000, 20002]), rfcMetadata(o.caller, o.callee, labels[0]!, labels[1]!));
    client.send(
      buildRequest(client, {
        method: 'INVITE', uri, callId, fromTag, cseq: 1,
        extraHeaders: [`Contact: <sip:src@127.0.0.1:${client.localPort}>;+sip.src`, 'Require: siprec', 'Supported: siprec'],
        contentType: `multipart/mixed;boundary=${boundary}`,
        body,
      }),
    );
    const final = await client.waitFor((r) => r.status >= 200 && header(r, 'cseq')?.endsWith('INVITE') === true, 5000);
    if (final.status !== 200) return { callId, answer: final.body, answerStatus: final.status, byeStatus: 0 };
    const toTag = /;\s*tag=([^;\s]+)/.exec(header(final, 'to') ?? '')?.[1] ?? '';
    client.send(buildRequest(client, { method: 'ACK', uri, callId, fromTag, toTag, cseq: 1 }));
    const ports = answerPorts(final.body);
    const callerPort = ports[callerMline]!;
    const calleePort = ports[1 - callerMline]!;
    // A party with freq 0 sends no RTP at all (one-way audio, a muted leg, a firewall).
    const legs = [
      { host: o.host, port: callerPort, freq: o.caller.freq, codec },
      { host: o.host, port: calleePort, freq: o.callee.freq, codec },
    ].filter((l) => l.freq > 0);
    if (legs.length) await sendToneStreams(legs, o.durationMs);
    else await new Promise((r) => setTimeout(r, o.durationMs));
    client.send(buildRequest(client, { method: 'BYE', uri, callId, fromTag, toTag, cseq: 2 }));
    const bye = await client.waitFor((r) => header(r, 'cseq') === '2 BYE', 5000);
    return { callId, answer: final.body, answerStatus: final.status, byeStatus: bye.status };
  } finally {
    client.close();
  }
}
