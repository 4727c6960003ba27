import { useEffect, useState } from 'preact/hooks';
import { Outcome, useAction, useResource, value } from './admin';
import { api } from './api';
import { StorageTargets } from './admin-storage';
import { SnmpDestinations } from './admin-snmp';

// System settings: retention, storage targets (admin-storage.tsx) and SNMP trap destinations
// (admin-snmp.tsx).

interface Retention {
  defaultDays: number | null;
  purgeIntervalMinutes: number;
  overridden: boolean;
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
