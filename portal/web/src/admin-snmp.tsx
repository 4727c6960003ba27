import { useState } from 'preact/hooks';
import { Outcome, useAction, useResource, value } from './admin';
import { api } from './api';
import { TableHead } from './table-head';

// Where the appliance sends its traps (the NOC's OVOC or another manager): SNMPv2c with a
// community, or SNMPv3 with a user (no key: noAuthNoPriv; an authentication key: authNoPriv;
// both keys: authPriv). Changes apply at once; secrets are never shown again.

interface V3User {
  name: string;
  authProtocol?: string;
  authKey?: string;
  privProtocol?: string;
  privKey?: string;
}
interface Destination {
  id: string;
  host: string;
  port: number;
  version: 'v2c' | 'v3';
  community?: string;
  user?: V3User;
}

interface Draft {
  host: string;
  port: string;
  version: 'v2c' | 'v3';
  community: string;
  user: string;
  authProtocol: string;
  authKey: string;
  privProtocol: string;
  privKey: string;
}
const EMPTY: Draft = { host: '', port: '162', version: 'v2c', community: '', user: '', authProtocol: '', authKey: '', privProtocol: '', privKey: '' };

const AUTH = [
  ['', 'None'],
  ['sha', 'SHA'],
  ['sha256', 'SHA-256'],
  ['sha512', 'SHA-512'],
  ['md5', 'MD5'],
];
const PRIV = [
  ['', 'None'],
  ['aes', 'AES'],
  ['des', 'DES'],
];

/** The API's body: a v3 user carries only the protocols and keys chosen. */
function bodyOf(d: Draft): Record<string, unknown> {
  const common = { host: d.host.trim(), port: Number(d.port), version: d.version };
  if (d.version === 'v2c') return { ...common, community: d.community };
  const user: V3User = { name: d.user.trim() };
  if (d.authProtocol) Object.assign(user, { authProtocol: d.authProtocol, authKey: d.authKey });
  if (d.authProtocol && d.privProtocol) Object.assign(user, { privProtocol: d.privProtocol, privKey: d.privKey });
  return { ...common, user };
}

const securityOf = (d: Destination): string => {
  if (d.version === 'v2c') return 'community';
  const u = d.user;
  if (!u) return '';
  const level = u.privProtocol ? 'authPriv' : u.authProtocol ? 'authNoPriv' : 'noAuthNoPriv';
  return `user ${u.name}, ${level}${u.authProtocol ? ` (${u.authProtocol.toUpperCase()}${u.privProtocol ? `/${u.privProtocol.toUpperCase()}` : ''})` : ''}`;
};

export function SnmpDestinations() {
  const dests = useResource<{ items: Destination[] }>('/snmp/destinations');
  const act = useAction();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });
  const remove = (d: Destination) => act.run('Removing the destination', () => api('DELETE', `/snmp/destinations/${d.id}`), `Destination ${d.host} removed.`).then(dests.reload);
  const add = async (e: Event) => {
    e.preventDefault();
    const body = bodyOf(draft);
    if (await act.run('Adding the destination', () => api('POST', '/snmp/destinations', body), `Traps now also go to ${String(body.host)}:${String(body.port)} (${draft.version}).`)) {
      setDraft({ ...EMPTY, version: draft.version });
      dests.reload();
    }
  };
  return (
    <section aria-labelledby="snmp-title">
      <h2 id="snmp-title">SNMP destinations</h2>
      <form class="admin-form" onSubmit={add} aria-label="Add a trap destination">
        <div class="field">
          <label for="snmp-host">Host</label>
          <input id="snmp-host" required value={draft.host} onInput={(e) => set({ host: value(e) })} />
        </div>
        <div class="field narrow">
          <label for="snmp-port">Port</label>
          <input id="snmp-port" required inputMode="numeric" value={draft.port} onInput={(e) => set({ port: value(e) })} />
        </div>
        <div class="field">
          <label for="snmp-version">SNMP version</label>
          <select id="snmp-version" value={draft.version} onChange={(e) => set({ version: value(e) as Draft['version'] })}>
            <option value="v2c">v2c (community)</option>
            <option value="v3">v3 (user)</option>
          </select>
        </div>
        {draft.version === 'v2c' ? (
          <div class="field">
            <label for="snmp-community">Community</label>
            <input id="snmp-community" required value={draft.community} onInput={(e) => set({ community: value(e) })} />
          </div>
        ) : (
          <>
            <div class="field">
              <label for="snmp-user">User name</label>
              <input id="snmp-user" required maxLength={32} value={draft.user} onInput={(e) => set({ user: value(e) })} />
            </div>
            <div class="field">
              <label for="snmp-auth">Authentication</label>
              <select id="snmp-auth" value={draft.authProtocol} onChange={(e) => set({ authProtocol: value(e), ...(value(e) ? {} : { privProtocol: '' }) })}>
                {AUTH.map(([k, n]) => (
                  <option value={k}>{n}</option>
                ))}
              </select>
            </div>
            {draft.authProtocol && (
              <div class="field">
                <label for="snmp-authkey">Authentication key</label>
                <input id="snmp-authkey" type="password" required minLength={8} autoComplete="new-password" value={draft.authKey} onInput={(e) => set({ authKey: value(e) })} />
              </div>
            )}
            <div class="field">
              <label for="snmp-priv">Privacy</label>
              <select id="snmp-priv" value={draft.privProtocol} disabled={!draft.authProtocol} onChange={(e) => set({ privProtocol: value(e) })}>
                {PRIV.map(([k, n]) => (
                  <option value={k}>{n}</option>
                ))}
              </select>
            </div>
            {draft.authProtocol && draft.privProtocol && (
              <div class="field">
                <label for="snmp-privkey">Privacy key</label>
                <input id="snmp-privkey" type="password" required minLength={8} autoComplete="new-password" value={draft.privKey} onInput={(e) => set({ privKey: value(e) })} />
              </div>
            )}
          </>
        )}
        <div class="actions">
          <button type="submit" disabled={act.busy}>
            Add destination
          </button>
        </div>
      </form>
      <Outcome message={act.message} error={act.error ?? dests.error} />
      {dests.data?.items.length === 0 && <p class="empty">No SNMP destinations: alarms are not sent to a NOC. Add one above.</p>}
      {dests.data && dests.data.items.length > 0 && (
        <table class="grid compact" aria-label="SNMP destinations">
          <TableHead columns={['Host', 'Port', 'Version', 'Security']} actions />
          <tbody>
            {dests.data.items.map((d) => (
              <tr data-destination={d.id}>
                <td>{d.host}</td>
                <td>{d.port}</td>
                <td>{d.version}</td>
                <td>{securityOf(d)}</td>
                <td>
                  <button type="button" class="danger" aria-label={`Remove ${d.host}:${d.port}`} onClick={() => remove(d)}>
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
