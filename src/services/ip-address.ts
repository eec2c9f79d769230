// IP address facts shared by the HTTP layer and the ban service: normal form and loopback.
import { isIP } from 'node:net';

/** `::ffff:10.0.0.1` -> `10.0.0.1`; anything else unchanged. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** Loopback (127.0.0.0/8 and ::1): never banned. */
export function isLoopback(ip: string): boolean {
  const v = normaliseIp(ip);
  return v === '::1' || (isIP(v) === 4 && v.startsWith('127.'));
}

/** Whether the text is an IPv4 or IPv6 address (after normalisation). */
export function isIpAddress(ip: string): boolean {
  return isIP(normaliseIp(ip)) !== 0;
}
