// `algogate secrets set | list | rotate | retire`: the encrypted credential store from the command line.
import type { Command } from 'commander';
import { openKeyRing, type KeyRing } from '../config/master-key.js';
import type { Config } from '../config/schema.js';
import { CredentialError, CredentialVault } from '../platform/credential-vault.js';
import { systemClock } from '../platform/system-clock.js';
import { SqlCredentialRows } from '../store/credential-rows.js';
import { openStore } from '../store/open.js';
import { SqlSecurityStore } from '../store/security-store.js';
import { timeIds } from '../platform/time-ids.js';
import { userInfo } from 'node:os';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('value (end with Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

type Audit = (type: 'secrets_rotated' | 'admin_action', detail: Record<string, unknown>) => Promise<void>;

/** Opens the store and key ring; `audit` writes a security event (actor: the OS user) before returning. */
async function withVault<T>(
  config: Config,
  fn: (vault: CredentialVault, ring: KeyRing, audit: Audit) => Promise<T>,
): Promise<T> {
  const ring = openKeyRing(config);
  const opened = await openStore(config, Date.now());
  const events = new SqlSecurityStore(opened.driver);
  const ids = timeIds(systemClock);
  const audit: Audit = (type, detail) =>
    events.insertSecurityEvents([
      {
        id: ids.id(),
        at: Date.now(),
        type,
        severity: type === 'secrets_rotated' ? 'high' : 'medium',
        actor: `${userInfo().username} (cli)`,
        ip: null,
        requestId: null,
        detail: { via: 'cli', ...detail },
      },
    ]);
  try {
    return await fn(
      new CredentialVault(new SqlCredentialRows(opened.driver), ring, systemClock),
      ring,
      audit,
    );
  } finally {
    await opened.store.close();
    await opened.driver.close();
  }
}

export function registerSecretsCommands(program: Command, config: () => Config): void {
  const secrets = program
    .command('secrets')
    .description('encrypted credential store (broker credentials, tokens)');
  secrets
    .command('set <name>')
    .description('store a credential read from stdin, sealed under the current master key')
    .action(async (name: string) => {
      CredentialVault.checkName(name);
      const value = await readStdin();
      if (value === '') throw new CredentialError('empty value on stdin: nothing stored');
      await withVault(config(), async (vault, _ring, audit) => {
        await vault.set(name, value);
        await audit('admin_action', { action: 'credential_set', name });
      });
      process.stdout.write(`stored ${name}\n`);
    });
  secrets
    .command('list')
    .description('names and key ids (never values)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withVault(config(), (vault) => vault.list());
      const out = rows.map((r) => ({
        name: r.name,
        key_id: r.keyId,
        updated_at: new Date(r.updatedAt).toISOString(),
      }));
      process.stdout.write(
        opts.json === true
          ? `${JSON.stringify(out)}\n`
          : out.map((r) => `${r.name}\t${r.key_id}\t${r.updated_at}\n`).join(''),
      );
    });
  secrets
    .command('rotate')
    .description('make a new master key (saved first), then re-encrypt every credential under it')
    .action(async () => {
      await withVault(config(), async (vault, ring, audit) => {
        if (ring.mode === 'file') {
          const id = ring.rotate();
          process.stdout.write(`new master key ${id} saved to ${ring.file ?? ''}\n`);
        }
        const report = await vault.reencryptAll();
        await audit('secrets_rotated', {
          action: 'rotate',
          key_id: report.keyId,
          reencrypted: report.reencrypted,
          retried: report.retried,
        });
        const old = ring.ids().filter((k) => k !== report.keyId);
        process.stdout.write(
          `re-encrypted ${report.reencrypted} credentials under ${report.keyId}` +
            (report.retried > 0 ? ` (${report.retried} changed meanwhile and were read again)` : '') +
            '\n' +
            (old.length > 0
              ? `previous keys still accepted: ${old.join(', ')}; drop them with \`algogate secrets retire\`\n`
              : ''),
        );
      });
    });
  secrets
    .command('retire')
    .description('drop previous master keys once no credential is sealed under them')
    .action(async () => {
      await withVault(config(), async (vault, ring, audit) => {
        const current = ring.current().id;
        const stale = (await vault.keyIdsInUse()).filter((k) => k !== current);
        if (stale.length > 0) {
          throw new CredentialError(
            `credentials are still sealed under ${stale.join(', ')}: run \`algogate secrets rotate\` first`,
          );
        }
        const dropped = ring.retire(new Set());
        if (dropped.length > 0)
          await audit('secrets_rotated', { action: 'retire', retired_key_ids: dropped });
        process.stdout.write(dropped.length > 0 ? `retired ${dropped.join(', ')}\n` : 'nothing to retire\n');
      });
    });
}
