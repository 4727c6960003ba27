// Is this INVITE a recording session? The field is lenient (reference/interop.md): accept when
// ANY of the RFC 7866 markers or the field's variants is present.

export interface RsMarkers {
  requireSiprec: boolean;
  contactSrc: boolean;
  multipartWithSdp: boolean;
}

export function recordingSessionMarkers(require: string[], contacts: string[], multipartWithSdp: boolean): RsMarkers {
  return {
    requireSiprec: require.some((r) => r.trim().toLowerCase() === 'siprec'),
    // +sip.src (RFC), ;src (older AudioCodes, BroadWorks), inside URI params (Avaya SBCE)
    contactSrc: contacts.some((c) => /[;<]\s*(\+sip\.)?src(?=[;>=\s]|$)/i.test(c)),
    multipartWithSdp,
  };
}

export function isRecordingSession(m: RsMarkers): boolean {
  return m.requireSiprec || m.contactSrc || m.multipartWithSdp;
}
