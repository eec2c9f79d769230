import { describe, expect, it } from 'vitest';
import { ClientIpResolver, isLoopback } from './client-ip.js';

describe('client IP', () => {
  it('is the socket peer when no proxy is trusted, whatever the headers say', () => {
    const r = new ClientIpResolver([]);
    const a = r.resolve('203.0.113.5', { 'x-forwarded-for': '1.2.3.4', 'x-real-ip': '5.6.7.8' }, false);
    expect(a).toEqual({ ip: '203.0.113.5', protocol: 'http' });
  });

  it('ignores forwarding headers from a peer that is not a trusted proxy', () => {
    const r = new ClientIpResolver(['10.0.0.0/8']);
    const a = r.resolve('203.0.113.5', { 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https' }, false);
    expect(a).toEqual({ ip: '203.0.113.5', protocol: 'http' });
  });

  it('takes the rightmost untrusted X-Forwarded-For hop behind trusted proxies', () => {
    const r = new ClientIpResolver(['10.0.0.0/8', '192.168.1.1']);
    // The client forged 6.6.6.6; the first proxy appended the real peer 198.51.100.9.
    const a = r.resolve(
      '::ffff:10.0.0.2',
      { 'x-forwarded-for': '6.6.6.6, 198.51.100.9, 192.168.1.1', 'x-forwarded-proto': 'https' },
      false,
    );
    expect(a).toEqual({ ip: '198.51.100.9', protocol: 'https' });
  });

  it('uses X-Real-IP from a trusted proxy when there is no X-Forwarded-For', () => {
    const r = new ClientIpResolver(['127.0.0.1']);
    expect(r.resolve('127.0.0.1', { 'x-real-ip': '198.51.100.20' }, false).ip).toBe('198.51.100.20');
    expect(r.resolve('127.0.0.1', { 'x-real-ip': 'not-an-ip' }, false).ip).toBe('127.0.0.1');
  });

  it('understands IPv6 proxies and clients', () => {
    const r = new ClientIpResolver(['fd00::/8']);
    expect(r.resolve('fd00::1', { 'x-forwarded-for': '2001:db8::7' }, false).ip).toBe('2001:db8::7');
  });

  it('treats a Unix-socket peer (no address) as loopback: trusted behind a local nginx, never banned', () => {
    const r = new ClientIpResolver(['127.0.0.1', '::1']);
    expect(
      r.resolve(undefined, { 'x-forwarded-for': '198.51.100.9', 'x-forwarded-proto': 'https' }, false),
    ).toEqual({ ip: '198.51.100.9', protocol: 'https' });
    const direct = new ClientIpResolver([]).resolve(undefined, { 'x-forwarded-for': '6.6.6.6' }, false);
    expect(direct.ip).toBe('127.0.0.1');
    expect(isLoopback(direct.ip)).toBe(true);
  });

  it('reports https for TLS sockets', () => {
    expect(new ClientIpResolver([]).resolve('203.0.113.5', {}, true).protocol).toBe('https');
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['128.0.0.1', '10.0.0.1', '::2', '2001:db8::1'].some(isLoopback)).toBe(false);
  });
});
