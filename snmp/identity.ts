// Who the appliance says it is in SNMP: its engine ID (v3) and its serial number (varbind 16,
// keep-alive AdditionalInfo1).
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Config } from '../config/schema.js';

/** snmp.engineId, else RFC 3411 text format under enterprise 5003: 80 00 13 8B 04 + applianceId. */
export function engineId(config: Config): string {
  if (config.snmp.engineId) return config.snmp.engineId.toUpperCase();
  const text = Buffer.from(config.snmp.applianceId, 'utf8').subarray(0, 27);
  return `8000138B04${text.toString('hex').toUpperCase()}`;
}

/** The machine id (unique per installed VM), else the first non-loopback MAC address. */
export function serialNumber(): string {
  try {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    if (id) return id;
  } catch {
    // no systemd machine id here
  }
  for (const addrs of Object.values(networkInterfaces())) {
    const mac = addrs?.find((a) => !a.internal && a.mac !== '00:00:00:00:00:00')?.mac;
    if (mac) return mac;
  }
  return 'unknown';
}
