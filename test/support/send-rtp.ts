// CLI for SIPp scenarios: node send-rtp.js HOST CALLER_PORT CALLEE_PORT DURATION_MS
// Sends 440 Hz on the caller's stream and 1000 Hz on the callee's, PCMU.
import { sendToneStreams } from './rtp-sender.js';

const [host = '127.0.0.1', callerPort, calleePort, duration = '3000'] = process.argv.slice(2);
await sendToneStreams(
  [
    { host, port: Number(callerPort), freq: 440, codec: 'PCMU' },
    { host, port: Number(calleePort), freq: 1000, codec: 'PCMU' },
  ],
  Number(duration),
);
