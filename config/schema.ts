import { Type, type Static, type TSchema } from '@sinclair/typebox';

// ajv reports an enum as one readable error ("must be one of ..."), a union of literals as many.
function StringEnum<T extends string[]>(values: [...T], options: { default?: T[number]; description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values, ...options });
}

/** Bitrates libmp3lame offers at the 8 and 16 kHz sample rates of recordings (MPEG-2 and 2.5). */
export const MP3_BITRATES = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

// One schema serves three purposes: defaults, validation (ajv) and the config reference in the README.
// additionalProperties:false everywhere so a typo in a key is an error that names the key.
const strict = { additionalProperties: false } as const;

export const ListenEntry = Type.String({
  pattern: '^(udp|tcp|tls):(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):[0-9]{1,5}$',
  description: 'transport:host:port, e.g. udp:0.0.0.0:5060 or tcp:[::]:5060',
});

export const HostPort = Type.String({
  pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):[0-9]{1,5}$',
  description: 'host:port',
});

// An SNMPv3 user (RFC 3414): authKey makes it authNoPriv, authKey + privKey authPriv.
// The loader checks that the protocols and keys come in pairs (errors name the key).
const V3User = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 32 }),
    authProtocol: Type.Optional(StringEnum(['sha', 'md5', 'sha256', 'sha512'])),
    authKey: Type.Optional(Type.String({ minLength: 8 })),
    privProtocol: Type.Optional(StringEnum(['aes', 'des'])),
    privKey: Type.Optional(Type.String({ minLength: 8 })),
  },
  strict,
);
export type SnmpV3User = Static<typeof V3User>;

const TrapTarget = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 162 }),
    version: StringEnum(['v2c', 'v3'], { default: 'v2c' }),
    // v2c: the community (required); v3: the user (required, with authKey and privKey: authPriv).
    community: Type.Optional(Type.String({ minLength: 1 })),
    user: Type.Optional(V3User),
  },
  strict,
);
export type SnmpTrapTarget = Static<typeof TrapTarget>;

export const LocalTarget = Type.Object(
  {
    type: Type.Literal('local'),
    name: Type.String({ minLength: 1, default: 'Local' }),
    // null: <dataDir>/media
    path: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
  },
  strict,
);

export const S3Target = Type.Object(
  {
    type: Type.Literal('s3'),
    name: Type.String({ minLength: 1 }),
    endPoint: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    useSSL: Type.Boolean({ default: true }),
    accessKey: Type.String({ minLength: 1 }),
    secretKey: Type.String({ minLength: 1 }),
    bucket: Type.String({ minLength: 3 }),
  },
  strict,
);

export type StorageTarget = Static<typeof LocalTarget> | Static<typeof S3Target>;
export const storageTargetSchemas: Record<string, TSchema> = { local: LocalTarget, s3: S3Target };

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, default: './var' }),
    log: Type.Object(
      {
        level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
      },
      { ...strict, default: {} },
    ),
    sip: Type.Object(
      {
        listen: Type.Array(ListenEntry, { minItems: 1, default: ['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060'] }),
        tls: Type.Object(
          {
            // Paths of PEM files.
            cert: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
            key: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
            // CA that signs SRC client certificates (and is trusted for our outgoing TLS).
            ca: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
            // Trusted sources (CIDRs) that must present a client certificate signed by `ca`.
            requireClientCertFrom: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
          },
          { ...strict, default: {} },
        ),
        trustedSources: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
        maxSessions: Type.Integer({ minimum: 1, default: 500 }),
        // TCP and TLS connections at once; more are closed at once (descriptor budget).
        maxConnections: Type.Integer({ minimum: 1, maximum: 65536, default: 1024 }),
        // INVITEs with SIPREC metadata are 2-4 KB; 64 KB leaves room and bounds memory per message.
        maxMessageBytes: Type.Integer({ minimum: 1024, maximum: 1048576, default: 65536 }),
        // On stop: new INVITEs get 503 at once; calls in progress may finish for this long, then get our BYE.
        shutdownGraceSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 30 }),
      },
      { ...strict, default: {} },
    ),
    media: Type.Object(
      {
        relay: StringEnum(['rtpengine', 'direct'], { default: 'direct' }),
        rtpengine: Type.Object(
          {
            // rtpengine's ng control address (its --listen-ng).
            ng: Type.String({ ...HostPort, default: '127.0.0.1:22222' }),
            // One ng command slower than this counts as rtpengine unreachable (503 to new calls, alarm).
            timeoutMs: Type.Integer({ minimum: 100, maximum: 30000, default: 1000 }),
            // Health ping while idle; any command also counts as a sign of life.
            pingSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 5 }),
          },
          { ...strict, default: {} },
        ),
        rtpPorts: Type.String({ pattern: '^[0-9]{1,5}-[0-9]{1,5}$', default: '40000-49999' }),
        // Address written into the SDP answer; null: the local address the INVITE arrived on.
        advertiseAddress: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
        // A stream without RTP this long (after its last packet, or from its start) is a `no-rtp` event of the call.
        noRtpSeconds: Type.Integer({ minimum: 1, default: 10 }),
        // The MP3 copy made after each call (ffmpeg, libmp3lame), next to the WAV.
        mp3: Type.Object(
          {
            enabled: Type.Boolean({ default: true }),
            // ffmpeg processes at once; null: one per CPU. Queued calls wait; the WAV is playable meanwhile.
            workers: Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Null()], { default: null }),
            // MPEG-2/2.5 Layer III bitrates (recordings are 8 or 16 kHz).
            bitrateKbps: Type.Unsafe<number>({ type: 'integer', enum: MP3_BITRATES, default: 32 }),
          },
          { ...strict, default: {} },
        ),
      },
      { ...strict, default: {} },
    ),
    portal: Type.Object(
      {
        listen: HostPort,
        sessionIdleMinutes: Type.Integer({ minimum: 1, default: 30 }),
      },
      { ...strict, default: { listen: '0.0.0.0:8080' } },
    ),
    snmp: Type.Object(
      {
        agent: Type.Object(
          {
            listen: Type.String({ ...HostPort, default: '0.0.0.0:1161' }),
            // Read-only v2c communities and v3 users the agent answers; none of either: it answers nobody.
            communities: Type.Array(Type.String({ minLength: 1 }), { default: ['public'] }),
            users: Type.Array(V3User, { default: [] }),
            // MIB-II system group (sysContact.0, sysLocation.0).
            contact: Type.String({ default: '' }),
            location: Type.String({ default: '' }),
          },
          { ...strict, default: {} },
        ),
        traps: Type.Array(TrapTarget, { default: [] }),
        applianceId: Type.String({ minLength: 1, maxLength: 60, default: 'sipvault' }),
        // snmpEngineID of agent and trap sender (hex); null: 8000138B04 + the applianceId in hex,
        // which is what a receiver's `createUser -e` needs for v3 traps.
        engineId: Type.Union([Type.String({ pattern: '^([0-9a-fA-F]{2}){5,32}$' }), Type.Null()], { default: null }),
        // acKeepAlive trap to every destination this often; 0: off.
        keepAliveSeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 60 }),
      },
      { ...strict, default: {} },
    ),
    storage: Type.Object(
      {
        // Checked per `type` by the loader (one schema per target type gives errors that name the key).
        target: Type.Unsafe<StorageTarget>({ type: 'object', default: { type: 'local', name: 'Local', path: null } }),
        // Spool-and-forward: finished recordings wait in <dataDir>/spool until the target holds a verified copy.
        upload: Type.Object(
          {
            // Wait after a failed upload, doubled per failure up to retryMaxSeconds.
            retryInitialSeconds: Type.Number({ minimum: 0.1, maximum: 3600, default: 2 }),
            retryMaxSeconds: Type.Number({ minimum: 0.1, maximum: 3600, default: 60 }),
            // Health probe (write, read back, delete a small object); 0: off.
            probeIntervalSeconds: Type.Number({ minimum: 0, maximum: 86400, default: 60 }),
          },
          { ...strict, default: {} },
        ),
        // Free space on the filesystem of the spool: below a floor RecordingResourceUnavailable is
        // raised (major, then critical); at critical new sessions are refused with 503. A floor is
        // crossed when either its percent or its MB limit is; 0 turns that limit off.
        capacity: Type.Object(
          {
            majorFreePercent: Type.Number({ minimum: 0, maximum: 100, default: 10 }),
            criticalFreePercent: Type.Number({ minimum: 0, maximum: 100, default: 5 }),
            majorFreeMB: Type.Number({ minimum: 0, default: 2048 }),
            criticalFreeMB: Type.Number({ minimum: 0, default: 1024 }),
            // A level is left only when free space is this many percent of the filesystem above its floor.
            hysteresisPercent: Type.Number({ minimum: 0, maximum: 50, default: 2 }),
            checkIntervalSeconds: Type.Number({ minimum: 0.1, maximum: 3600, default: 10 }),
          },
          { ...strict, default: {} },
        ),
      },
      { ...strict, default: {} },
    ),
    retention: Type.Object(
      {
        // Days a recording is kept from its start (seed 000: "1 year (365 Days) (Default)"). 0 or null:
        // kept forever. Fixed on each call when it is recorded (its expiresAt).
        defaultDays: Type.Union([Type.Integer({ minimum: 0, maximum: 36500 }), Type.Null()], { default: 365 }),
        // The portal's purge job runs at start and then this often (at least hourly).
        purgeIntervalMinutes: Type.Integer({ minimum: 1, maximum: 60, default: 60 }),
      },
      { ...strict, default: {} },
    ),
  },
  strict,
);

export type Config = Static<typeof ConfigSchema>;
