import { useEffect, useState } from 'preact/hooks';
import { Outcome, useAction, useResource, value } from './admin';
import { api } from './api';
import { formatDate } from './format';

// System settings: retention, storage targets (Test connection, consumption) and SNMP trap
// destinations. Creating or editing targets and destinations stays in the API for now.

interface Retention {
  defaultDays: number | null;
  purgeIntervalMinutes: number;
  overridden: boolean;
}
interface Target {
  name: string;
  type: 'local' | 's3';
  active: boolean;
  state: string;
  consumedGB: number | null;
  files: number | null;
  lastTest: { at: string; ok: boolean; description: string } | null;
}
interface Destination {
  id: string;
  host: string;
  port: number;
  version: string;
}

export function SettingsScreen() {
  return (
    <>
      <RetentionForm />
      <StorageTargets />
      <SnmpDestinations />
    </>
  );
}

function RetentionForm() {
  const current = useResource<Retention>('/settings/retention');
  const [days, setDays] = useState('');
  const [interval, setInterval] = useState('');
  const act = useAction();
  useEffect(() => {
    if (!current.data) return;
    setDays(current.data.defaultDays === null ? '' : String(current.data.defaultDays));
    setInterval(String(current.data.purgeIntervalMinutes));
  }, [current.data]);
  const save = async (e: Event) => {
    e.preventDefault();
    const body = { defaultDays: days.trim() === '' ? null : Number(days), purgeIntervalMinutes: Number(interval) };
    if (await act.run('Saving the retention settings', () => api('PUT', '/settings/retention', body), 'Retention settings saved. They apply to calls recorded from now on.')) current.reload();
  };
  return (
    <section aria-labelledby="ret-title">
      <h2 id="ret-title">Retention</h2>
      <form class="inline-form" onSubmit={save}>
        <div class="field">
          <label for="ret-days">Keep calls for (days)</label>
          <input id="ret-days" inputMode="numeric" placeholder="Empty or 0: forever" value={days} onInput={(e) => setDays(value(e))} />
        </div>
        <div class="field">
          <label for="ret-interval">Purge every (minutes)</label>
          <input id="ret-interval" inputMode="numeric" value={interval} onInput={(e) => setInterval(value(e))} />
        </div>
        <button type="submit" class="primary" disabled={act.busy || !current.data}>
          Save retention
        </button>
      </form>
      <Outcome message={act.message} error={act.error ?? current.error} />
    </section>
  );
}

function StorageTargets() {
  const targets = useResource<{ items: Target[] }>('/storage/targets');
  const [testing, setTesting] = useState<string | null>(null);
  const act = useAction();
  const test = async (t: Target) => {
    setTesting(t.name);
    await act.run(`Test connection to ${t.name}`, async () => {
      const r = await api<{ ok: boolean; ms: number; message: string }>('POST', `/storage/targets/${encodeURIComponent(t.name)}/test`);
      if (!r.ok) throw new Error(r.message);
    }, `Connected to ${t.name}.`);
    setTesting(null);
    targets.reload();
  };
  return (
    <section aria-labelledby="st-title">
      <h2 id="st-title">Storage targets</h2>
      <Outcome message={act.message} error={act.error ?? targets.error} />
      {testing && <p role="status">Testing the connection to {testing}…</p>}
      {targets.data && (
        <table class="grid compact" aria-label="Storage targets">
          <thead>
            <tr>
              {['Name', 'Type', 'Active', 'State', 'Consumed', 'Files', 'Last test'].map((h) => (
                <th scope="col">{h}</th>
              ))}
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {targets.data.items.map((t) => (
              <tr>
                <td>{t.name}</td>
                <td>{t.type}</td>
                <td>{t.active ? 'Yes' : 'No'}</td>
                <td>{t.state}</td>
                <td>{t.consumedGB === null ? '' : `${t.consumedGB} GB`}</td>
                <td>{t.files ?? ''}</td>
                <td>{t.lastTest ? `${t.lastTest.ok ? 'OK' : 'Failed'} · ${formatDate(t.lastTest.at)}` : 'Never'}</td>
                <td>
                  <button type="button" disabled={testing !== null} onClick={() => test(t)} aria-label={`Test connection: ${t.name}`}>
                    Test connection
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function SnmpDestinations() {
  const dests = useResource<{ items: Destination[] }>('/snmp/destinations');
  const act = useAction();
  const [host, setHost] = useState('');
  const [port, setPort] = useState('162');
  const [community, setCommunity] = useState('');
  const remove = (d: Destination) => act.run('Removing the destination', () => api('DELETE', `/snmp/destinations/${d.id}`), `Destination ${d.host} removed.`).then(dests.reload);
  const add = async (e: Event) => {
    e.preventDefault();
    const body = { host: host.trim(), port: Number(port), version: 'v2c', community };
    if (await act.run('Adding the destination', () => api('POST', '/snmp/destinations', body), `Traps now also go to ${body.host}:${body.port}.`)) {
      setHost('');
      setCommunity('');
      dests.reload();
    }
  };
  return (
    <section aria-labelledby="snmp-title">
      <h2 id="snmp-title">SNMP destinations</h2>
      {/* SNMPv3 destinations (user, auth and privacy keys) are added through the API. */}
      <form class="inline-form" onSubmit={add} aria-label="Add an SNMPv2c trap destination">
        <div class="field">
          <label for="snmp-host">Host</label>
          <input id="snmp-host" required value={host} onInput={(e) => setHost(value(e))} />
        </div>
        <div class="field narrow">
          <label for="snmp-port">Port</label>
          <input id="snmp-port" required inputMode="numeric" value={port} onInput={(e) => setPort(value(e))} />
        </div>
        <div class="field">
          <label for="snmp-community">Community (v2c)</label>
          <input id="snmp-community" required value={community} onInput={(e) => setCommunity(value(e))} />
        </div>
        <button type="submit" disabled={act.busy}>
          Add destination
        </button>
      </form>
      <Outcome message={act.message} error={act.error ?? dests.error} />
      {dests.data?.items.length === 0 && <p class="empty">No SNMP destinations: alarms are not sent to a NOC. Add one above (SNMPv3: POST /api/v1/snmp/destinations, see /api/docs).</p>}
      {dests.data && dests.data.items.length > 0 && (
        <table class="grid compact" aria-label="SNMP destinations">
          <thead>
            <tr>
              {['Host', 'Port', 'Version'].map((h) => (
                <th scope="col">{h}</th>
              ))}
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {dests.data.items.map((d) => (
              <tr>
                <td>{d.host}</td>
                <td>{d.port}</td>
                <td>{d.version}</td>
                <td>
                  <button type="button" class="danger" aria-label={`Remove ${d.host}`} onClick={() => remove(d)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
