// How party search and extension scopes see an address. SRCs send parties as full SIP URIs
// (`sip:+15551234@host`), as AoRs without a scheme (AudioCodes: `+15551234@host`), as tel URIs
// or as bare numbers; operators search by the number they know.

const SCHEME = /^(sips?|tel):/i;

/**
 * The user part of an address: `sip:+15551234@host;user=phone` -> `+15551234`,
 * `"Bill" <sip:732@pbx>` -> `732`, `tel:+15551234;phone-context=x` -> `+15551234`,
 * `732` -> `732`. A SIP URI without a user part (`sip:host`) has none: null.
 */
export function aorUserPart(value: string | null | undefined): string | null {
  if (value == null) return null;
  let v = value.trim();
  const lt = v.indexOf('<');
  const gt = lt >= 0 ? v.indexOf('>', lt + 1) : -1;
  if (lt >= 0 && gt > lt) v = v.slice(lt + 1, gt).trim();
  const scheme = SCHEME.exec(v)?.[1]?.toLowerCase();
  if (scheme) v = v.slice(scheme.length + 1);
  const at = v.indexOf('@');
  if (at >= 0) v = v.slice(0, at);
  else if (scheme === 'sip' || scheme === 'sips') return null;
  // user parameters (`;isub=`, tel `;phone-context=`) and a password (`user:secret@`) are not the user.
  v = v.split(';', 1)[0]!.split(':', 1)[0]!;
  return v === '' ? null : v;
}

/** How one `party` search term is matched (seed 000 §1.7). */
export type PartyMatch =
  /** No `*`: a whole value equals one of `values`, or a user part equals `user`. */
  | { kind: 'exact'; values: [string, string, string]; user: string }
  /** With `*`: whole values and user parts are matched with this LIKE pattern (escape `\`); `*x` = contains x. */
  | { kind: 'like'; pattern: string };

export function partyMatch(term: string): PartyMatch {
  const q = term.trim();
  if (q.includes('*')) {
    let pattern = q.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*+/g, '%');
    // Seed 000: "*Bill will return all calls with a user participant with a name that contains
    // the word 'Bill'": a leading wildcard alone means contains, not ends with.
    if (pattern.startsWith('%') && !pattern.endsWith('%')) pattern += '%';
    return { kind: 'like', pattern };
  }
  // An AoR matches with or without its scheme: sip:x@h finds x@h (AudioCodes) and x@h finds sip:x@h.
  const bare = q.replace(SCHEME, '');
  const values: [string, string, string] = q.includes('@') ? [q, bare, `sip:${bare}`] : [q, q, q];
  return { kind: 'exact', values, user: q };
}
