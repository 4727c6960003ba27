// Even RTP ports from media.rtpPorts (the odd neighbour stays free for RTCP, RFC 3550 §11).

export class PortAllocator {
  private readonly free: number[] = [];
  private readonly used = new Set<number>();

  constructor(low: number, high: number) {
    for (let p = low % 2 === 0 ? low : low + 1; p + 1 <= high; p += 2) this.free.push(p);
  }

  get available(): number {
    return this.free.length;
  }

  /** Null when the range is exhausted. Ports are reused last (FIFO) so a late packet of an ended call does not land in a new one. */
  take(): number | null {
    const p = this.free.shift();
    if (p === undefined) return null;
    this.used.add(p);
    return p;
  }

  release(port: number): void {
    if (this.used.delete(port)) this.free.push(port);
  }
}
