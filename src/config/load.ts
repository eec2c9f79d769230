// Builds the configuration as defaults < algogate.yaml < environment variables, reporting every problem at once.
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, parseDocument, type Node as YamlNode } from 'yaml';
import { isInside } from './master-key.js';
import type { Setting } from './setting-kinds.js';
import { SETTINGS, defaultConfig, setPath, type Config } from './settings.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variables that are not settings but are read by the loader itself. */
export const META_ENV = ['ALGOGATE_CONFIG'] as const;

/**
 * Secret values that appear in documentation and examples: production refuses them (and any secret with
 * fewer than 8 distinct characters, like `aaaa...`).
 */
export const DOCUMENTED_SECRETS: readonly string[] = [
  'change-me-to-a-long-random-secret-of-32-chars',
  'changeme-changeme-changeme-changeme',
  '0123456789abcdef0123456789abcdef',
  'secretsecretsecretsecretsecretsecret',
];

export type Source = 'default' | 'file' | 'env';

export interface LoadOptions {
  /** Environment variables (default: none). */
  readonly env?: Env;
  /** algogate.yaml to read; `undefined` takes `ALGOGATE_CONFIG` from `env`; `null` reads no file. */
  readonly file?: string | null;
  /** The file's text when already read (then `file` is only its name in messages). */
  readonly fileText?: string;
}

export interface Loaded {
  readonly config: Config;
  /** The file read, if any. */
  readonly file: string | null;
  /** Where each key's value came from. */
  readonly sources: ReadonlyMap<string, Source>;
  /** Not fatal outside production (unknown ALGOGATE_* variables). */
  readonly warnings: readonly string[];
}

const ALL = SETTINGS as readonly Setting[];

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** The closest known name to `name`, when it is close enough to be a typo. */
export function didYouMean(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = k.toLowerCase() === name.toLowerCase() ? 0 : distance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : null;
}

const hint = (name: string, known: readonly string[]): string => {
  const m = didYouMean(name, known);
  return m === null ? '' : ` (did you mean ${m}?)`;
};

function joinMessage(subject: string, message: string): string {
  return message.startsWith('must') ? `${subject} ${message}` : `${subject}: ${message}`;
}

function showable(s: Setting, raw: unknown): string {
  if (!s.showValue || s.secret) return '';
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  return text.length <= 60 && (typeof raw !== 'object' || raw === null) ? `=${text}` : '';
}

interface FileValue {
  readonly raw: unknown;
  readonly line: number;
}

/** Parses algogate.yaml text into raw values by key; unknown keys and YAML errors become problems. */
export function readSettingsFile(text: string, name: string, problems: string[]): Map<string, FileValue> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const values = new Map<string, FileValue>();
  for (const e of doc.errors) {
    const line = lines.linePos(e.pos[0]).line;
    problems.push(`${name}:${line}: ${e.message.split('\n')[0] ?? e.message}`);
  }
  if (doc.errors.length > 0) return values;
  const lineOf = (node: YamlNode | null | undefined): number =>
    node?.range ? lines.linePos(node.range[0]).line : 1;
  const keys = ALL.map((s) => s.key);
  const walk = (node: unknown, prefix: string): void => {
    if (!isMap(node)) {
      const what = prefix === '' ? 'the file' : prefix;
      problems.push(`${name}:${lineOf(node as YamlNode)}: ${what} must be a mapping of settings`);
      return;
    }
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const keyText = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const path = prefix === '' ? keyText : `${prefix}.${keyText}`;
      const line = lineOf(keyNode);
      const setting = ALL.find((s) => s.key === path);
      const valueNode = pair.value as YamlNode | null;
      if (setting) {
        const raw: unknown = valueNode === null ? null : valueNode.toJSON();
        // An empty value (`port:`) means "use the default", like an empty environment variable.
        if (raw !== null && raw !== '') values.set(path, { raw, line });
      } else if (keys.some((k) => k.startsWith(`${path}.`))) {
        if (valueNode === null || (isScalar(valueNode) && valueNode.value === null)) continue;
        walk(valueNode, path);
      } else {
        problems.push(`${name}:${line}: unknown key ${path}${hint(path, keys)}`);
      }
    }
  };
  if (doc.contents !== null && !(isScalar(doc.contents) && doc.contents.value === null)) {
    walk(doc.contents, '');
  }
  return values;
}

/** The entropy floor production asks of a secret: a documented example or `aaaa...` is refused. */
export function weakSecret(value: string): boolean {
  return DOCUMENTED_SECRETS.includes(value) || new Set(value).size < 8;
}

/**
 * Reads defaults < file < environment. Throws ConfigError listing every problem: YAML syntax, unknown keys
 * (with did-you-mean), wrong types, out-of-range values and, in production, weak secrets and debug settings.
 */
export function loadSettings(opts: LoadOptions = {}): Loaded {
  const env: Env = opts.env ?? {};
  const problems: string[] = [];
  const warnings: string[] = [];
  const rawPath = opts.file === undefined ? (env.ALGOGATE_CONFIG ?? null) : opts.file;
  const file = rawPath === '' ? null : rawPath;
  let fileValues = new Map<string, FileValue>();
  if (file !== null) {
    let text = opts.fileText;
    if (text === undefined) {
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        problems.push(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    }
    if (text !== undefined) fileValues = readSettingsFile(text, file, problems);
  }

  const config = defaultConfig() as unknown as Record<string, unknown>;
  const sources = new Map<string, Source>();
  const where = new Map<string, string>();
  for (const s of ALL) {
    const fromEnv = env[s.env];
    const fv = fileValues.get(s.key);
    let raw: unknown;
    let subject: string;
    if (fromEnv !== undefined && fromEnv !== '') {
      raw = fromEnv;
      subject = s.env;
      sources.set(s.key, 'env');
    } else if (fv !== undefined) {
      raw = fv.raw;
      subject = `${file ?? 'file'}:${fv.line}: ${s.key}`;
      sources.set(s.key, 'file');
    } else {
      sources.set(s.key, 'default');
      where.set(s.key, `${s.key} (${s.env})`);
      continue;
    }
    where.set(s.key, subject);
    const parsed = s.parse(raw);
    if (parsed.ok) {
      setPath(config, s.key, parsed.value);
    } else {
      for (const p of parsed.problems) {
        const subj = p.at === undefined ? `${subject}${showable(s, raw)}` : `${subject}${p.at}`;
        problems.push(joinMessage(subj, p.message));
      }
    }
  }

  const known = new Set<string>([...ALL.map((s) => s.env), ...META_ENV]);
  const unknownEnv = Object.keys(env)
    .filter((k) => k.startsWith('ALGOGATE_') && !known.has(k) && env[k] !== undefined)
    .map((k) => `unknown environment variable ${k}${hint(k, [...known])}`);

  const cfg = config as unknown as Config;
  const keyFile = cfg.secrets.keyFile;
  if (keyFile !== null && isInside(keyFile, cfg.dataDir)) {
    problems.push(
      `${where.get('secrets.keyFile') ?? 'secrets.keyFile'} is inside dataDir: the master key must not travel with the data it protects`,
    );
  }
  if (cfg.env === 'production') {
    problems.push(...unknownEnv);
    for (const s of ALL) {
      const value = readKey(config, s.key);
      const subject = where.get(s.key) ?? s.key;
      if (s.productionForbidden.includes(value)) {
        problems.push(`${subject}=${String(value)} is a debug setting; production refuses it`);
      }
      if (s.secret && typeof value === 'string' && weakSecret(value)) {
        problems.push(`${subject} is a documented or guessable value; production needs a random secret`);
      }
      if (s.requiredInProduction && (value === null || value === undefined || value === '')) {
        problems.push(`${s.key} (${s.env}) must be set in production`);
      }
    }
  } else {
    warnings.push(...unknownEnv);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: cfg, file, sources, warnings };
}

function readKey(obj: Record<string, unknown>, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur;
}

/**
 * Reads `ALGOGATE_*` (and `DATABASE_URL`, `REDIS_URL`) over the defaults, with `ALGOGATE_CONFIG` naming an
 * optional algogate.yaml in between. Throws `ConfigError` listing every problem.
 */
export function loadConfig(env: Env = process.env, file?: string | null): Config {
  return loadSettings({ env, ...(file === undefined ? {} : { file }) }).config;
}
