import { BlockList, isIP } from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export function parseCidr(text: string): Cidr | null {
  const [address = '', prefixText] = text.split('/');
  const v = isIP(address);
  if (!v) return null;
  const max = v === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return null;
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** An allow-list of CIDRs; empty means "allow any" (the caller warns about it). */
export function makeAllowList(cidrs: string[]): (address: string) => boolean {
  if (cidrs.length === 0) return () => true;
  const list = new BlockList();
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (p) list.addSubnet(p.address, p.prefix, p.family);
  }
  return (address: string) => {
    const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const addr = v4mapped ? v4mapped[1]! : address;
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    return list.check(addr, family);
  };
}
