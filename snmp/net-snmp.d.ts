// The package ships no types; this describes the part the agent and the trap sender use.
declare module 'net-snmp' {
  export interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }

  export interface V3User {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }

  export interface SessionOptions {
    port?: number;
    trapPort?: number;
    version?: number;
    transport?: 'udp4' | 'udp6';
    engineID?: string;
    timeout?: number;
    retries?: number;
  }

  export interface Session {
    trap(typeOrOid: number | string, varbinds: Varbind[], options: { upTime?: number }, callback: (error: Error | null) => void): void;
    trap(typeOrOid: number | string, varbinds: Varbind[], callback: (error: Error | null) => void): void;
    trap(typeOrOid: number | string, callback: (error: Error | null) => void): void;
    on(event: 'error', listener: (error: Error) => void): void;
    close(): void;
  }

  export interface TableColumn {
    number: number;
    name: string;
    type: number;
    maxAccess: number;
    constraints?: unknown;
  }

  export interface MibRequest {
    oid: string;
    operation: number;
    instanceNode: { value: unknown };
    done(error?: { errorStatus: number }): void;
  }

  export interface ProviderDefinition {
    name: string;
    type: number;
    oid: string;
    maxAccess: number;
    scalarType?: number;
    tableColumns?: TableColumn[];
    tableIndex?: Array<{ columnName: string }>;
    handler?: (req: MibRequest) => void;
  }

  export interface Mib {
    registerProvider(definition: ProviderDefinition): void;
    setScalarValue(name: string, value: unknown): void;
    addTableRow(name: string, row: unknown[]): void;
    deleteTableRow(name: string, rowIndex: unknown[]): void;
    getTableCells(name: string, byRow?: boolean, includeInstances?: boolean): unknown[][];
  }

  export interface Authorizer {
    addCommunity(community: string): void;
    addUser(user: V3User): void;
  }

  export interface Agent {
    getMib(): Mib;
    getAuthorizer(): Authorizer;
    close(callback?: () => void): void;
  }

  export interface AgentOptions {
    port?: number;
    address?: string | null;
    transport?: 'udp4' | 'udp6';
    engineID?: string;
    accessControlModelType?: number;
    disableAuthorization?: boolean;
  }

  interface NetSnmp {
    Version2c: number;
    Version3: number;
    ObjectType: Record<'Integer' | 'OctetString' | 'OID' | 'TimeTicks' | 'Gauge' | 'Counter' | 'Unsigned32' | 'Integer32' | 'Gauge32' | 'Counter32', number>;
    TrapType: Record<'ColdStart' | 'WarmStart', number>;
    MibProviderType: Record<'Scalar' | 'Table', number>;
    MaxAccess: Record<'not-accessible' | 'accessible-for-notify' | 'read-only' | 'read-write' | 'read-create', number>;
    SecurityLevel: Record<'noAuthNoPriv' | 'authNoPriv' | 'authPriv', number>;
    AuthProtocols: Record<'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512', number>;
    PrivProtocols: Record<'des' | 'aes' | 'aes256b' | 'aes256r', number>;
    AccessControlModelType: Record<'None' | 'Simple', number>;
    createSession(target: string, community: string, options: SessionOptions): Session;
    createV3Session(target: string, user: V3User, options: SessionOptions): Session;
    createAgent(options: AgentOptions, callback: (error: Error | null, data: unknown) => void, mib?: Mib): Agent;
  }

  const snmp: NetSnmp;
  export default snmp;
}
