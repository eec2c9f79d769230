// `algogate config init | validate`: write the commented template, check a file and list every problem.
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, loadSettings } from '../config/load.js';
import { renderTemplate } from '../config/template.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('configuration file tools');
  config
    .command('init')
    .description('write a commented algogate.yaml template with every setting (stdout unless --out)')
    .option('--out <file>', 'file to write')
    .option('--force', 'overwrite an existing file')
    .action((opts: { out?: string; force?: boolean }) => {
      const text = renderTemplate();
      if (opts.out === undefined) {
        process.stdout.write(text);
        return;
      }
      if (existsSync(opts.out) && opts.force !== true) {
        throw new ConfigError([`${opts.out} exists; pass --force to overwrite it`]);
      }
      writeFileSync(opts.out, text, { mode: 0o600 });
      process.stdout.write(`wrote ${opts.out}\n`);
    });
  config
    .command('validate <file>')
    .description('check a configuration file; exits non-zero listing every problem')
    .option('--env <environment>', 'check as this environment (e.g. production) whatever the file says')
    .option('--with-env', 'also apply the current ALGOGATE_* environment variables, as serve would')
    .action((file: string, opts: { env?: string; withEnv?: boolean }) => {
      const env: Record<string, string | undefined> = opts.withEnv === true ? { ...process.env } : {};
      if (opts.env !== undefined) env.ALGOGATE_ENV = opts.env;
      const loaded = loadSettings({ env, file });
      for (const w of loaded.warnings) process.stderr.write(`algogate: warning: ${w}\n`);
      const set = [...loaded.sources.values()].filter((s) => s === 'file').length;
      process.stdout.write(`${file} is valid (${set} settings set, environment ${loaded.config.env})\n`);
    });
}
