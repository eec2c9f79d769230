// The one client-IP rule: the socket peer, unless that peer is a configured trusted proxy (then its headers).
import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

import { isLoopback, normaliseIp } from '../services/ip-address.js';

export { isLoopback, normaliseIp };

function first(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

export interface ClientAddress {
  /** The client's IP as we believe it. */
  readonly ip: string;
  /** `https` when the connection is TLS, or a trusted proxy says the client used https. */
  readonly protocol: 'http' | 'https';
}

/**
 * Resolves the client IP. With no trusted proxies it is always the socket peer. When the peer is a trusted
 * proxy, X-Forwarded-For is read from the right, skipping trusted hops, and the first untrusted hop is the
 * client (the leftmost entries are whatever the client chose to send, so they are never believed);
 * X-Real-IP is used when there is no X-Forwarded-For.
 */
export class ClientIpResolver {
  private readonly trusted = new BlockList();
  private readonly any: boolean;

  constructor(trustedProxies: readonly string[]) {
    this.any = trustedProxies.length > 0;
    for (const entry of trustedProxies) {
      const [addr = '', bits] = entry.split('/');
      const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.trusted.addAddress(addr, family);
      else this.trusted.addSubnet(addr, Number(bits), family);
    }
  }

  isTrusted(ip: string): boolean {
    if (!this.any) return false;
    const v = normaliseIp(ip);
    const family = isIP(v);
    if (family === 0) return false;
    return this.trusted.check(v, family === 6 ? 'ipv6' : 'ipv4');
  }

  resolve(
    remoteAddress: string | undefined,
    headers: IncomingHttpHeaders,
    encrypted: boolean,
  ): ClientAddress {
    // No address: a Unix-socket peer (ALGOGATE_SOCKET), i.e. a process on this host allowed to open the
    // socket file (nginx): it counts as loopback.
    const peer = remoteAddress === undefined ? '127.0.0.1' : normaliseIp(remoteAddress);
    let protocol: ClientAddress['protocol'] = encrypted ? 'https' : 'http';
    if (!this.isTrusted(peer)) return { ip: peer, protocol };
    const proto = first(headers['x-forwarded-proto'])?.split(',')[0]?.trim().toLowerCase();
    if (proto === 'https' || proto === 'http') protocol = proto;
    const xff = first(headers['x-forwarded-for']);
    if (xff !== undefined && xff.trim() !== '') {
      const hops = xff
        .split(',')
        .map((h) => normaliseIp(h.trim()))
        .filter((h) => isIP(h) !== 0);
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i] ?? '';
        if (!this.isTrusted(hop)) return { ip: hop, protocol };
      }
      // Every hop is a trusted proxy: the leftmost is the closest thing to a client.
      return { ip: hops[0] ?? peer, protocol };
    }
    const real = first(headers['x-real-ip'])?.trim();
    if (real !== undefined && isIP(normaliseIp(real)) !== 0) return { ip: normaliseIp(real), protocol };
    return { ip: peer, protocol };
  }
}
