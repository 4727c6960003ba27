// What the storage tests ask of a running appliance, over its portal API as an admin would.
import { createHash } from 'node:crypto';
import { PortalClient, waitFor } from './appliance.js';
import { placeSiprecCall } from './siprec-call.js';

export interface ApiFile {
  format: 'wav' | 'mp3';
  key?: string;
  bytes: number;
  sha256: string;
  location?: 'spool' | 'target';
}

export interface ApiAlarm {
  name: string;
  source: string;
  state: string;
  severity: string;
  text: string;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** One 1.5 s SIPREC call; returns the id of its interaction once it is playable. */
export async function recordCall(portal: PortalClient, sipPort: number, n: number): Promise<{ id: string; answerStatus: number; byeStatus: number }> {
  const r = await placeSiprecCall({
    transport: 'udp',
    host: '127.0.0.1',
    port: sipPort,
    caller: { aor: `sip:+1555700${n}@sbc.example.com`, name: `Caller ${n}`, freq: 440 },
    callee: { aor: `sip:+1555800${n}@pbx.example.com`, name: `Callee ${n}`, freq: 1000 },
    durationMs: 1500,
  });
  const it = await waitFor(`interaction of call ${n}`, async () => {
    const page = await portal.json<{ items: Array<{ id: string; status: string }> }>(`/api/v1/interactions?callId=${encodeURIComponent(r.callId)}`);
    return page.items[0]?.status === 'available' ? page.items[0] : null;
  });
  return { id: it.id, answerStatus: r.answerStatus, byeStatus: r.byeStatus };
}

export async function filesOf(portal: PortalClient, id: string): Promise<ApiFile[]> {
  return (await portal.json<{ files: ApiFile[] }>(`/api/v1/interactions/${id}`)).files;
}

/** Waits until every interaction has a WAV and an MP3, all at `location`. */
export async function waitForFiles(portal: PortalClient, ids: string[], location: 'spool' | 'target', timeoutMs = 30_000): Promise<Map<string, ApiFile[]>> {
  const out = new Map<string, ApiFile[]>();
  await waitFor(
    `WAV and MP3 of ${ids.length} calls in the ${location}`,
    async () => {
      for (const id of ids) {
        const files = await filesOf(portal, id);
        if (files.length !== 2 || files.some((f) => f.location !== location)) return false;
        out.set(id, files);
      }
      return true;
    },
    timeoutMs,
    () => [...out.entries()],
  );
  return out;
}

export async function storageAlarm(portal: PortalClient, source: string): Promise<ApiAlarm | undefined> {
  const alarms = await portal.json<{ items: ApiAlarm[] }>('/api/v1/alarms');
  return alarms.items.find((a) => a.name === 'ConnectionFailed' && a.source === source && a.state === 'active');
}
