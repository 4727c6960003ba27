// The product status objects, read from the catalog and the filesystem (never from the recorder).
import { statfs } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import type { Catalog } from '../storage/catalog/index.js';
import { ALARM_KINDS, alarmSource } from '../storage/catalog/alarm-kinds.js';

export interface StatusSnapshot {
  activeSessions: number;
  maxSessions: number;
  callsToday: number;
  failedToday: number;
  storageName: string;
  /** 1 reachable, 2 unreachable (SIPVAULT-MIB svStorageTargetState). */
  storageState: 1 | 2;
  freeDiskMBytes: number;
  spoolBacklog: number;
  activeAlarms: number;
}

const GAUGE_MAX = 4294967295;

export async function readStatus(catalog: Catalog, config: Config, now = new Date()): Promise<StatusSnapshot> {
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const counts = catalog.status.counts(midnight);
  const alarms = catalog.alarms.active();
  const target = config.storage.target;
  const storageSource = alarmSource.storage(config.snmp.applianceId, target.name);
  const storageDown = alarms.some((a) => a.name === ALARM_KINDS.ConnectionFailed.name && a.source === storageSource);
  let freeDiskMBytes = 0;
  try {
    const fs = await statfs(config.dataDir);
    freeDiskMBytes = Math.min(GAUGE_MAX, Math.floor((fs.bavail * fs.bsize) / 2 ** 20));
  } catch {
    // data directory not there (yet): 0 is what the NOC should see
  }
  return {
    activeSessions: counts.recording,
    maxSessions: config.sip.maxSessions,
    callsToday: counts.started,
    failedToday: counts.failed,
    storageName: target.name,
    storageState: storageDown ? 2 : 1,
    freeDiskMBytes,
    spoolBacklog: counts.pending,
    activeAlarms: alarms.length,
  };
}
