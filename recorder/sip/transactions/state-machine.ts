/**
 * The state of one RFC 3261 §17 transaction. Transitions are validated in this one place: an
 * impossible transition is a bug in the caller and throws instead of silently corrupting state.
 */
export class StateMachine<S extends string> {
  private current: S;

  constructor(
    private readonly name: string,
    initial: S,
    private readonly transitions: Readonly<Record<S, readonly S[]>>,
  ) {
    this.current = initial;
  }

  get state(): S {
    return this.current;
  }

  to(next: S): void {
    const from = this.current;
    if (!this.transitions[from].includes(next)) throw new Error(`SIP transaction ${this.name}: invalid transition ${from} -> ${next}`);
    this.current = next;
  }
}
