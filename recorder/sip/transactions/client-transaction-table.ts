import type { NonInviteClientTransaction } from './non-invite-client-transaction.js';

/** Live client transactions by matching key (§17.1.3). */
export class ClientTransactionTable {
  private readonly byKey = new Map<string, NonInviteClientTransaction>();

  get(key: string): NonInviteClientTransaction | undefined {
    return this.byKey.get(key);
  }

  add(tx: NonInviteClientTransaction): void {
    this.byKey.set(tx.key, tx);
  }

  delete(tx: NonInviteClientTransaction): void {
    if (this.byKey.get(tx.key) === tx) this.byKey.delete(tx.key);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Fails every pending transaction with `detail` and clears every timer. */
  abortAll(detail: string): void {
    for (const tx of [...this.byKey.values()]) tx.abort(detail);
    this.byKey.clear();
  }
}
