// Public API of the SIP layer. Protocol only: SIPREC, SDP and media live in recorder/siprec.
export { SipStack, type SipStackOptions, type SipStackStats, type SipRequestOptions } from './sip-stack.js';
export type { ServerRequest, ResponseOptions } from './uas/server-request.js';
export type { SipSource, BoundAddress, Destination, TransportProtocol } from './transports/transport.js';
export type { SipTlsOptions } from './transports/tls-transport.js';
export { SipRequestError, type SipRequestFailure } from './uac/request-error.js';
export { DEFAULT_TIMERS, type TimerValues } from './transactions/timers.js';

export type { SipRequest, SipResponse, SipMessage } from './messages/types.js';
export { isRequest } from './messages/types.js';
export { SipHeaders } from './messages/headers.js';
export { canonicalHeaderName, isMultiValueHeader } from './messages/header-names.js';
export { parseMessage, EMPTY_MESSAGE, type ParseOptions, type ParseResult, type PartialMessage } from './messages/parser.js';
export { serializeRequest, serializeResponse } from './messages/serializer.js';
export { buildResponse, type BuildResponseOptions } from './messages/response-builder.js';
export { reasonPhrase } from './messages/reason-phrases.js';
export { parseNameAddr, tryParseNameAddr, formatNameAddr, type NameAddr } from './messages/name-addr.js';
export { parseUri, parseHostPort, type SipUri } from './messages/uri.js';
export { parseVia, type Via } from './messages/via.js';
export { parseCSeq, type CSeq } from './messages/cseq.js';
export { parseContentType, type ContentType } from './messages/content-type.js';
export { getParam, parseParams, splitUnquoted, unquote } from './messages/grammar.js';
