// The reorder window of one stream: received packets wait here, keyed by extended sequence
// number, until their timeline position is older than the playout horizon (the session's jitter
// window); then they are released in sequence order, so stateful decoders (G.722, Opus) see them
// in order and gaps are known for what they are. A packet whose turn has passed is late.
//
// Fixed-size slots and one payload slab per stream: inserting copies the payload, nothing else.

export const SLOTS = 64; // 1.28 s of 20 ms packets; the playout horizon holds at most ~0.5 s
const MASK = SLOTS - 1;
const INITIAL_SLOT_BYTES = 320;

export const enum PacketKind {
  Audio = 0,
  Event = 1,
  ComfortNoise = 2,
  Other = 3,
}

export class JitterBuffer {
  private readonly seqs = new Float64Array(SLOTS).fill(-1);
  readonly pos = new Float64Array(SLOTS);
  readonly kind = new Uint8Array(SLOTS);
  readonly len = new Uint16Array(SLOTS);
  private slotBytes = INITIAL_SLOT_BYTES;
  /** Payload of slot i is slab[i * slotBytes, + len[i]). */
  slab = Buffer.alloc(SLOTS * INITIAL_SLOT_BYTES);
  private held = 0;
  /** Next extended sequence number to release; -1 before the first packet. */
  private next = -1;
  private released = false;

  get size(): number {
    return this.held;
  }

  /** First sequence number still to come: anything below it was released or given up. */
  get nextSeq(): number {
    return this.next;
  }

  offset(slot: number): number {
    return slot * this.slotBytes;
  }

  /** True when `ext` would not fit without releasing older packets first (see release's `below`). */
  overflows(ext: number): boolean {
    return this.next >= 0 && ext >= this.next + SLOTS;
  }

  /**
   * Keeps a packet until its turn. False when its turn has passed (it is late) or it does not fit;
   * the caller releases older packets first when `overflows(ext)`.
   */
  insert(ext: number, pos: number, kind: PacketKind, buf: Buffer, from: number, to: number): boolean {
    if (this.next < 0) this.next = ext;
    if (ext < this.next) {
      // Before anything was released, a packet slightly older than the first one still fits.
      if (this.released || this.held + (this.next - ext) > SLOTS || this.highest() - ext >= SLOTS) return false;
      this.next = ext;
    }
    if (ext >= this.next + SLOTS) return false;
    const slot = ext & MASK;
    const n = kind === PacketKind.Audio || kind === PacketKind.ComfortNoise ? to - from : 0;
    if (n > this.slotBytes) this.grow(n);
    this.seqs[slot] = ext;
    this.pos[slot] = pos;
    this.kind[slot] = kind;
    this.len[slot] = n;
    if (n > 0) buf.copy(this.slab, slot * this.slotBytes, from, to);
    this.held++;
    return true;
  }

  /**
   * The slot of the next packet due, or -1. Due: position before `horizon`, or sequence number
   * below `below` (forced). Missing numbers before it are given up (the caller sees the jump in
   * `lastReleased`).
   */
  release(horizon: number, below: number): number {
    if (this.held === 0) return -1;
    for (let s = this.next, end = this.next + SLOTS; s < end; s++) {
      const slot = s & MASK;
      if (this.seqs[slot] !== s) continue;
      if (this.pos[slot]! >= horizon && s >= below) return -1;
      this.lastReleased = s;
      this.next = s + 1;
      this.seqs[slot] = -1;
      this.held--;
      this.released = true;
      return slot;
    }
    return -1;
  }

  /** Extended sequence number of the packet release() returned last. */
  lastReleased = -1;

  /** Gives up every number below `ext` (after the caller released what was held below it). */
  advanceTo(ext: number): void {
    if (ext > this.next) this.next = ext;
  }

  /** Smallest position of the packets held (Infinity when none). */
  earliestPos(): number {
    let p = Infinity;
    if (this.held === 0) return p;
    for (let i = 0; i < SLOTS; i++) if (this.seqs[i]! >= 0 && this.pos[i]! < p) p = this.pos[i]!;
    return p;
  }

  /** Moves every packet held by `delta` samples on the timeline (their stream's mapping moved). */
  shift(delta: number): void {
    if (this.held === 0) return;
    for (let i = 0; i < SLOTS; i++) if (this.seqs[i]! >= 0) this.pos[i] = this.pos[i]! + delta;
  }

  /** Drops everything (a new segment: the caller released what it wanted first). */
  reset(): void {
    this.seqs.fill(-1);
    this.held = 0;
    this.next = -1;
    this.released = false;
    this.lastReleased = -1;
  }

  private highest(): number {
    let h = -1;
    for (let i = 0; i < SLOTS; i++) if (this.seqs[i]! > h) h = this.seqs[i]!;
    return h;
  }

  private grow(bytes: number): void {
    // Rare (a stream whose packets outgrow the slot): one allocation, then the slab stays.
    const size = Math.min(1 << Math.ceil(Math.log2(bytes)), 0x10000);
    const slab = Buffer.alloc(SLOTS * size);
    for (let i = 0; i < SLOTS; i++) this.slab.copy(slab, i * size, i * this.slotBytes, i * this.slotBytes + this.len[i]!);
    this.slab = slab;
    this.slotBytes = size;
  }
}
