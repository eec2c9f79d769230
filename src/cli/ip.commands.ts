// `algogate ip ban|unban|list`: manage IP bans in the shared database (running instances pick them up).
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../config/schema.js';
import { RedisBanNotifier } from '../platform/redis-ban-notifier.js';
import { systemClock } from '../platform/system-clock.js';
import { silentLogger } from '../ports/logger.js';
import { nullSecurityEvents } from '../ports/security-events.js';
import { IpBanService } from '../services/ip-bans.service.js';
import { SqlIpBanStore } from '../store/ip-ban-store.js';
import { openStore } from '../store/open.js';

function minutes(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 525_600)
    throw new InvalidArgumentError('minutes must be a whole number from 1 to 525600');
  return n;
}

async function withBans<T>(config: Config, fn: (bans: IpBanService) => Promise<T>): Promise<T> {
  const opened = await openStore(config, Date.now());
  // Running instances refresh their ban list every few seconds; with Redis they hear about it at once.
  const notifier = config.redisUrl !== null ? new RedisBanNotifier(config.redisUrl, silentLogger) : null;
  try {
    const bans = new IpBanService({
      store: new SqlIpBanStore(opened.driver),
      config: () => config.ipBans,
      clock: systemClock,
      events: nullSecurityEvents,
      log: silentLogger,
      ...(notifier ? { notify: () => void notifier.publish() } : {}),
    });
    const out = await fn(bans);
    await notifier?.publish();
    return out;
  } finally {
    await notifier?.close();
    await opened.store.close();
    await opened.driver.close();
  }
}

const iso = (t: number | null): string => (t === null ? 'until lifted' : new Date(t).toISOString());

export function registerIpCommands(program: Command, config: () => Config): void {
  const ip = program.command('ip').description('manage IP bans (shared by every instance)');
  ip.command('ban <ip>')
    .description('ban an IP address (loopback is never banned)')
    .option('--minutes <n>', 'ban length (default: until unbanned)', minutes)
    .option('--reason <text>', 'why', 'banned from the command line')
    .action(async (addr: string, opts: { minutes?: number; reason: string }) => {
      const ban = await withBans(config(), (bans) =>
        bans.ban(addr, {
          durationMs: opts.minutes === undefined ? null : opts.minutes * 60_000,
          reason: opts.reason,
          actor: 'cli',
          source: 'manual',
        }),
      );
      process.stdout.write(`banned ${ban.ip} ${iso(ban.expiresAt)}\n`);
    });
  ip.command('unban <ip>')
    .description('lift the ban on an IP address')
    .action(async (addr: string) => {
      const lifted = await withBans(config(), (bans) => bans.unban(addr, 'cli'));
      if (!lifted) {
        process.stderr.write(`algogate: no ban in force on ${addr}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`unbanned ${addr}\n`);
    });
  ip.command('list')
    .description('list the bans in force')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const list = await withBans(config(), (bans) => bans.list());
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(list)}\n`);
        return;
      }
      process.stdout.write(
        list.length === 0
          ? 'no bans in force\n'
          : `${list.map((b) => `${b.ip}\t${b.source}\t${iso(b.expiresAt)}\t${b.reason}`).join('\n')}\n`,
      );
    });
}
