import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { unmapIPv4 } from './address.js';

/** A set of address ranges ("192.0.2.0/24", "2001:db8::/32", or single addresses). */
export class AddressSet {
  private readonly list = new BlockList();

  /** Throws naming `what[i]` for an entry that is not an address or CIDR. */
  constructor(cidrs: readonly string[], what: string) {
    cidrs.forEach((text, i) => {
      const [address = '', prefixText, extra] = text.trim().split('/');
      const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
      const max = family === 'ipv4' ? 32 : 128;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (!family || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
        throw new Error(`${what}[${i}]: "${text}" is not an IPv4/IPv6 address or CIDR`);
      }
      this.list.addSubnet(address, prefix, family);
    });
  }

  has(address: string): boolean {
    const plain = unmapIPv4(address);
    if (isIPv4(plain)) return this.list.check(plain, 'ipv4');
    return isIPv6(plain) && this.list.check(plain, 'ipv6');
  }
}
