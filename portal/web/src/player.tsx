import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import WaveSurfer from 'wavesurfer.js';
import { api, ApiError, type Interaction, type SpeechSegment } from './api';
import { participantsLabel, userNames } from './columns';
import { ChannelRouter, type Focus } from './channel-router';
import { formatClock, formatDate, formatDay, formatDuration, formatTime, percent, waitTime } from './format';
import { NextIcon, PauseIcon, PlayIcon, PreviousIcon, SpeakerIcon } from './icons';
import { linkClick } from './router';
import { nextSegmentStart, previousSegmentStart, speakersOf } from './speakers';
import { STATUS_INFO, StatusIcon } from './status';
import { CallAnnotations } from './call-annotations';
import { TableHead } from './table-head';

// Seed 000 §1.9 playback speeds.
const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];
const FOCUS_ORDER: Focus[] = ['both', 'left', 'right'];
const CHANNEL_COLOURS = { left: '#2563eb', right: '#d97706' } as const;
const SEEK_STEP = 5;

const isTyping = (t: EventTarget | null) => t instanceof HTMLElement && (t.closest('input, select, textarea') !== null || t.isContentEditable);

export function PlayerPage({ id, myUserId }: { id: string; myUserId: number }) {
  const [it, setIt] = useState<Interaction | null>(null);
  const [segments, setSegments] = useState<SpeechSegment[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setIt(null);
    setError(null);
    Promise.all([api<Interaction>('GET', `/interactions/${id}`), api<{ items: SpeechSegment[] }>('GET', `/interactions/${id}/speech`)])
      .then(([i, s]) => {
        setIt(i);
        setSegments(s.items);
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) return;
        setError(
          err instanceof ApiError && (err.status === 404 || err.status === 400)
            ? 'This interaction does not exist or you are not allowed to see it. Go back to the interactions list and pick another call.'
            : (err as Error).message,
        );
      });
  }, [id]);

  return (
    <section class="page" aria-labelledby="player-title">
      <p>
        <a href="/interactions" onClick={linkClick}>
          ← Interactions
        </a>
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!it && !error && <p aria-live="polite">Loading the call…</p>}
      {it && <Player it={it} segments={segments} />}
      {it && <CallAnnotations it={it} myUserId={myUserId} onChanged={() => api<Interaction>('GET', `/interactions/${id}`).then(setIt)} />}
    </section>
  );
}

function Player({ it, segments }: { it: Interaction; segments: SpeechSegment[] }) {
  const waveRef = useRef<HTMLDivElement>(null);
  const audioRef = useRef<HTMLAudioElement>(null);
  const ws = useRef<WaveSurfer | null>(null);
  const [ready, setReady] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const [duration, setDuration] = useState((it.durationMs ?? 0) / 1000);
  const [speed, setSpeed] = useState(1);
  const [volume, setVolume] = useState(0.8);
  const [muted, setMuted] = useState(false);
  const [focus, setFocus] = useState<Focus>('both');
  const [levels, setLevels] = useState<[number, number] | null>(null);
  const router = useRef<ChannelRouter | null>(null);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const speakers = useMemo(() => speakersOf(it), [it]);
  const shownSegments = segments.filter((s) => !hidden.has(s.channel));
  const wav = it.files.find((f) => f.format === 'wav');
  const mp3 = it.files.find((f) => f.format === 'mp3');
  const playable = it.status === 'available' && wav !== undefined;

  useEffect(() => {
    if (!playable || !waveRef.current || !audioRef.current) return;
    const w = WaveSurfer.create({
      container: waveRef.current,
      media: audioRef.current,
      url: `/api/v1/interactions/${it.id}/media?format=wav`,
      // A ranged request from byte 0 is what the portal audits as listening (media.play), not a download.
      fetchParams: { headers: { range: 'bytes=0-' }, credentials: 'same-origin' },
      height: 56,
      barWidth: 2,
      barGap: 1,
      barRadius: 2,
      cursorColor: '#0f172a',
      cursorWidth: 2,
      normalize: true,
      dragToSeek: true,
      // One waveform per side of the stereo file, in the colours of the speaker timeline.
      splitChannels: [
        { waveColor: '#93c5fd', progressColor: CHANNEL_COLOURS.left },
        { waveColor: '#fcd34d', progressColor: CHANNEL_COLOURS.right },
      ],
    });
    ws.current = w;
    w.on('ready', (d) => {
      setDuration(d);
      setReady(true);
    });
    w.on('timeupdate', (t) => setTime(t));
    w.on('play', () => setPlaying(true));
    w.on('pause', () => setPlaying(false));
    w.on('finish', () => setPlaying(false));
    w.on('error', (e) => setLoadError(`The recording could not be loaded (${e instanceof Error ? e.message : String(e)}). Try again, or download it below.`));
    return () => {
      w.destroy();
      ws.current = null;
    };
  }, [it.id, playable]);

  useEffect(() => ws.current?.setPlaybackRate(speed, true), [speed, ready]);
  useEffect(() => {
    if (router.current) router.current.volume(volume, muted);
    else {
      ws.current?.setVolume(volume);
      ws.current?.setMuted(muted);
    }
  }, [volume, muted, ready, focus]);
  // Web Audio only once a side is chosen: until then the element plays as it is.
  const listenTo = (f: Focus) => {
    if (!router.current && audioRef.current) router.current = ChannelRouter.of(audioRef.current);
    router.current?.focus(f);
    setFocus(f);
  };
  useEffect(() => {
    if (!playing || !router.current) return;
    const timer = setInterval(() => setLevels(router.current!.levels()), 100);
    return () => clearInterval(timer);
  }, [playing, focus]);

  const seek = (t: number) => ws.current?.setTime(Math.max(0, Math.min(duration, t)));
  const toggle = () => void ws.current?.playPause();
  const nextSegment = () => {
    const t = nextSegmentStart(shownSegments, ws.current?.getCurrentTime() ?? time);
    if (t !== null) seek(t);
  };
  const previousSegment = () => {
    const t = previousSegmentStart(shownSegments, ws.current?.getCurrentTime() ?? time);
    if (t !== null) seek(t);
  };

  useEffect(() => {
    if (!ready) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
      const now = ws.current?.getCurrentTime() ?? 0;
      if (e.key === ' ' && !(e.target instanceof HTMLButtonElement) && !(e.target instanceof HTMLAnchorElement)) toggle();
      else if (e.key === 'ArrowLeft') (e.shiftKey ? previousSegment() : seek(now - SEEK_STEP));
      else if (e.key === 'ArrowRight') (e.shiftKey ? nextSegment() : seek(now + SEEK_STEP));
      else if (e.key === 'ArrowUp') setVolume((v) => Math.min(1, Math.round((v + 0.1) * 10) / 10));
      else if (e.key === 'ArrowDown') setVolume((v) => Math.max(0, Math.round((v - 0.1) * 10) / 10));
      else if (e.key === 'm') setMuted((m) => !m);
      else if (e.key === 'f') listenTo(FOCUS_ORDER[(FOCUS_ORDER.indexOf(focus) + 1) % FOCUS_ORDER.length]!);
      else return;
      e.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  const toggleSpeaker = (channel: string) => {
    const next = new Set(hidden);
    if (next.has(channel)) next.delete(channel);
    else next.add(channel);
    setHidden(next);
  };
  const total = duration || (it.durationMs ?? 0) / 1000;

  return (
    <article class="player" aria-labelledby="player-title">
      <header class="player-head">
        <div>
          <h1 id="player-title">{it.targets.length ? userNames(it) : 'Unassigned call'}</h1>
          <p class="muted">
            {formatDate(it.startTime)} · <StatusIcon status={it.status} /> <span class="play-state">{playable ? (playing ? 'PLAYING' : 'PAUSED') : STATUS_INFO[it.status].label.toUpperCase()}</span>
          </p>
        </div>
        <p class="clock" aria-label="Elapsed and total time">
          <span class="elapsed">{formatClock(time)}</span> / <span class="total">{formatClock(total)}</span>
        </p>
      </header>

      {!playable && (
        <p class="notice" role="status">
          {it.status === 'recording'
            ? 'This call is still being recorded. It can be played once it has ended and been stored; see Active Calls meanwhile.'
            : it.status === 'pending'
              ? 'The call has ended and its recording is being stored. Reload this page in a few seconds to play it.'
              : it.status === 'deleted'
                ? 'The recording has been deleted; only its details remain.'
                : `The recording failed${it.failureReason ? `: ${it.failureReason}` : ''}. There is no audio to play.`}
        </p>
      )}

      <audio ref={audioRef} preload="auto" class="sr-only" aria-hidden="true" tabIndex={-1} />
      {playable && (
        <>
          <div class="wave-wrap">
            <div class="channel-names" aria-hidden="true">
              {speakers.map((s) => (
                <span style={{ color: CHANNEL_COLOURS[s.channel] }}>{s.name}</span>
              ))}
            </div>
            <div ref={waveRef} class="wave" aria-label="Waveform of the recording, one row per side of the call" role="img" />
            {!ready && !loadError && <p class="muted">Loading the recording…</p>}
            {loadError && (
              <p class="error" role="alert">
                {loadError}
              </p>
            )}
          </div>

          <SpeakerTimeline segments={segments} hidden={hidden} speakers={speakers} total={total} time={time} onSeek={seek} onToggle={toggleSpeaker} onReset={() => setHidden(new Set())} />

          <div class="controls" role="group" aria-label="Playback controls">
            <button type="button" onClick={previousSegment} disabled={!ready} aria-label="Jumps to previous segment" title="Previous segment (Shift+←)">
              <PreviousIcon />
            </button>
            <button type="button" class="primary play" onClick={toggle} disabled={!ready} aria-label={playing ? 'Pause' : 'Play'} title="Play/Pause (Space)">
              {playing ? <PauseIcon /> : <PlayIcon />}
            </button>
            <button type="button" onClick={nextSegment} disabled={!ready} aria-label="Jumps to next segment" title="Next segment (Shift+→)">
              <NextIcon />
            </button>
            <label for="speed">Speed</label>
            <select id="speed" value={String(speed)} onChange={(e) => setSpeed(Number((e.currentTarget as HTMLSelectElement).value))}>
              {SPEEDS.map((s) => (
                <option value={String(s)}>{s}×</option>
              ))}
            </select>
            <button type="button" aria-pressed={muted} onClick={() => setMuted(!muted)} aria-label="Mute" title="Mute (M)">
              <SpeakerIcon muted={muted || volume === 0} />
            </button>
            <label for="volume">Volume</label>
            <input id="volume" type="range" min="0" max="100" step="5" value={String(Math.round(volume * 100))} onInput={(e) => setVolume(Number((e.currentTarget as HTMLInputElement).value) / 100)} />
            <label for="focus">Listen to</label>
            <select id="focus" value={focus} onChange={(e) => listenTo((e.currentTarget as HTMLSelectElement).value as Focus)} title="Hear one side alone, in both ears (F)">
              <option value="both">Both sides</option>
              <option value="left">{speakers[0]!.name} only</option>
              <option value="right">{speakers[1]!.name} only</option>
            </select>
            {levels && (
              <span class="ears">
                <meter aria-label="Left ear level" min={0} max={0.5} value={levels[0]} />
                <meter aria-label="Right ear level" min={0} max={0.5} value={levels[1]} />
              </span>
            )}
          </div>
          <p class="hint muted">Keys: Space play/pause · ←/→ 5 s · Shift+←/→ previous/next segment · ↑/↓ volume · M mute · F listen to one side</p>
        </>
      )}

      <div class="downloads">
        {wav && (
          <a class="button" href={`/api/v1/interactions/${it.id}/media/download?format=wav`} download>
            Download WAV
          </a>
        )}
        {mp3 && (
          <a class="button" href={`/api/v1/interactions/${it.id}/media/download?format=mp3`} download>
            Download MP3
          </a>
        )}
      </div>

      <InfoPanel it={it} />
    </article>
  );
}

function SpeakerTimeline(props: {
  segments: SpeechSegment[];
  hidden: Set<string>;
  speakers: ReturnType<typeof speakersOf>;
  total: number;
  time: number;
  onSeek: (t: number) => void;
  onToggle: (channel: string) => void;
  onReset: () => void;
}) {
  const { segments, hidden, speakers, total, time } = props;
  const pct = (ms: number) => `${total > 0 ? Math.min(100, (ms / 1000 / total) * 100) : 0}%`;
  const seekAt = (e: MouseEvent) => {
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    props.onSeek(((e.clientX - r.left) / r.width) * total);
  };
  return (
    <div class="timeline" aria-label="Speaker timeline">
      <div class="legend" role="group" aria-label="Speakers">
        {speakers.map((s) => (
          <button type="button" class="speaker" aria-pressed={!hidden.has(s.channel)} onClick={() => props.onToggle(s.channel)} title="Show or hide this speaker's segments">
            <span class="swatch" style={{ background: CHANNEL_COLOURS[s.channel] }} aria-hidden="true" />
            {s.name}
          </button>
        ))}
        <button type="button" onClick={props.onReset} disabled={hidden.size === 0}>
          Reset
        </button>
      </div>
      {segments.length === 0 && <p class="muted">No speech was detected in this recording.</p>}
      <div class="tracks" onClick={seekAt}>
        {speakers.map((s) => (
          <div class="track" data-channel={s.channel}>
            {!hidden.has(s.channel) &&
              segments
                .filter((g) => g.channel === s.channel)
                .map((g) => (
                  <span
                    class="segment"
                    style={{ left: pct(g.startMs), width: pct(g.endMs - g.startMs), background: CHANNEL_COLOURS[s.channel] }}
                    title={`${s.name}: ${formatClock(g.startMs / 1000)}–${formatClock(g.endMs / 1000)}`}
                  />
                ))}
          </div>
        ))}
        <span class="playhead" style={{ left: pct(time * 1000) }} aria-hidden="true" />
      </div>
    </div>
  );
}

function InfoPanel({ it }: { it: Interaction }) {
  const rows: Array<[string, string]> = [
    ['Date', formatDay(it.startTime)],
    ['Start time', formatTime(it.startTime)],
    ['Answer Time', formatTime(it.answerTime) || 'Not signalled'],
    ['Release Time', formatTime(it.endTime) || (it.status === 'recording' ? 'In progress' : '')],
    ['Call Wait Time', waitTime(it.startTime, it.answerTime)],
    ['Duration', formatDuration(it.durationMs)],
    ['Direction', it.direction],
    ['Calling Party', it.callingParty ?? ''],
    ['Called Party', it.calledParty ?? ''],
    ['Participants', participantsLabel(it)],
    ['Release Cause', it.releaseCause ?? ''],
    ['Call Type', it.callType ?? ''],
    ['Tags', it.tags.length ? it.tags.join(', ') : 'None'],
    ['Call Expiration', it.expiresAt ? formatDay(it.expiresAt) : 'Kept forever'],
    ['Legal Hold', it.legalHold ? 'Yes' : 'No'],
    ['Original Call ID', it.originalCallId ?? ''],
    ['SipCallId', it.callId],
  ];
  return (
    <section class="info" aria-labelledby="info-title">
      <h2 id="info-title">Call details</h2>
      <dl class="facts">
        {rows.map(([k, v]) => (
          <div>
            <dt>{k}</dt>
            <dd>{v || '—'}</dd>
          </div>
        ))}
      </dl>
      {it.participants.length > 0 && (
        <>
          <h3>Participants</h3>
          <ul class="plain">
            {it.participants.map((p) => (
              <li>
                {p.name ?? p.aor ?? p.participantId}
                {p.name && p.aor ? <span class="muted"> ({p.aor})</span> : null} <span class="muted">· {p.role}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {it.streams.length > 0 && (
        <>
          <h3>Recording quality per stream</h3>
          <div class="table-wrap">
            <table class="grid compact">
              <TableHead columns={['Stream', 'Side', 'Codec', 'Packets', 'Lost', 'Loss', 'Worst 20 s', 'Jitter avg / max', 'Concealed', 'MOS (est.)']} />
              <tbody>
                {it.streams.map((s) => (
                  <tr>
                    <td>{s.label}</td>
                    <td>{s.mixed ? 'both' : s.channel === 0 ? 'left' : 'right'}</td>
                    <td>{s.codec ?? '—'}</td>
                    <td>{s.packets}</td>
                    <td>{s.lost}</td>
                    <td>{percent(s.lossRate)}</td>
                    <td>{percent(s.maxLossRate20s)}</td>
                    <td>
                      {s.jitterMs.toFixed(1)} / {s.jitterMaxMs.toFixed(1)} ms
                    </td>
                    <td>{percent(s.concealedRatio)}</td>
                    <td>{s.estMos === null ? '—' : s.estMos.toFixed(2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
