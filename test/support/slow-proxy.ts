// A TCP proxy that passes requests to the target at a limited rate, so a test can catch an upload
// in the middle (and kill the uploader then). Responses pass at full speed.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class SlowProxy {
  /** First line of every request seen, with the request bytes forwarded on its connection so far. */
  readonly requests: Array<{ line: string; forwarded: number }> = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, bytesPerSecond: number): Promise<SlowProxy> {
    let self: SlowProxy | null = null;
    const server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      self!.sockets.add(client).add(upstream);
      let current: { line: string; forwarded: number } | null = null;
      client.on('data', (chunk: Buffer) => {
        const head = chunk.subarray(0, 200).toString('latin1');
        const m = /^(GET|PUT|POST|HEAD|DELETE) \S+/.exec(head);
        if (m) {
          current = { line: m[0], forwarded: 0 };
          self!.requests.push(current);
        }
        upstream.write(chunk);
        if (current) current.forwarded += chunk.length;
        client.pause();
        setTimeout(() => client.resume(), (chunk.length / bytesPerSecond) * 1000);
      });
      upstream.pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new SlowProxy(server, (server.address() as { port: number }).port);
    return self;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}
