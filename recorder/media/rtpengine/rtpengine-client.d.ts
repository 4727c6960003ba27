// The package ships no types; ng-client.ts describes the part we use.
declare module 'rtpengine-client' {
  const rtpengineClient: unknown;
  export default rtpengineClient;
}
