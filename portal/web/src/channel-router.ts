// Per-channel focus for the player: the recording is stereo (caller left, callee right), and a
// reviewer often needs to hear one side alone, in both ears. The media element's output goes
// through Web Audio: split into its two channels, each routed to the left and right outputs with
// its own gain, then a master gain for volume and mute, and an analyser per output ear for the
// level meters. A media element can be connected to Web Audio only once in its life, so one
// router belongs to one element for good.

export type Focus = 'both' | 'left' | 'right';

// [left->L, left->R, right->L, right->R]
const ROUTES: Record<Focus, [number, number, number, number]> = {
  both: [1, 0, 0, 1],
  left: [1, 1, 0, 0],
  right: [0, 0, 1, 1],
};

const routers = new WeakMap<HTMLMediaElement, ChannelRouter>();

export class ChannelRouter {
  private readonly ctx: AudioContext;
  private readonly routes: GainNode[];
  private readonly master: GainNode;
  private readonly ears: [AnalyserNode, AnalyserNode];
  private readonly buffer: Float32Array<ArrayBuffer>;

  /** The element's router, made on first use (that must be a user gesture: it starts audio). */
  static of(media: HTMLMediaElement): ChannelRouter {
    let r = routers.get(media);
    if (!r) {
      r = new ChannelRouter(media);
      routers.set(media, r);
    }
    return r;
  }

  private constructor(media: HTMLMediaElement) {
    this.ctx = new AudioContext();
    const source = this.ctx.createMediaElementSource(media);
    const split = this.ctx.createChannelSplitter(2);
    const merge = this.ctx.createChannelMerger(2);
    this.master = this.ctx.createGain();
    source.connect(split);
    this.routes = [0, 1, 2, 3].map((i) => {
      const g = this.ctx.createGain();
      split.connect(g, i < 2 ? 0 : 1);
      g.connect(merge, 0, i % 2);
      return g;
    });
    merge.connect(this.master);
    this.master.connect(this.ctx.destination);
    const outSplit = this.ctx.createChannelSplitter(2);
    this.master.connect(outSplit);
    this.ears = [0, 1].map((ch) => {
      const a = this.ctx.createAnalyser();
      a.fftSize = 1024;
      outSplit.connect(a, ch);
      return a;
    }) as [AnalyserNode, AnalyserNode];
    this.buffer = new Float32Array(new ArrayBuffer(1024 * 4));
    // The element's own volume would apply on top of ours: it stays at full, ours does the work.
    media.volume = 1;
    media.muted = false;
    this.focus('both');
  }

  focus(focus: Focus): void {
    ROUTES[focus].forEach((v, i) => this.routes[i]!.gain.setValueAtTime(v, this.ctx.currentTime));
    void this.ctx.resume();
  }

  volume(volume: number, muted: boolean): void {
    this.master.gain.setValueAtTime(muted ? 0 : volume, this.ctx.currentTime);
  }

  /** RMS of what each ear gets now, 0 to 1. */
  levels(): [number, number] {
    return this.ears.map((a) => {
      a.getFloatTimeDomainData(this.buffer);
      let sum = 0;
      for (const x of this.buffer) sum += x * x;
      return Math.sqrt(sum / this.buffer.length);
    }) as [number, number];
  }
}
