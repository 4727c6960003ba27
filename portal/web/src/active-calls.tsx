import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Interaction } from './api';
import { participantsLabel, userNames } from './columns';
import { formatDuration, formatTime } from './format';
import { StatusIcon } from './status';
import { CallAnnotations } from './call-annotations';
import { TableHead } from './table-head';

const REFRESH_MS = 5000;

/**
 * Seed 000 §1.16 "Active Calls": calls being recorded now, with a duration that counts up live.
 * §1.17 "My Active Call(s)" (`mine`): the signed-in user's own live calls as cards, each with its
 * Tag and Note, so a user can annotate the call while it is still going on.
 */
export function ActiveCallsPage({ mine = false, myUserId }: { mine?: boolean; myUserId: number }) {
  const [calls, setCalls] = useState<Interaction[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());

  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let stopped = false;
    const load = (background: boolean) =>
      api<{ items: Interaction[] }>('GET', `/calls/active${mine ? '?mine=true' : ''}`, undefined, { background })
        .then((r) => {
          if (stopped) return;
          setCalls(r.items);
          setError(null);
        })
        .catch((err: unknown) => {
          if (stopped || (err instanceof ApiError && err.status === 401)) return;
          setError(`${(err as Error).message}. The list refreshes by itself every few seconds.`);
        });
    void load(false);
    // Only while the page is in view: a tab left in the background should not keep asking.
    const poll = setInterval(() => document.visibilityState === 'visible' && load(true), REFRESH_MS);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stopped = true;
      clearInterval(poll);
      clearInterval(tick);
    };
  }, [mine, generation]);
  const title = mine ? 'My Active Calls' : 'Active Calls';

  return (
    <section class="page" aria-labelledby="active-title">
      <div class="page-head">
        <h1 id="active-title">{title}</h1>
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
          <p>
            {mine
              ? 'You have no call being recorded right now. Your calls appear here while they last (matched by the extensions of your account); this page updates by itself.'
              : 'No calls are being recorded right now. Calls appear here while the SBC streams them to this recorder; this page updates by itself.'}
          </p>
        </div>
      )}
      {mine && calls && calls.length > 0 && (
        <div class="cards">
          {calls.map((c) => (
            <MyCallCard key={c.id} call={c} now={now} myUserId={myUserId} onChanged={async () => setGeneration((g) => g + 1)} />
          ))}
        </div>
      )}
      {!mine && calls && calls.length > 0 && (
        <div class="table-wrap">
          <table class="grid">
            <caption class="sr-only">Calls being recorded now</caption>
            <TableHead columns={['Status', 'User name', 'Start time', 'Duration', 'Direction', 'Participants', 'Called Party', 'Calling Party', 'Tags', 'Notes']} />
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

/** Seed 000 §1.17's USER DETAILS card; the participants count is given for the calling party only. */
function MyCallCard({ call, now, myUserId, onChanged }: { call: Interaction; now: number; myUserId: number; onChanged: () => Promise<void> }) {
  const names = call.participants.map((p) => p.name ?? p.aor ?? p.participantId);
  return (
    <article class="call-card active" data-id={call.id} aria-label={`Call with ${call.direction === 'Outgoing' ? (call.calledParty ?? '') : (call.callingParty ?? '')}`}>
      <h2>
        <StatusIcon status={call.status} /> User details
      </h2>
      <dl class="facts">
        <div>
          <dt>Full Name</dt>
          <dd>{userNames(call)}</dd>
        </div>
        <div>
          <dt>Start Time</dt>
          <dd>{formatTime(call.startTime)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd class="live-duration">{formatDuration(now - Date.parse(call.startTime))}</dd>
        </div>
        <div>
          <dt>Direction</dt>
          <dd>{call.direction}</dd>
        </div>
        <div>
          <dt>Calling Party</dt>
          <dd>
            {call.callingParty ?? ''} {names.length > 0 && <span class="muted">({names.length} participants)</span>}
          </dd>
        </div>
        <div>
          <dt>Called Party</dt>
          <dd>{call.calledParty ?? ''}</dd>
        </div>
        <div>
          <dt>Participants</dt>
          <dd>{names.join(', ')}</dd>
        </div>
      </dl>
      <details>
        <summary>Tag and Note</summary>
        <CallAnnotations it={call} myUserId={myUserId} onChanged={onChanged} />
      </details>
    </article>
  );
}

