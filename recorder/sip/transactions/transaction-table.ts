import type { ServerTransaction } from './server-transaction.js';

/** Live server transactions by matching key (§17.2.3). */
export class ServerTransactionTable {
  private readonly byKey = new Map<string, ServerTransaction<string>>();

  get(key: string): ServerTransaction<string> | undefined {
    return this.byKey.get(key);
  }

  add(tx: ServerTransaction<string>): void {
    this.byKey.set(tx.key, tx);
  }

  /** Forgets `tx` only if it is still the one registered under its key. */
  delete(tx: ServerTransaction<string>): void {
    if (this.byKey.get(tx.key) === tx) this.byKey.delete(tx.key);
  }

  get size(): number {
    return this.byKey.size;
  }

  disposeAll(): void {
    for (const tx of this.byKey.values()) tx.dispose();
    this.byKey.clear();
  }
}
