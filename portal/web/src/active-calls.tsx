import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Interaction } from './api';
import { participantsLabel, userNames } from './columns';
import { formatDuration, formatTime } from './format';
import { StatusIcon } from './status';

const REFRESH_MS = 5000;

/** Seed 000 §1.16: calls being recorded now, with a duration that counts up live. */
export function ActiveCallsPage() {
  const [calls, setCalls] = useState<Interaction[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let stopped = false;
    const load = () =>
      api<{ items: Interaction[] }>('GET', '/calls/active')
        .then((r) => {
          if (stopped) return;
          setCalls(r.items);
          setError(null);
        })
        .catch((err: unknown) => {
          if (stopped || (err instanceof ApiError && err.status === 401)) return;
          setError(`${(err as Error).message}. The list refreshes by itself every few seconds.`);
        });
    void load();
    // Only while the page is in view: a tab left in the background should not keep asking.
    const poll = setInterval(() => document.visibilityState === 'visible' && load(), REFRESH_MS);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stopped = true;
      clearInterval(poll);
      clearInterval(tick);
    };
  }, []);

  return (
    <section class="page" aria-labelledby="active-title">
      <div class="page-head">
        <h1 id="active-title">Active Calls</h1>
        <p class="counter" aria-live="polite">
          {calls ? `Total Calls: ${calls.length}` : 'Loading…'}
        </p>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {calls && calls.length === 0 && (
        <div class="empty">
          <p>No calls are being recorded right now. Calls appear here while the SBC streams them to this recorder; this page updates by itself.</p>
        </div>
      )}
      {calls && calls.length > 0 && (
        <div class="table-wrap">
          <table class="grid">
            <caption class="sr-only">Calls being recorded now</caption>
            <thead>
              <tr>
                {['Status', 'User name', 'Start time', 'Duration', 'Direction', 'Participants', 'Called Party', 'Calling Party', 'Tags', 'Notes'].map((h) => (
                  <th scope="col">{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {calls.map((c) => (
                <tr class="active" data-id={c.id}>
                  <td>
                    <StatusIcon status={c.status} />
                  </td>
                  <td>{userNames(c)}</td>
                  <td>{formatTime(c.startTime)}</td>
                  <td class="live-duration">{formatDuration(now - Date.parse(c.startTime))}</td>
                  <td>{c.direction}</td>
                  <td>{participantsLabel(c)}</td>
                  <td>{c.calledParty ?? ''}</td>
                  <td>{c.callingParty ?? ''}</td>
                  <td>{c.tags.length ? `Tag (${c.tags.length})` : ''}</td>
                  <td>{c.notes.length ? `Note (${c.notes.length})` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
