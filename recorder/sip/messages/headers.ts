import { canonicalHeaderName, headerKey, isMultiValueHeader } from './header-names.js';
import { splitUnquoted } from './grammar.js';

interface Entry {
  name: string; // canonical long form
  key: string; // lower-case canonical, for lookups
  value: string; // the whole header line value, unfolded
}

/**
 * Ordered header list of one message. Each stored entry is one header line as received (order is
 * significant for Via, Route, Record-Route: RFC 3261 §7.3.1); getAll() splits list-valued headers.
 */
export class SipHeaders implements Iterable<[string, string]> {
  private entries: Entry[] = [];

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init) for (const [name, value] of init) this.append(name, value);
  }

  /** First value: for list-valued headers (Via, Contact, ...) the first element of the list. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const e of this.entries) {
      if (e.key !== key) continue;
      if (!isMultiValueHeader(key)) return e.value;
      const first = splitUnquoted(e.value, ',')[0];
      if (first !== undefined) return first;
    }
    return undefined;
  }

  /** Every value of the header, in order, list-valued headers split on top-level commas. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const multi = isMultiValueHeader(key);
    const out: string[] = [];
    for (const e of this.entries) {
      if (e.key !== key) continue;
      if (multi) out.push(...splitUnquoted(e.value, ','));
      else out.push(e.value);
    }
    return out;
  }

  /** The header lines as stored (no list splitting): what a proxy or response builder copies. */
  getLines(name: string): string[] {
    const key = headerKey(name);
    return this.entries.filter((e) => e.key === key).map((e) => e.value);
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.entries.some((e) => e.key === key);
  }

  /** Replaces every line of the header with one line, at the position of the first one. */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const at = this.entries.findIndex((e) => e.key === key);
    if (at < 0) return this.append(name, value);
    // `at` is the first match, so removing the later ones leaves it where it was.
    this.entries = this.entries.filter((e, i) => i === at || e.key !== key);
    this.entries[at] = { name: canonicalHeaderName(name), key, value };
    return this;
  }

  /** Replaces the value of the index-th line of the header in place; false when there is no such line. */
  setLine(name: string, index: number, value: string): boolean {
    const key = headerKey(name);
    let seen = 0;
    for (const e of this.entries) {
      if (e.key !== key) continue;
      if (seen++ === index) {
        e.value = value;
        return true;
      }
    }
    return false;
  }

  append(name: string, value: string): this {
    this.entries.push({ name: canonicalHeaderName(name), key: headerKey(name), value });
    return this;
  }

  /** Removes every line of the header; returns whether there was any. */
  remove(name: string): boolean {
    const key = headerKey(name);
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.key !== key);
    return this.entries.length !== before;
  }

  /** Number of header lines. */
  get size(): number {
    return this.entries.length;
  }

  /** [canonical name, line value] in message order. */
  *[Symbol.iterator](): Iterator<[string, string]> {
    for (const e of this.entries) yield [e.name, e.value];
  }

  clone(): SipHeaders {
    const copy = new SipHeaders();
    copy.entries = this.entries.map((e) => ({ ...e }));
    return copy;
  }
}
