// The address to put in our SDP and Contact when we listen on a wildcard address: the one the
// kernel would use to reach the SRC (a connected UDP socket tells it without sending anything).
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

const cache = new Map<string, string>();

export async function localAddressFor(remote: string): Promise<string> {
  const cached = cache.get(remote);
  if (cached) return cached;
  const family = isIP(remote) === 6 ? 'udp6' : 'udp4';
  const socket = createSocket(family);
  try {
    const address = await new Promise<string>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(9, remote, () => resolve(socket.address().address));
    });
    cache.set(remote, address);
    return address;
  } finally {
    socket.close();
  }
}

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}
