// The portal API as the UI uses it: JSON in and out, the CSRF token on every state-changing
// request, and one place that notices an ended session.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
let onSessionEnded: ((message: string) => void) | null = null;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when an authenticated request answers 401: the session expired or was ended elsewhere. */
export function whenSessionEnds(handler: (message: string) => void): void {
  onSessionEnded = handler;
}

/**
 * `anonymous`: a 401 is an answer, not an ended session. `background`: a refresh the page does by
 * itself, which the portal does not count as activity (an unattended page still times out).
 */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, opts: { anonymous?: boolean; background?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  // A file (the logo) goes as it is, typed by the browser; everything else as JSON.
  const raw = body instanceof Blob;
  if (body !== undefined) headers['content-type'] = raw ? body.type || 'application/octet-stream' : 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (opts.background) headers['x-sipvault-background'] = '1';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: raw ? body : JSON.stringify(body) } : {}) });
  } catch {
    throw new ApiError(0, 'The appliance cannot be reached. Check the network connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => null)) as { message?: string } | null;
  if (!res.ok) {
    const message = data?.message ?? `${res.status} ${res.statusText}`;
    if (res.status === 401 && !opts.anonymous) onSessionEnded?.('Your session has ended. Sign in again to continue.');
    throw new ApiError(res.status, message);
  }
  return data as T;
}

export type Role = 'sysadmin' | 'admin' | 'supervisor' | 'user' | 'auditor';
export type Pending = 'password-change' | 'totp-enrolment' | null;

export interface SessionInfo {
  user: { id: number; username: string; role: Role };
  totpEnabled: boolean;
  csrfToken: string;
  pending: Pending;
}

export type Status = 'recording' | 'pending' | 'available' | 'failed' | 'deleted';

export interface Participant {
  participantId: string;
  name: string | null;
  aor: string | null;
  role: 'calling' | 'called' | 'other';
}

export interface Stream {
  label: string;
  participantId: string | null;
  channel: number;
  mixed: boolean;
  codec: string | null;
  packets: number;
  lost: number;
  expected: number;
  lossRate: number;
  maxLossRate20s: number;
  duplicates: number;
  reordered: number;
  late: number;
  jitterMs: number;
  jitterMaxMs: number;
  concealedMs: number;
  concealedRatio: number;
  estMos: number | null;
}

export interface MediaFile {
  format: 'wav' | 'mp3';
  bytes: number;
  durationMs: number;
  channels: number;
  sampleRate: number;
}

export interface Interaction {
  id: string;
  callId: string;
  startTime: string;
  endTime: string | null;
  durationMs: number | null;
  direction: 'Incoming' | 'Outgoing' | 'None';
  callingParty: string | null;
  calledParty: string | null;
  participants: Participant[];
  status: Status;
  releaseCause: 'Normal' | 'Failure' | 'Missed' | 'Abandoned' | 'Transferred' | null;
  partial: boolean;
  failureReason: string | null;
  streams: Stream[];
  tags: string[];
  files: MediaFile[];
  answerTime: string | null;
  callType: string | null;
  originalCallId: string | null;
  expiresAt: string | null;
  legalHold: boolean;
  targets: Array<{ userId: number; username: string; direction: string; legalHold: boolean }>;
  notes: Array<{ id: number; authorId: number | null; author: string | null; text: string; createdAt: string }>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SpeechSegment {
  channel: 'left' | 'right';
  startMs: number;
  endMs: number;
}

/** GET /me/access: what the signed-in user may do; the UI shows and hides actions by it. */
export interface MyAccess {
  userId: number;
  username: string;
  role: Role;
  roleName: string;
  callScope: string;
  callScopeName: string;
  permissions: string[];
}

/**
 * A state-changing request whose answer is a file (the CSV export): fetched as a blob and handed
 * to the browser as a download, so errors still come back as a message instead of a broken file.
 */
export async function downloadPost(path: string, body: unknown, fallbackName: string): Promise<void> {
  const res = await fetch(`/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken, accept: 'text/csv, application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(body),
  }).catch(() => {
    throw new ApiError(0, 'The appliance cannot be reached. Check the network connection and try again.');
  });
  if (!res.ok) {
    const data = (await res.json().catch(() => null)) as { message?: string } | null;
    if (res.status === 401) onSessionEnded?.('Your session has ended. Sign in again to continue.');
    throw new ApiError(res.status, data?.message ?? `${res.status} ${res.statusText}`);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  saveBlob(await res.blob(), name);
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
